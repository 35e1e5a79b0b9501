/*
 * fake_printer.h - a scripted receipt printer for the print queue's unit tests, linked
 * instead of the real driver (drivers/printer/printer.c) behind the same printer.h: it keeps
 * every document submitted together with the journal's state of that job at that moment (the
 * write-ahead proof), and finishes or fails jobs when the test says.
 */
#ifndef POSTERM_FAKE_PRINTER_H
#define POSTERM_FAKE_PRINTER_H

#include <stdbool.h>

#include "journal.h"
#include "printer.h"

#define FAKE_PRINTER_MAX 16

struct fake_print {
    struct print_doc doc;
    int owed_sending; /* jobs marked sending in the journal when it was submitted */
};

/* A printer ready from the start, reading the journal at each submit. */
struct printer *fake_printer_new(struct journal *journal);
void fake_printer_free(struct printer *p);

/* Changes what the printer says it is (and its status line). */
void fake_printer_set_state(struct printer *p, enum printer_state st, const char *line);
/* Ends the job under way: done, or failed after `sent` bytes. */
void fake_printer_finish(struct printer *p, bool done, size_t sent);

int fake_printer_jobs(const struct printer *p);
const struct fake_print *fake_printer_job(const struct printer *p, int i);
/* True when any line of job i's document holds text. */
bool fake_printer_says(const struct printer *p, int i, const char *text);

#endif
