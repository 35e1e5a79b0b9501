/*
 * loop_notes.h - the loop's notes (loop_notes.def) worded in English or Chinese.
 *
 * The loop words every message twice: in English for headless mode and the logs, and in the
 * cashier's language for the screen, so no front holds a sentence of the loop's. The words
 * and the values of each note are checked by the compiler (loop_notes.def says how); the
 * tables' completeness by tests/unit/loop/test_loop_notes.c.
 */
#ifndef POSTERM_LOOP_NOTES_H
#define POSTERM_LOOP_NOTES_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"

enum loop_lang { LOOP_LANG_EN, LOOP_LANG_ZH };

/* "en" or "zh" (the config's "language"); false, *out untouched, for anything else. */
bool loop_lang_from_name(const char *name, enum loop_lang *out);

/* The note's sentence in lang, with m's values (truncated to len). A note this build does
 * not know is written as its number, never left empty. */
void loop_note_render(enum loop_lang lang, const struct loop_message *m, char *buf, size_t len);

/* How serious the note is, from its row. */
enum loop_level loop_note_level(enum loop_note note);

/* The row itself: the note's name ("JOURNAL_HELD") and its format in lang; NULL past the
 * table (for the tests that prove it complete). */
const char *loop_note_name(enum loop_note note);
const char *loop_note_format(enum loop_lang lang, enum loop_note note);

#endif
