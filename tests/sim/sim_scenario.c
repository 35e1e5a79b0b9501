/*
 * sim_scenario.c - the scenario table and the script queue.
 *
 * The table is the single source for names, digits and defaults: README.md and --help
 * print from it, so they cannot drift apart.
 */
#include "sim_scenario.h"

#include <stdlib.h>
#include <string.h>

struct scenario_row {
    int digits; /* last two digits of the payment code, -1 = only by script */
    struct sim_plan plan;
    const char *what;
};

static const struct scenario_row table[] = {
    {0, {"success", BIZ_NORMAL, FAULT_NONE, 0, 0, false, 0, 0}, "paid at once"},
    {1,
     {"insufficient_funds", BIZ_NO_FUNDS, FAULT_NONE, 0, 0, false, 0, 0},
     "refused: insufficient funds (Alipay 40004 ACQ.BUYER_BALANCE_NOT_ENOUGH, WeChat 403 "
     "NOTENOUGH)"},
    {2,
     {"code_invalid", BIZ_CODE_INVALID, FAULT_NONE, 0, 0, false, 0, 0},
     "refused: code expired/invalid (Alipay 40004 ACQ.PAYMENT_AUTH_CODE_INVALID, WeChat 403 "
     "AUTHCODEEXPIRE)"},
    {3,
     {"confirm_then_paid", BIZ_CONFIRM_PAYS, FAULT_NONE, 8, 0, false, 0, 0},
     "customer confirms for 8 s (Alipay 10003, WeChat 202 USERPAYING), then paid"},
    {4,
     {"confirm_then_gave_up", BIZ_CONFIRM_GIVES_UP, FAULT_NONE, 8, 0, false, 0, 0},
     "customer confirms for 8 s, then gives up (trade closed, nothing charged)"},
    {5,
     {"slow_reply", BIZ_NORMAL, FAULT_DELAY, 5, 0, true, 0, 0},
     "charged at once, reply sent 5 s late"},
    {6,
     {"drop_after_commit", BIZ_NORMAL, FAULT_DROP, 0, 0, true, 0, 0},
     "charged, then the connection is closed without a reply"},
    {7,
     {"http_503", BIZ_NORMAL, FAULT_HTTP_503, 0, 0, false, 0, 0},
     "HTTP 503 page, nothing charged (script \"commit\":true charges first)"},
    {8,
     {"malformed_json", BIZ_NORMAL, FAULT_MALFORMED, 0, 0, true, 0, 0},
     "charged, reply is HTTP 200 with a body that is not JSON"},
    {9,
     {"truncated_body", BIZ_NORMAL, FAULT_TRUNCATED, 0, 0, true, 0, 0},
     "charged, reply cut off halfway (Content-Length larger than what is sent)"},
    {10,
     {"bad_signature", BIZ_NORMAL, FAULT_BAD_SIGNATURE, 0, 0, true, 0, 0},
     "charged, reply well-formed but its signature does not verify"},
    {11,
     {"query_not_found", BIZ_HIDDEN, FAULT_DROP, 5, 0, true, 0, 0},
     "charged, pay reply lost; queries say \"no such order\" for 5 s, then the paid trade"},
    {12,
     {"cancel_retry", BIZ_CANCEL_REFUSED, FAULT_NONE, 0, 3, false, 0, 0},
     "paid; the order's first 3 cancels are refused with retry (Alipay retry_flag=Y, WeChat 500)"},
    {13,
     {"system_error", BIZ_SYSTEM_ERROR, FAULT_NONE, 0, 0, false, 0, 0},
     "gateway system error, nothing charged (Alipay 20000 ACQ.SYSTEM_ERROR, WeChat 500 "
     "SYSTEM_ERROR)"},
    {14,
     {"http_500", BIZ_NORMAL, FAULT_HTTP_500, 0, 0, false, 0, 0},
     "HTTP 500 page, nothing charged"},
    {15,
     {"http_502", BIZ_NORMAL, FAULT_HTTP_502, 0, 0, false, 0, 0},
     "HTTP 502 page, nothing charged"},
    {16,
     {"unsigned_reply", BIZ_NORMAL, FAULT_UNSIGNED, 0, 0, true, 0, 0},
     "charged, reply without its signature (Alipay: no \"sign\"; WeChat: no Wechatpay-Signature)"},
    {17,
     {"signature_probe", BIZ_NORMAL, FAULT_SIGNATURE_PROBE, 0, 0, true, 0, 0},
     "charged, WeChat signature is a WECHATPAY/SIGNTEST/ probe (Alipay: as bad_signature)"},
    {18,
     {"stale_timestamp", BIZ_NORMAL, FAULT_STALE_TIMESTAMP, 0, 0, true, 0, 0},
     "charged, WeChat reply signed with a timestamp 10 minutes old (Alipay: as success)"},
    {19,
     {"other_order", BIZ_NORMAL, FAULT_OTHER_ORDER, 0, 0, true, 0, 0},
     "charged, reply correctly signed but about another order number"},
    {20,
     {"refund_processing", BIZ_REFUND_SLOW, FAULT_NONE, 5, 0, false, 0, 0},
     "paid; each refund of the order stays processing for 5 s (WeChat status PROCESSING, Alipay "
     "fund_change N), then succeeds"},
    {-1,
     {"success_no_amount", BIZ_NORMAL, FAULT_NO_AMOUNT, 0, 0, true, 0, 0},
     "charged, reply correctly signed but states no amount (WeChat: no amount object; Alipay: no "
     "total_amount)"},
    {-1,
     {"success_no_order", BIZ_NORMAL, FAULT_NO_ORDER, 0, 0, true, 0, 0},
     "charged, reply correctly signed but without out_trade_no"},
    {-1,
     {"unbound_refusal", BIZ_NO_FUNDS, FAULT_NO_ORDER, 0, 0, false, 0, 0},
     "refused: insufficient funds, error body without out_trade_no (as Alipay's often are)"},
    {-1,
     {"refund_short", BIZ_REFUND_SHORT, FAULT_NONE, 0, 0, false, 0, 0},
     "refund: succeeds for less than asked (script \"fen\"; default half), and the reply says so"},
};

#define TABLE_ROWS (sizeof table / sizeof table[0])

bool sim_scenario_by_name(const char *name, struct sim_plan *out)
{
    for (size_t i = 0; i < TABLE_ROWS; i++) {
        if (strcmp(table[i].plan.name, name) == 0) {
            *out = table[i].plan;
            return true;
        }
    }
    return false;
}

void sim_scenario_by_code(const char *auth_code, struct sim_plan *out)
{
    size_t len = strlen(auth_code);
    int digits = -1;
    if (len >= 2 && auth_code[len - 2] >= '0' && auth_code[len - 2] <= '9' &&
        auth_code[len - 1] >= '0' && auth_code[len - 1] <= '9')
        digits = (auth_code[len - 2] - '0') * 10 + (auth_code[len - 1] - '0');
    for (size_t i = 0; i < TABLE_ROWS; i++) {
        if (digits >= 0 && table[i].digits == digits) {
            *out = table[i].plan;
            return;
        }
    }
    *out = table[0].plan;
}

enum sim_op sim_scenario_default_op(const struct sim_plan *plan)
{
    switch (plan->biz) {
    case BIZ_NO_FUNDS:
    case BIZ_CODE_INVALID:
    case BIZ_CONFIRM_PAYS:
    case BIZ_CONFIRM_GIVES_UP:
    case BIZ_HIDDEN: return SIM_OP_PAY;
    case BIZ_CANCEL_REFUSED: return SIM_OP_CANCEL;
    case BIZ_REFUND_SLOW:
    case BIZ_REFUND_SHORT: return SIM_OP_REFUND;
    case BIZ_NORMAL:
    case BIZ_SYSTEM_ERROR: break;
    }
    /* "success" scripted with no op means "the next pays succeed", and so do the successes
     * that leave a fact out; transport faults hit any request. */
    if (plan->fault == FAULT_NO_AMOUNT || plan->fault == FAULT_NO_ORDER)
        return SIM_OP_PAY;
    return plan->fault == FAULT_NONE && plan->biz == BIZ_NORMAL ? SIM_OP_PAY : SIM_OP_ANY;
}

static const char *const op_names[] = {"pay", "query", "cancel", "refund", "qr", "close", "any"};

const char *sim_op_name(enum sim_op op)
{
    return op_names[op];
}

bool sim_op_from_name(const char *name, enum sim_op *out)
{
    for (int i = SIM_OP_PAY; i <= SIM_OP_ANY; i++) {
        if (strcmp(name, op_names[i]) == 0) {
            *out = (enum sim_op)i;
            return true;
        }
    }
    return false;
}

void sim_scenario_print_table(FILE *out)
{
    fprintf(out, "| code ends | scenario | what the gateway does |\n|---|---|---|\n");
    for (size_t i = 0; i < TABLE_ROWS; i++)
        if (table[i].digits >= 0)
            fprintf(out, "| ..%02d | %s | %s |\n", table[i].digits, table[i].plan.name,
                    table[i].what);
    fprintf(out, "| other | success | paid at once |\n");
    for (size_t i = 0; i < TABLE_ROWS; i++)
        if (table[i].digits < 0)
            fprintf(out, "| script only | %s | %s |\n", table[i].plan.name, table[i].what);
}

struct script_entry {
    struct sim_plan plan;
    int left;
    enum sim_op op;
    enum pay_channel channel;
};

struct sim_script {
    struct script_entry *entries;
    size_t n, cap;
};

struct sim_script *sim_script_new(void)
{
    return calloc(1, sizeof(struct sim_script));
}

void sim_script_free(struct sim_script *s)
{
    if (s == NULL)
        return;
    free(s->entries);
    free(s);
}

bool sim_script_push(struct sim_script *s, const struct sim_plan *plan, int count, enum sim_op op,
                     enum pay_channel channel)
{
    if (count <= 0)
        return false;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct script_entry *e = realloc(s->entries, cap * sizeof *e);
        if (e == NULL)
            return false;
        s->entries = e;
        s->cap = cap;
    }
    s->entries[s->n++] = (struct script_entry){*plan, count, op, channel};
    return true;
}

bool sim_script_take(struct sim_script *s, enum sim_op op, enum pay_channel channel,
                     struct sim_plan *out)
{
    for (size_t i = 0; i < s->n; i++) {
        struct script_entry *e = &s->entries[i];
        if ((e->op != SIM_OP_ANY && e->op != op) ||
            (e->channel != CHANNEL_NONE && e->channel != channel))
            continue;
        *out = e->plan;
        if (--e->left == 0) {
            memmove(e, e + 1, (s->n - i - 1) * sizeof *e);
            s->n--;
        }
        return true;
    }
    return false;
}

void sim_script_clear(struct sim_script *s)
{
    s->n = 0;
}

int sim_script_pending(const struct sim_script *s)
{
    int total = 0;
    for (size_t i = 0; i < s->n; i++)
        total += s->entries[i].left;
    return total;
}
