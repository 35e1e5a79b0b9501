/*
 * test_core_engine_regressions.c - regressions: cases where the first engine broke its promises
 * (a late reply of another op taken for the one out, a refund reply for another request
 * number, a repeated refund number, "no such order" as failure, a resumed final payment).
 * Each row is written as the promise reads.
 */
#include "check.h"
#include "engine_script.h"
#include "money.h"

#define PAYING_      "create @10000 scan"
#define QUERY_IDLE   PAYING_ " @11000 pay:U"
#define QUERY_WAIT   QUERY_IDLE " fire"
#define CANCEL_WAIT  QUERY_IDLE " @55000 timer"
#define REFUSED_WAIT CANCEL_WAIT " @56000 cancel:F"
#define PAID_        PAYING_ " @11000 pay:S"
#define REFUND_WAIT  PAID_ " @20000 rf:300:1"

struct row {
    const char *why;
    const char *setup;
    const char *event;
    enum engine_status status;
    enum pay_state state;
    const char *actions;
    const char *fields;
};

static const struct row rows[] = {
    {"1: a late query reply while the cancel is out is taken as the cancel-refused query",
     CANCEL_WAIT " @56000", "query:S", ENGINE_STALE, PAY_CANCELLING, "", "flight=1"},
    {"1: a late cancel reply while the query after a refused cancel is out", REFUSED_WAIT " @57000",
     "cancel:S", ENGINE_STALE, PAY_CANCELLING, "", "flight=1"},
    {"2: a refund reply for another refund number is taken as this refund's", REFUND_WAIT " @21000",
     "refund:S+rno", ENGINE_STALE, PAY_REFUNDING, "", "refunded=0"},
    {"3: the number of a completed refund again starts a second refund",
     REFUND_WAIT " @21000 refund:S @22000", "rf:300:1", ENGINE_INVALID, PAY_PAID, "",
     "refunded=300"},
    {"4: no such order is not a definite failure, whatever kind the adapter gave it",
     QUERY_WAIT " @14500", "query:F+nso", ENGINE_OK, PAY_QUERYING, "T(19500)", ""},
    {"5: resuming a final payment is STALE yet rewrites sent_mono", PAID_ " mono=500", "resume",
     ENGINE_STALE, PAY_PAID, "", "sent=0"},
};

static int check_row(const struct row *r)
{
    struct script s;
    char got[256], why[640];
    int bad = 0;
    script_init(&s);
    if (!script_run(&s, r->setup, 1) || !script_run(&s, r->event, 0)) {
        fprintf(stderr, "[%s] %s\n", r->why, s.error);
        return 1;
    }
    script_render(&s.out, got, sizeof got);
    if (s.st != r->status || s.p.state != r->state || strcmp(got, r->actions) != 0) {
        fprintf(stderr, "[%s]\n  got %s, %s, \"%s\"; wanted %s, %s, \"%s\"\n", r->why,
                engine_status_reason(s.st), pay_state_name(s.p.state), got,
                engine_status_reason(r->status), pay_state_name(r->state), r->actions);
        bad = 1;
    }
    char fields[256], *save = NULL;
    snprintf(fields, sizeof fields, "%s", r->fields);
    for (char *kv = strtok_r(fields, " ", &save); kv; kv = strtok_r(NULL, " ", &save))
        if (!script_field_matches(&s, kv, why, sizeof why)) {
            fprintf(stderr, "[%s] %s\n", r->why, why);
            bad = 1;
        }
    return bad;
}

/* 7: money.h promises MONEY_OVERFLOW only for what does not fit int64 fen. */
static void test_money_top(void)
{
    int64_t fen = 0;
    CHECK_EQ_INT(money_parse("92233720368547758.07", 0, &fen), MONEY_OK);
    CHECK_EQ_INT(fen, INT64_MAX);
    CHECK_EQ_INT(money_parse("92233720368547750", 0, &fen), MONEY_OK);
    CHECK_EQ_INT(money_parse("92233720368547758.08", 0, &fen), MONEY_OVERFLOW);
}

int main(void)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK(!check_row(&rows[i]));
    test_money_top();
    return check_done();
}
