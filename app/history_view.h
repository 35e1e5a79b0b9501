/*
 * history_view.h - the cashier's history list: which day, which filters, which page, read
 * from the journal a page at a time (storage/reports.h report_history), newest first.
 *
 * The screen's keys arrive as commands (ui.h: HISTORY_DAY, HISTORY_PAGE, HISTORY_FIND,
 * HISTORY_CHANNEL, HISTORY_STATE, HISTORY_FILTER_TOGGLE); each changes the view and reloads
 * its page, and the model is pointed at the rows held here.
 */
#ifndef POSTERM_HISTORY_VIEW_H
#define POSTERM_HISTORY_VIEW_H

#include <stdbool.h>

#include "journal.h"
#include "reports.h"
#include "ui.h"

#define HISTORY_VIEW_ROWS  50   /* one page */
#define HISTORY_VIEW_PAGES 2000 /* pages one can step back through */

struct history_view {
    struct report_cursor starts[HISTORY_VIEW_PAGES]; /* where each page seen starts */
    struct payment rows[HISTORY_VIEW_ROWS];
};

/* Today's payments, every channel and state, page 1: what the history key opens. */
void history_view_open(struct history_view *v, struct ui_model *m, int64_t now);

/* Applies one of the history's commands to the model's filters; false for another command. */
bool history_view_apply(struct history_view *v, struct ui_model *m, const struct ui_command *cmd,
                        int64_t now);

/* Reads the model's page with its filters into the model. */
enum journal_status history_view_load(struct history_view *v, struct ui_model *m,
                                      struct journal *j);

#endif
