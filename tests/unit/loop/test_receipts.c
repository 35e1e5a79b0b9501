/*
 * test_receipts.c - the print queue (app/receipts.c) in the event loop: a real journal in a
 * private temporary folder, the scripted gateway, the scripted printer of fake_printer.h and
 * a clock the test moves.
 *
 * Each test defends one promise: a paid sale prints its receipt once, marked sending in the
 * journal before it went out; a printer not ready holds the job and prints it when it is back
 * while the payment stays paid; a failure after bytes went out, and a restart with a job
 * sending, print it again marked as a reprint (never unmarked), a failure before any byte
 * prints it unmarked; a refund prints its slip; the cashier's reprint is marked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "config.h"
#include "fake_gateway.h"
#include "fake_printer.h"
#include "fake_clock.h"
#include "journal.h"
#include "loop.h"
#include "receipts.h"

#define WECHAT_CODE "134567890123456789"

static char dir[4096], path[4200];

/* What the queue told. */
struct told {
    int what[RECEIPTS_JOURNAL + 1];
    bool last_bytes_out;
};

static void heard(void *ctx, const struct receipts_event *e)
{
    struct told *t = ctx;
    t->what[e->what]++;
    if (e->what == RECEIPTS_FAILED)
        t->last_bytes_out = e->bytes_out;
}

struct rig {
    struct config cfg;
    struct journal *journal;
    struct gateway *gateway;
    struct printer *printer;
    struct receipts *receipts;
    struct fake_clock clock;
    struct told told;
    struct loop *loop;
};

static bool rig_open(struct rig *r, struct printer *keep_printer)
{
    struct fake_clock clock =
        r->clock.mono ? r->clock : (struct fake_clock){1000000, 1765000000000};
    memset(r, 0, sizeof *r);
    r->clock = clock;
    config_defaults(&r->cfg);
    snprintf(r->cfg.terminal_id, sizeof r->cfg.terminal_id, "T01");
    r->cfg.gateway.wechat.enabled = true;
    snprintf(r->cfg.scanner.source, sizeof r->cfg.scanner.source, "none");
    char err[1024] = "";
    if (journal_open_checked(&r->journal, path, JOURNAL_CHECK_AT_START, err, sizeof err) !=
        JOURNAL_OK) {
        fprintf(stderr, "journal: %s\n", err);
        return false;
    }
    journal_set_receipts(r->journal, true, false);
    r->gateway = fake_gateway_new(r->journal);
    r->printer = keep_printer ? keep_printer : fake_printer_new(r->journal);
    struct loop_clock lc = fake_clock_of(&r->clock);
    if (!r->gateway || !r->printer ||
        loop_open(&r->loop, &r->cfg, r->journal, NULL, r->gateway, NULL, &lc, NULL) != LOOP_OK)
        return false;
    struct receipts_config rc = {
        .header = {.merchant = "Test Shop", .store = "Store 1", .terminal = "T01"},
        .lang = UI_LANG_EN,
        .columns = DOC_COLUMNS_58MM,
        .retry_ms = 100,
        .probe_ms = 10,
    };
    struct receipts_observer obs = {&r->told, heard};
    r->receipts = receipts_open(&rc, r->journal, r->printer, &lc, &obs);
    if (!r->receipts)
        return false;
    struct loop_service s = receipts_service(r->receipts);
    return loop_add_service(r->loop, &s) == LOOP_OK;
}

static void rig_close(struct rig *r, bool keep_printer)
{
    receipts_close(r->receipts);
    loop_close(r->loop);
    fake_gateway_free(r->gateway);
    if (!keep_printer)
        fake_printer_free(r->printer);
    journal_close(r->journal);
}

/* A few turns of the loop, the clock moved past the queue's probe and retry each time. */
static void turns(struct rig *r, int n)
{
    for (int i = 0; i < n; i++) {
        r->clock.mono += 150;
        r->clock.wall += 150;
        (void)loop_poll(r->loop, NULL, 0, 0);
    }
}

static void fresh_journal(const char *name)
{
    snprintf(path, sizeof path, "%s/%s.db", dir, name);
}

static void pay(struct rig *r, int64_t amount_fen, char *order_no)
{
    int first = fake_gateway_sent(r->gateway);
    CHECK_EQ_INT(loop_start_payment(r->loop, amount_fen), LOOP_OK);
    CHECK_EQ_INT(loop_scan(r->loop, WECHAT_CODE), LOOP_OK);
    fake_gateway_answer(r->gateway, first, GW_SUCCESS);
    (void)loop_poll(r->loop, NULL, 0, 0);
    const struct payment *p = loop_current(r->loop);
    CHECK(p && p->state == PAY_PAID);
    snprintf(order_no, ORDER_NO_MAX + 1, "%s", p ? p->order_no : "");
}

static bool doc_has_code(const struct print_doc *d)
{
    for (int k = 0; k < d->nlines; k++)
        if (strstr(d->lines[k].text, WECHAT_CODE) || strstr(d->lines[k].text, "13456789012345"))
            return true;
    return false;
}

static void sale_prints_once(void)
{
    fresh_journal("sale");
    struct rig r = {0};
    if (!rig_open(&r, NULL))
        return;
    char order_no[ORDER_NO_MAX + 1];
    pay(&r, 1230, order_no);
    turns(&r, 2);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 1);
    const struct fake_print *f = fake_printer_job(r.printer, 0);
    if (f) {
        CHECK_EQ_INT(f->owed_sending, 1); /* marked before it went out */
        CHECK(fake_printer_says(r.printer, 0, order_no));
        CHECK(fake_printer_says(r.printer, 0, "****6789"));
        CHECK(fake_printer_says(r.printer, 0, "12.30"));
        CHECK(!fake_printer_says(r.printer, 0, "REPRINT"));
        CHECK(!doc_has_code(&f->doc));
    }
    CHECK_EQ_INT(receipts_waiting(r.receipts), 1);
    fake_printer_finish(r.printer, true, 500);
    turns(&r, 3);
    CHECK_EQ_INT(r.told.what[RECEIPTS_PRINTED], 1);
    CHECK_EQ_INT(receipts_waiting(r.receipts), 0);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 1); /* once */
    rig_close(&r, false);
}

static void printer_not_ready(void)
{
    fresh_journal("paper");
    struct rig r = {0};
    if (!rig_open(&r, NULL))
        return;
    fake_printer_set_state(r.printer, PRINTER_PAPER_OUT, "fake printer: paper out");
    char order_no[ORDER_NO_MAX + 1];
    pay(&r, 500, order_no);
    turns(&r, 5);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 0);
    CHECK_EQ_INT(receipts_waiting(r.receipts), 1);
    bool ready = true;
    CHECK_EQ_STR(receipts_printer_line(r.receipts, &ready), "fake printer: paper out");
    CHECK(!ready);
    CHECK(r.told.what[RECEIPTS_PRINTER] >= 1);
    CHECK_EQ_INT(loop_current(r.loop)->state, PAY_PAID);

    fake_printer_set_state(r.printer, PRINTER_READY, "fake printer: ready");
    turns(&r, 2);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 1);
    CHECK(!fake_printer_says(r.printer, 0, "REPRINT"));
    fake_printer_finish(r.printer, true, 100);
    turns(&r, 3);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 1);
    CHECK_EQ_INT(receipts_waiting(r.receipts), 0);
    rig_close(&r, false);
}

static void failures_and_marks(void)
{
    fresh_journal("failures");
    struct rig r = {0};
    if (!rig_open(&r, NULL))
        return;
    char order_no[ORDER_NO_MAX + 1];
    pay(&r, 800, order_no);
    turns(&r, 2);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 1);

    /* Failed before any byte: printed again, unmarked. */
    fake_printer_finish(r.printer, false, 0);
    turns(&r, 3);
    CHECK_EQ_INT(r.told.what[RECEIPTS_FAILED], 1);
    CHECK(!r.told.last_bytes_out);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 2);
    CHECK(!fake_printer_says(r.printer, 1, "REPRINT"));

    /* Failed with bytes out: printed again, marked, and marked from then on. */
    fake_printer_finish(r.printer, false, 40);
    turns(&r, 3);
    CHECK(r.told.last_bytes_out);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 3);
    CHECK(fake_printer_says(r.printer, 2, "REPRINT"));
    fake_printer_finish(r.printer, false, 0);
    turns(&r, 3);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 4);
    CHECK(fake_printer_says(r.printer, 3, "REPRINT"));
    fake_printer_finish(r.printer, true, 600);
    turns(&r, 3);
    CHECK_EQ_INT(receipts_waiting(r.receipts), 0);

    /* The cashier's reprint: marked. An unknown order or an unpaid one: refused. */
    CHECK_EQ_INT(receipts_reprint(r.receipts, order_no), RECEIPTS_OK);
    CHECK_EQ_INT(receipts_reprint(r.receipts, "T01-NOSUCHOR-000009"), RECEIPTS_NO_ORDER);
    turns(&r, 2);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 5);
    CHECK(fake_printer_says(r.printer, 4, "REPRINT"));
    CHECK(fake_printer_says(r.printer, 4, order_no));
    fake_printer_finish(r.printer, true, 600);
    turns(&r, 2);
    rig_close(&r, false);
}

static void restart_while_sending(void)
{
    fresh_journal("restart");
    struct rig r = {0};
    if (!rig_open(&r, NULL))
        return;
    char order_no[ORDER_NO_MAX + 1];
    pay(&r, 900, order_no);
    turns(&r, 2);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 1);
    CHECK(!fake_printer_says(r.printer, 0, "REPRINT"));
    /* posterm stops with the job under way: neither done nor failed. */
    struct printer *printer = r.printer;
    rig_close(&r, true);
    fake_printer_free(printer);

    if (!rig_open(&r, NULL))
        return;
    turns(&r, 2);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 1);
    CHECK(fake_printer_says(r.printer, 0, "REPRINT"));
    CHECK(fake_printer_says(r.printer, 0, order_no));
    fake_printer_finish(r.printer, true, 600);
    turns(&r, 2);
    CHECK_EQ_INT(receipts_waiting(r.receipts), 0);
    rig_close(&r, false);
}

static void refund_slip(void)
{
    fresh_journal("refund");
    struct rig r = {0};
    if (!rig_open(&r, NULL))
        return;
    char order_no[ORDER_NO_MAX + 1];
    pay(&r, 1000, order_no);
    turns(&r, 2);
    fake_printer_finish(r.printer, true, 600);
    turns(&r, 2);
    int n = fake_gateway_sent(r.gateway);
    CHECK_EQ_INT(loop_refund(r.loop, order_no, 300, NULL), LOOP_OK);
    fake_gateway_answer(r.gateway, n, GW_SUCCESS);
    turns(&r, 3);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 2);
    CHECK(fake_printer_says(r.printer, 1, "REFUND"));
    CHECK(fake_printer_says(r.printer, 1, "3.00"));
    CHECK(fake_printer_says(r.printer, 1, order_no));
    fake_printer_finish(r.printer, true, 600);

    /* The day's report, when asked. */
    CHECK_EQ_INT(receipts_day_report(r.receipts, 20251206), RECEIPTS_OK);
    turns(&r, 3);
    CHECK_EQ_INT(fake_printer_jobs(r.printer), 3);
    CHECK(fake_printer_says(r.printer, 2, "END OF DAY"));
    rig_close(&r, false);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/posterm-receipts-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    sale_prints_once();
    printer_not_ready();
    failures_and_marks();
    restart_while_sending();
    refund_slip();

    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_done();
}
