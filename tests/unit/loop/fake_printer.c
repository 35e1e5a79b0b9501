/*
 * fake_printer.c - the scripted printer of fake_printer.h: printer.h's functions, no device.
 */
#include "fake_printer.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_sqlite.h"

struct printer {
    struct journal *journal;
    enum printer_state state;
    char line[160];
    unsigned seq;
    enum printer_job job;
    size_t sent;
    int njobs;
    struct fake_print jobs[FAKE_PRINTER_MAX];
};

struct printer *fake_printer_new(struct journal *journal)
{
    struct printer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->journal = journal;
    p->state = PRINTER_READY;
    snprintf(p->line, sizeof p->line, "fake printer: ready");
    return p;
}

void fake_printer_free(struct printer *p)
{
    free(p);
}

void fake_printer_set_state(struct printer *p, enum printer_state st, const char *line)
{
    p->state = st;
    snprintf(p->line, sizeof p->line, "%s", line);
    p->seq++;
}

void fake_printer_finish(struct printer *p, bool done, size_t sent)
{
    if (p->job != PRINTER_JOB_SENDING)
        return;
    p->job = done ? PRINTER_JOB_DONE : PRINTER_JOB_FAILED;
    p->sent = sent;
}

int fake_printer_jobs(const struct printer *p)
{
    return p->njobs;
}

const struct fake_print *fake_printer_job(const struct printer *p, int i)
{
    return i >= 0 && i < p->njobs ? &p->jobs[i] : NULL;
}

bool fake_printer_says(const struct printer *p, int i, const char *text)
{
    const struct fake_print *f = fake_printer_job(p, i);
    for (int k = 0; f && k < f->doc.nlines; k++)
        if (strstr(f->doc.lines[k].text, text))
            return true;
    return false;
}

static int count_sending(struct journal *j)
{
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(journal_sqlite(j),
                           "SELECT count(*) FROM print_jobs WHERE state = 'sending'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* ---- printer.h ---------------------------------------------------------------------------- */

void printer_config_defaults(struct printer_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

enum printer_status printer_open(struct printer **out, const struct printer_config *cfg, char *err,
                                 size_t errlen)
{
    (void)cfg, (void)err, (void)errlen;
    *out = NULL;
    return PRINTER_ERR_CONFIG;
}

void printer_close(struct printer *p)
{
    fake_printer_free(p);
}

int printer_pollfds(struct printer *p, struct pollfd *fds, int max, int64_t *timeout_ms)
{
    (void)p, (void)fds, (void)max, (void)timeout_ms;
    return 0;
}

void printer_process(struct printer *p, const struct pollfd *fds, int nfds, int64_t now_ms)
{
    (void)p, (void)fds, (void)nfds, (void)now_ms;
}

enum printer_status printer_submit(struct printer *p, const struct print_doc *doc, char *err,
                                   size_t errlen)
{
    if (p->job != PRINTER_JOB_NONE)
        return PRINTER_ERR_BUSY;
    if (p->state != PRINTER_READY) {
        snprintf(err, errlen, "%s", p->line);
        return PRINTER_ERR_NOT_READY;
    }
    if (p->njobs == FAKE_PRINTER_MAX)
        return PRINTER_ERR_NOMEM;
    p->jobs[p->njobs].doc = *doc;
    p->jobs[p->njobs].owed_sending = count_sending(p->journal);
    p->njobs++;
    p->job = PRINTER_JOB_SENDING;
    p->sent = 0;
    return PRINTER_OK;
}

enum printer_job printer_job_state(const struct printer *p)
{
    return p->job;
}

size_t printer_job_sent(const struct printer *p)
{
    return p->sent;
}

void printer_job_clear(struct printer *p)
{
    if (p->job != PRINTER_JOB_SENDING)
        p->job = PRINTER_JOB_NONE;
}

enum printer_state printer_state(const struct printer *p)
{
    return p->state;
}

bool printer_paper_near_end(const struct printer *p)
{
    (void)p;
    return false;
}

const char *printer_status_line(const struct printer *p)
{
    return p->line;
}

unsigned printer_status_seq(const struct printer *p)
{
    return p->seq;
}
