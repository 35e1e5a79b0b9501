/*
 * cause_text.h - why a payment failed, was cancelled or is taking long, in the cashier's words.
 *
 * The drivers and the engine explain every problem twice: in precise English (last_error,
 * for the log and the journal) and as a cause without a language (app/core/pay_cause.h). An
 * English screen shows the precise words. A Chinese screen shows the cause's words, and adds
 * the English detail only where the cause alone would not tell the terminal's vendor where
 * to look (no answer, an unbelievable reply, a refused configuration, an unknown cause).
 * This is the one table of these words; ui/text.h holds the screens' own.
 */
#ifndef POSTERM_UI_CAUSE_TEXT_H
#define POSTERM_UI_CAUSE_TEXT_H

#include <stddef.h>

#include "pay_cause.h"
#include "ui.h"

#define CAUSE_TEXT_MAX 320

/* The words for a payment's last problem (cause and its English words) into buf; returns
 * buf. "" when there is nothing to explain. */
const char *cause_text(enum ui_lang lang, enum pay_cause cause, const char *english, char *buf,
                       size_t len);

/* The raw table entry, NULL where a cause lacks words in that language (for the test). */
const char *cause_text_entry(enum ui_lang lang, enum pay_cause cause);

#endif
