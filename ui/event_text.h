/*
 * event_text.h - a journal event's detail as the payment's event list shows it.
 *
 * The journal keeps the engine's English detail (app/core/engine.c's journal actions) as the
 * record: the log's readers and headless history read it as written. On a Chinese screen the
 * phrases the engine writes itself read in Chinese, their values (amounts, trade and refund
 * numbers, a code's last four digits) kept; any other detail - a gateway's or a library's own
 * words, an HTTP status - stays as it was, quoted after a Chinese label, so the technical
 * detail is there for whoever looks into it while the sentence around it is Chinese.
 */
#ifndef POSTERM_UI_EVENT_TEXT_H
#define POSTERM_UI_EVENT_TEXT_H

#include <stddef.h>

#include "reports.h"
#include "text.h"

/* e's detail in lang, cut to len: English as journaled; Chinese as above. */
void event_detail_text(enum ui_lang lang, const struct journal_event *e, char *buf, size_t len);

#endif
