/*
 * cashier_notes.h - what the loop told the cashier (loop.h struct loop_message), worded in
 * the cashier's language from ui/'s tables.
 *
 * The glue between the loop's notes and the screen's words lives here, in the runtime, so the
 * screen (ui/) never includes the loop: it is handed plain text.
 */
#ifndef POSTERM_CASHIER_NOTES_H
#define POSTERM_CASHIER_NOTES_H

#include <stddef.h>

#include "loop.h"
#include "ui.h"

/* Worded from the message's values; in English it reads exactly as m->text. */
void cashier_note_text(enum ui_lang lang, const struct loop_message *m, char *buf, size_t len);

#endif
