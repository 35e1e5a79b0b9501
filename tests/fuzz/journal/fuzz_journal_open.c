/*
 * fuzz_journal_open.c - journal_open() on any file content.
 *
 * The input is the whole journal file. Invariant checked: a file the journal refuses
 * (corrupt, foreign, newer, unreadable) is byte for byte what it was. A file it accepts is
 * then read and written through every entry point (recovery, reports, a save, a sequence
 * number, the full check), which must neither crash nor trip the sanitizers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "reports.h"

static char dir[256], path[300], wal[310], shm[310];

static void remove_dir(void)
{
    unlink(wal);
    unlink(shm);
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/posterm-fuzz-journal-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/journal.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    atexit(remove_dir);
    return 0;
}

static int visit(void *ctx, const struct payment *p)
{
    (void)p;
    (*(int *)ctx)++;
    return 0;
}

static int visit_event(void *ctx, const struct journal_event *e)
{
    (void)e;
    (*(int *)ctx)++;
    return 0;
}

static void exercise(struct journal *j)
{
    int n = 0;
    (void)journal_count_unresolved(j, &n);
    (void)journal_each_unresolved(j, visit, &n);
    (void)report_payments(j, 0, INT64_MAX, false, visit, &n);
    (void)report_events(j, "T01-20261123-000001", visit_event, &n);
    struct report_day day;
    (void)report_totals(j, 0, INT64_MAX, &day);
    struct payment p;
    if (journal_load(j, "T01-20261123-000001", &p) != JOURNAL_OK) {
        memset(&p, 0, sizeof p);
        snprintf(p.order_no, sizeof p.order_no, "T01-20261123-000001");
        p.channel = CHANNEL_WECHAT;
        p.amount_fen = 100;
        p.created_at = 1700000000000;
    }
    p.state = PAY_PAID;
    (void)journal_save(j, &p, "fuzz", "", 1700000000001);
    uint32_t seq = 0;
    (void)journal_next_order_seq(j, &seq);
    (void)journal_check(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Each input alone: no WAL or shared memory left over from the one before. */
    unlink(wal);
    unlink(shm);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();

    struct journal *j = NULL;
    char err[1024];
    enum journal_status st = journal_open(&j, path, err, sizeof err);
    if (st == JOURNAL_OK) {
        exercise(j);
        journal_close(j);
        return 0;
    }
    if (j)
        abort(); /* a refusal hands back no handle */
    f = fopen(path, "rb");
    if (!f)
        abort();
    uint8_t *now = malloc(size + 1);
    size_t got = now ? fread(now, 1, size + 1, f) : 0;
    fclose(f);
    if (!now || got != size || memcmp(now, data, size) != 0) {
        fprintf(stderr, "refused (%s) and changed: %s\n", journal_status_reason(st), err);
        abort();
    }
    free(now);
    return 0;
}
