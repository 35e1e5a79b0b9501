/*
 * reconcile_run.h - one day's reconciliation, run beside the till's loop without blocking it.
 *
 * A bill is megabytes and a day's bill of 100,000 rows takes longer to read and match than a
 * poll turn may take (10 ms), so the download, the reading and the matching run in a child
 * process (fork: it inherits the config and the day's journal entries, read before the fork,
 * and never touches the journal). The child writes its findings to a pipe; the loop polls the
 * pipe as a service (loop.h loop_add_service) and, when the child is done, journals the whole
 * day in one transaction (storage/reconciliations.h). A run that failed anywhere - no answer,
 * a refused request, a damaged zip or gzip, a hash that does not match, a malformed row -
 * journals nothing, and the day's last good reconciliation stays as it was.
 */
#ifndef POSTERM_RECONCILE_RUN_H
#define POSTERM_RECONCILE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "journal.h"
#include "loop.h"
#include "reconciliations.h"

struct reconcile_outcome {
    char date[RECON_DATE_LEN + 1];
    bool ok;         /* journaled */
    char error[320]; /* when not ok: why, naming the channel */
    struct reconciliation runs[2];
    int nruns;
    const struct reconcile_item *items; /* the differences, valid during the call */
    size_t nitems;
    bool scheduled; /* started by the daily schedule, not asked for */
};

typedef void (*reconcile_done_fn)(void *ctx, const struct reconcile_outcome *o);

struct reconcile_run;

/* cfg and journal must outlive the runner. */
struct reconcile_run *reconcile_run_new(const struct config *cfg, struct journal *journal,
                                        reconcile_done_fn done, void *ctx);
/* Ends a child still running (killed, nothing journaled). */
void reconcile_run_free(struct reconcile_run *r);

/* Starts the day's reconciliation of every enabled channel. False with why when the date is
 * not a day, one is already running, no channel is enabled, or the journal cannot be read;
 * done is then not called. */
bool reconcile_run_start(struct reconcile_run *r, const char *date, char *why, size_t whylen);
bool reconcile_run_busy(const struct reconcile_run *r);

/* From now on, each day from minute_of_day (local time, config_minute_of_day) on: the days of
 * the last RECONCILE_CATCH_UP_DAYS up to yesterday (Beijing) that the journal holds no
 * reconciliation of, newest first, one after the other; a failed day again after a back-off
 * of its own (5 minutes, doubling, at most an hour) while the others go on, so a day missed
 * while the terminal was off or the gateway down is caught up. minute_of_day < 0: none. */
#define RECONCILE_CATCH_UP_DAYS 7
void reconcile_run_daily(struct reconcile_run *r, int minute_of_day);

/* The service that polls the child's pipe; done is called from its process function. */
struct loop_service reconcile_run_service(struct reconcile_run *r);

#endif
