/*
 * cause_text.h - why a payment failed, was cancelled or is taking long, in the cashier's words,
 * and what to tell the customer.
 *
 * The drivers and the engine explain every problem twice: in precise English (last_error: a
 * library's message, an HTTP status, a gateway's code), which goes to the log and the
 * journal's event list, and as a cause without a language (app/core/pay_cause.h). The screen
 * shows only the cause's words, in either language: no library or protocol text ever reaches
 * the cashier (the history's event list keeps the detail for whoever looks into it). This is
 * the one table of these words; ui/text.h holds the screens' own.
 */
#ifndef POSTERM_UI_CAUSE_TEXT_H
#define POSTERM_UI_CAUSE_TEXT_H

#include <stddef.h>

#include "pay_cause.h"
#include "ui.h"

#define CAUSE_TEXT_MAX 320

/* The cashier's sentence for a payment's last problem into buf; returns buf. "" when there is
 * nothing to explain (PAY_CAUSE_NONE); a cause this build does not know reads as OTHER. */
const char *cause_text(enum ui_lang lang, enum pay_cause cause, char *buf, size_t len);

/* What the cashier tells the customer, or "" when the sentence above says it all. */
const char *cause_advice(enum ui_lang lang, enum pay_cause cause);

/* The raw table entries, NULL where a cause lacks words in that language (for the test). */
const char *cause_text_entry(enum ui_lang lang, enum pay_cause cause);
const char *cause_advice_entry(enum ui_lang lang, enum pay_cause cause);

#endif
