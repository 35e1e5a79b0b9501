/*
 * cashier.h - the cashier screen's front: keeps ui/'s model in step with the loop and turns
 * the cashier's commands into loop commands.
 *
 * The screen decides nothing: which screen shows follows from the current payment's state
 * (NEW: scan, PAYING/QUERYING/CANCELLING: paying, final: result), and every command goes
 * through the loop, which refuses what is not allowed and says why.
 */
#ifndef POSTERM_CASHIER_H
#define POSTERM_CASHIER_H

#include "config.h"
#include "loop.h"
#include "receipts.h"

struct cashier;

/* Starts curses. On failure returns NULL with err set. */
struct cashier *cashier_new(const struct config *cfg, char *err, size_t errlen);
struct loop_observer cashier_observer(struct cashier *c);
void cashier_free(struct cashier *c);

/* The print queue's observer (the header follows it), and the queue the history screen's
 * reprint key and, with print_eod, the end-of-day screen use (NULL: no printer). */
struct receipts_observer cashier_receipts_observer(struct cashier *c);
void cashier_set_receipts(struct cashier *c, struct receipts *r, bool print_eod);

/* The MQTT publisher whose state the header shows (NULL: none). */
struct fleet;
void cashier_set_fleet(struct cashier *c, struct fleet *f);

/* Runs until the cashier quits or *stop becomes non-zero. Returns 0, 1 on a poll error. */
int cashier_run(struct cashier *c, struct loop *l, volatile int *stop);

#endif
