/*
 * test_sim_alipay.c - the simulator speaking Alipay OpenAPI to a signing client: every
 * scenario of the code table, signature rejection, the ledger after each, cancel before pay,
 * refund idempotency, the refund query, replies that leave out a fact, short refunds.
 *
 * usage: test_sim_alipay PATH/TO/posterm-sim
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim_client.h"

static struct simproc sim;

/* An 18-digit Alipay payment code ending in the scenario's two digits. */
static const char *code_ending(const char *digits)
{
    static char code[32];
    snprintf(code, sizeof code, "2876543210987654%s", digits);
    return code;
}

struct reply {
    struct http_result http;
    cJSON *resp;
    bool parsed, verified;
};

static void reply_free(struct reply *r)
{
    http_result_free(&r->http);
    cJSON_Delete(r->resp);
    memset(r, 0, sizeof *r);
}

static void call(const char *method, const char *biz, long timeout_ms, struct reply *r)
{
    memset(r, 0, sizeof *r);
    if (!alipay_call(&sim, method, biz, NULL, timeout_ms, &r->http))
        return;
    if (r->http.rc == CURLE_OK)
        r->parsed = alipay_reply(&sim, &r->http, method, &r->resp, &r->verified);
}

static void pay(const char *order, const char *code, const char *yuan, long timeout_ms,
                struct reply *r)
{
    char biz[512];
    snprintf(biz, sizeof biz,
             "{\"out_trade_no\":\"%s\",\"scene\":\"bar_code\",\"auth_code\":\"%s\","
             "\"subject\":\"posterm test \\\"quoted\\\" {braces}\",\"total_amount\":\"%s\"}",
             order, code, yuan);
    call("alipay.trade.pay", biz, timeout_ms, r);
}

static void by_order(const char *method, const char *order, struct reply *r)
{
    char biz[128];
    snprintf(biz, sizeof biz, "{\"out_trade_no\":\"%s\"}", order);
    call(method, biz, 10000, r);
}

static void refund(const char *order, const char *request_no, const char *yuan, struct reply *r)
{
    char biz[256];
    snprintf(biz, sizeof biz,
             "{\"out_trade_no\":\"%s\",\"out_request_no\":\"%s\",\"refund_amount\":\"%s\"}", order,
             request_no, yuan);
    call("alipay.trade.refund", biz, 10000, r);
}

/* The audit's view of one order: charged count and state ("" when the order is unknown). */
static void audit_of(const char *order, int *charged, char *state, size_t size)
{
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    *charged = t ? (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "charged")) : -1;
    snprintf(state, size, "%s", t ? json_text(t, "state") : "");
    cJSON_Delete(audit);
}

static void test_success(void)
{
    char order[33];
    struct reply r;
    test_order_no(order, "A");
    pay(order, code_ending("00"), "12.30", 10000, &r);
    CHECK(r.parsed);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK_EQ_STR(json_text(r.resp, "out_trade_no"), order);
    CHECK_EQ_STR(json_text(r.resp, "total_amount"), "12.30");
    CHECK(strlen(json_text(r.resp, "trade_no")) == 28);
    reply_free(&r);

    by_order("alipay.trade.query", order, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "trade_status"), "TRADE_SUCCESS");
    reply_free(&r);

    /* The same order paid again never charges twice. */
    pay(order, code_ending("00"), "12.30", 10000, &r);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.TRADE_HAS_SUCCESS");
    reply_free(&r);

    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    CHECK(t != NULL);
    CHECK_EQ_STR(json_text(t, "channel"), "alipay");
    CHECK_EQ_STR(json_text(t, "state"), "charged");
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "amount_fen")), 1230);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "charged")), 1);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "pay_requests")), 2);
    CHECK_EQ_STR(json_text(t, "code_last4"), "5400");
    cJSON_Delete(audit);
}

static void test_refusals(void)
{
    static const struct {
        const char *digits, *sub_code;
    } cases[] = {
        {"01", "ACQ.BUYER_BALANCE_NOT_ENOUGH"},
        {"02", "ACQ.PAYMENT_AUTH_CODE_INVALID"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char order[33], state[32];
        int charged;
        struct reply r;
        test_order_no(order, "A");
        pay(order, code_ending(cases[i].digits), "5.00", 10000, &r);
        CHECK(r.verified);
        CHECK_EQ_STR(json_text(r.resp, "code"), "40004");
        CHECK_EQ_STR(json_text(r.resp, "sub_code"), cases[i].sub_code);
        reply_free(&r);
        audit_of(order, &charged, state, sizeof state);
        CHECK_EQ_INT(charged, 0);
        CHECK_EQ_STR(state, "closed");
    }
    /* Not an Alipay code at all: refused before any trade exists. */
    char order[33], state[32];
    int charged;
    struct reply r;
    test_order_no(order, "A");
    pay(order, "134567890123456700", "5.00", 10000, &r);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.PAYMENT_AUTH_CODE_INVALID");
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, -1);
}

/* A refusal names its order; unbound_refusal is the same refusal without it. */
static void test_refusal_binding(void)
{
    char order[33], state[32];
    int charged;
    struct reply r;
    test_order_no(order, "A");
    pay(order, code_ending("01"), "5.00", 10000, &r);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.BUYER_BALANCE_NOT_ENOUGH");
    CHECK_EQ_STR(json_text(r.resp, "out_trade_no"), order);
    reply_free(&r);

    CHECK(sim_script(&sim, "{\"scenario\":\"unbound_refusal\"}"));
    test_order_no(order, "A");
    pay(order, code_ending("00"), "5.00", 10000, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "40004");
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.BUYER_BALANCE_NOT_ENOUGH");
    CHECK(!cJSON_HasObjectItem(r.resp, "out_trade_no"));
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 0);
    CHECK_EQ_STR(state, "closed");
}

/* Verified successes that leave out the amount or the order number; the money is taken. */
static void test_missing_facts(void)
{
    char order[33], state[32];
    int charged;
    struct reply r;
    CHECK(sim_script(&sim, "{\"scenario\":\"success_no_amount\"}"));
    test_order_no(order, "A");
    pay(order, code_ending("00"), "12.30", 10000, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK_EQ_STR(json_text(r.resp, "out_trade_no"), order);
    CHECK(!cJSON_HasObjectItem(r.resp, "total_amount"));
    CHECK(!cJSON_HasObjectItem(r.resp, "receipt_amount"));
    CHECK(!cJSON_HasObjectItem(r.resp, "buyer_pay_amount"));
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);
    /* Only the pay's reply: the query states the amount. */
    by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "total_amount"), "12.30");
    reply_free(&r);

    CHECK(sim_script(&sim, "{\"scenario\":\"success_no_order\"}"));
    test_order_no(order, "A");
    pay(order, code_ending("00"), "12.30", 10000, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK(!cJSON_HasObjectItem(r.resp, "out_trade_no"));
    CHECK_EQ_STR(json_text(r.resp, "total_amount"), "12.30");
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);
}

static void refund_query(const char *order, const char *request_no, struct reply *r)
{
    char biz[256];
    snprintf(biz, sizeof biz, "{\"out_trade_no\":\"%s\",\"out_request_no\":\"%s\"}", order,
             request_no);
    call("alipay.trade.fastpay.refund.query", biz, 10000, r);
}

/* alipay.trade.fastpay.refund.query, and a refund granted for less than asked. */
static void test_refund_query(void)
{
    char order[33];
    struct reply r;
    test_order_no(order, "A");
    pay(order, code_ending("00"), "10.00", 10000, &r);
    reply_free(&r);
    refund(order, "Q1", "3.00", &r);
    reply_free(&r);
    refund_query(order, "Q1", &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK_EQ_STR(json_text(r.resp, "out_trade_no"), order);
    CHECK_EQ_STR(json_text(r.resp, "out_request_no"), "Q1");
    CHECK_EQ_STR(json_text(r.resp, "refund_amount"), "3.00");
    CHECK_EQ_STR(json_text(r.resp, "total_amount"), "10.00");
    CHECK_EQ_STR(json_text(r.resp, "refund_status"), "REFUND_SUCCESS");
    CHECK(strlen(json_text(r.resp, "trade_no")) == 28);
    reply_free(&r);
    /* A request number the gateway does not know: 10000, nothing else. */
    refund_query(order, "Q9", &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK(!cJSON_HasObjectItem(r.resp, "refund_status"));
    CHECK(!cJSON_HasObjectItem(r.resp, "out_request_no"));
    CHECK(!cJSON_HasObjectItem(r.resp, "refund_amount"));
    reply_free(&r);
    /* An order it does not know. */
    char unknown[33];
    test_order_no(unknown, "A");
    refund_query(unknown, "Q1", &r);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.TRADE_NOT_EXIST");
    reply_free(&r);
    /* Missing out_request_no. */
    by_order("alipay.trade.fastpay.refund.query", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.INVALID_PARAMETER");
    reply_free(&r);

    /* Short: 4.00 asked, 1.50 given back; both replies say 1.50, and a repeat of the request
     * (same number, same 4.00) is recognised as the same refund. */
    CHECK(sim_script(&sim, "{\"scenario\":\"refund_short\",\"fen\":150}"));
    refund(order, "Q2", "4.00", &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK_EQ_STR(json_text(r.resp, "refund_fee"), "4.50");
    CHECK_EQ_STR(json_text(r.resp, "send_back_fee"), "1.50");
    reply_free(&r);
    refund(order, "Q2", "4.00", &r);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK_EQ_STR(json_text(r.resp, "fund_change"), "N");
    CHECK_EQ_STR(json_text(r.resp, "refund_fee"), "4.50");
    reply_free(&r);
    refund_query(order, "Q2", &r);
    CHECK_EQ_STR(json_text(r.resp, "refund_amount"), "1.50");
    reply_free(&r);
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "refunded_fen")), 450);
    const cJSON *q2 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(t, "refunds"), 1);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(q2, "amount_fen")), 150);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(q2, "requested_fen")), 400);
    cJSON_Delete(audit);

    /* Still processing: the query does not say REFUND_SUCCESS yet. */
    test_order_no(order, "A");
    pay(order, code_ending("20"), "10.00", 10000, &r);
    reply_free(&r);
    refund(order, "Q3", "10.00", &r);
    reply_free(&r);
    refund_query(order, "Q3", &r);
    CHECK_EQ_STR(json_text(r.resp, "out_request_no"), "Q3");
    CHECK(!cJSON_HasObjectItem(r.resp, "refund_status"));
    reply_free(&r);
}

static void test_confirming(void)
{
    char order[33];
    struct reply r;
    /* ..03: waiting for the buyer, for 8 s by the table. */
    test_order_no(order, "A");
    pay(order, code_ending("03"), "8.88", 10000, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10003");
    reply_free(&r);
    by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "trade_status"), "WAIT_BUYER_PAY");
    reply_free(&r);
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    double left = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "confirm_remaining_ms"));
    CHECK(left > 0 && left <= 8000);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "confirm_pays")));
    CHECK_EQ_STR(json_text(t, "state"), "paying");
    cJSON_Delete(audit);

    /* The same, scripted to 1 s: then the trade is paid. */
    CHECK(sim_script(&sim, "{\"scenario\":\"confirm_then_paid\",\"seconds\":1}"));
    test_order_no(order, "A");
    pay(order, code_ending("00"), "8.88", 10000, &r);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10003");
    reply_free(&r);
    test_sleep_ms(1300);
    by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "trade_status"), "TRADE_SUCCESS");
    reply_free(&r);

    /* ..04 scripted to 1 s: the customer gives up, the trade closes unpaid. */
    CHECK(sim_script(&sim, "{\"scenario\":\"confirm_then_gave_up\",\"seconds\":1}"));
    test_order_no(order, "A");
    pay(order, code_ending("04"), "8.88", 10000, &r);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10003");
    reply_free(&r);
    test_sleep_ms(1300);
    by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "trade_status"), "TRADE_CLOSED");
    reply_free(&r);
    char state[32];
    int charged;
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 0);
    CHECK_EQ_STR(state, "closed");
}

/* Transport faults: each commits the charge (except 503 and system error) and damages the
 * reply; the audit says what really happened. */
static void test_faults(void)
{
    char order[33], state[32];
    int charged;
    struct reply r;

    test_order_no(order, "A");
    pay(order, code_ending("05"), "1.00", 500, &r); /* reply 5 s late; client gives up */
    CHECK_EQ_INT(r.http.rc, CURLE_OPERATION_TIMEDOUT);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    test_order_no(order, "A");
    pay(order, code_ending("06"), "1.00", 10000, &r);
    CHECK_EQ_INT(r.http.rc, CURLE_GOT_NOTHING);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    test_order_no(order, "A");
    pay(order, code_ending("07"), "1.00", 10000, &r);
    CHECK_EQ_INT(r.http.rc, CURLE_OK);
    CHECK_EQ_INT(r.http.status, 503);
    CHECK(!r.parsed);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, -1);
    by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.TRADE_NOT_EXIST");
    reply_free(&r);

    test_order_no(order, "A");
    pay(order, code_ending("08"), "1.00", 10000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(!r.parsed);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    test_order_no(order, "A");
    pay(order, code_ending("09"), "1.00", 10000, &r);
    CHECK_EQ_INT(r.http.rc, CURLE_PARTIAL_FILE);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    test_order_no(order, "A");
    pay(order, code_ending("10"), "1.00", 10000, &r);
    CHECK(r.parsed);
    CHECK(!r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    test_order_no(order, "A");
    pay(order, code_ending("13"), "1.00", 10000, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "20000");
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.SYSTEM_ERROR");
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, -1);

    /* Signature trouble on a committed charge: missing, probe, and a reply about another order. */
    test_order_no(order, "A");
    pay(order, code_ending("16"), "1.00", 10000, &r);
    CHECK(r.parsed);
    CHECK(!r.verified);
    CHECK(strstr(r.http.body, "\"sign\"") == NULL);
    reply_free(&r);
    test_order_no(order, "A");
    pay(order, code_ending("17"), "1.00", 10000, &r);
    CHECK(r.parsed);
    CHECK(!r.verified);
    reply_free(&r);
    test_order_no(order, "A");
    pay(order, code_ending("18"), "1.00", 10000, &r);
    CHECK(r.verified);
    reply_free(&r);
    test_order_no(order, "A");
    pay(order, code_ending("19"), "1.00", 10000, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK(strcmp(json_text(r.resp, "out_trade_no"), order) != 0);
    CHECK_EQ_INT(strlen(json_text(r.resp, "out_trade_no")), strlen(order));
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    /* A 503 with "commit": the gateway charged, then failed. */
    CHECK(sim_script(&sim, "{\"scenario\":\"http_503\",\"commit\":true,\"op\":\"pay\"}"));
    test_order_no(order, "A");
    pay(order, code_ending("00"), "1.00", 10000, &r);
    CHECK_EQ_INT(r.http.status, 503);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);
}

static void test_query_not_found(void)
{
    char order[33];
    struct reply r;
    /* ..11: pay committed, its reply lost, and the trade hidden from queries for 5 s. */
    test_order_no(order, "A");
    pay(order, code_ending("11"), "3.00", 10000, &r);
    CHECK_EQ_INT(r.http.rc, CURLE_GOT_NOTHING);
    reply_free(&r);
    by_order("alipay.trade.query", order, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.TRADE_NOT_EXIST");
    reply_free(&r);
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "charged")), 1);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "hidden_remaining_ms")) > 0);
    cJSON_Delete(audit);

    /* Scripted to 1 s: afterwards the paid trade appears. */
    CHECK(sim_script(&sim, "{\"scenario\":\"query_not_found\",\"seconds\":1}"));
    test_order_no(order, "A");
    pay(order, code_ending("00"), "3.00", 10000, &r);
    CHECK_EQ_INT(r.http.rc, CURLE_GOT_NOTHING);
    reply_free(&r);
    by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.TRADE_NOT_EXIST");
    reply_free(&r);
    test_sleep_ms(1300);
    by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "trade_status"), "TRADE_SUCCESS");
    reply_free(&r);
}

static void test_cancel(void)
{
    char order[33];
    struct reply r;
    /* ..12: three cancels refused with retry_flag=Y, the fourth reverses the charge. */
    test_order_no(order, "A");
    pay(order, code_ending("12"), "4.56", 10000, &r);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    reply_free(&r);
    for (int i = 0; i < 3; i++) {
        by_order("alipay.trade.cancel", order, &r);
        CHECK(r.verified);
        CHECK_EQ_STR(json_text(r.resp, "code"), "40004");
        CHECK_EQ_STR(json_text(r.resp, "retry_flag"), "Y");
        reply_free(&r);
    }
    by_order("alipay.trade.cancel", order, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK_EQ_STR(json_text(r.resp, "retry_flag"), "N");
    CHECK_EQ_STR(json_text(r.resp, "action"), "refund");
    reply_free(&r);
    by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "trade_status"), "TRADE_CLOSED");
    reply_free(&r);
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    CHECK_EQ_STR(json_text(t, "state"), "cancelled");
    CHECK_EQ_STR(json_text(t, "cancel_action"), "refund");
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "refunded_fen")), 456);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "cancel_requests")), 4);
    cJSON_Delete(audit);

    /* Cancel while the customer is still confirming: closed, and it never gets charged. */
    CHECK(sim_script(&sim, "{\"scenario\":\"confirm_then_paid\",\"seconds\":1}"));
    test_order_no(order, "A");
    pay(order, code_ending("00"), "4.56", 10000, &r);
    reply_free(&r);
    by_order("alipay.trade.cancel", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "action"), "close");
    reply_free(&r);
    test_sleep_ms(1200);
    char state[32];
    int charged;
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 0);
    CHECK_EQ_STR(state, "cancelled");

    /* Cancel before pay: recorded, and the late pay is refused. */
    test_order_no(order, "A");
    by_order("alipay.trade.cancel", order, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK_EQ_STR(json_text(r.resp, "action"), "close");
    reply_free(&r);
    pay(order, code_ending("00"), "4.56", 10000, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.TRADE_HAS_CLOSE");
    reply_free(&r);
    audit = sim_audit(&sim);
    t = audit_trade(audit, order);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "cancel_before_pay")));
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "charged")), 0);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "late_pays_refused")), 1);
    cJSON_Delete(audit);

    /* A scripted refusal hits the next cancel only. */
    CHECK(sim_script(&sim, "{\"scenario\":\"cancel_retry\",\"count\":1,\"channel\":\"alipay\"}"));
    test_order_no(order, "A");
    by_order("alipay.trade.cancel", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "retry_flag"), "Y");
    reply_free(&r);
    by_order("alipay.trade.cancel", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "retry_flag"), "N");
    reply_free(&r);
}

static void test_refunds(void)
{
    char order[33];
    struct reply r;
    test_order_no(order, "A");
    pay(order, code_ending("00"), "10.00", 10000, &r);
    reply_free(&r);
    refund(order, "R1", "3.00", &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK_EQ_STR(json_text(r.resp, "fund_change"), "Y");
    CHECK_EQ_STR(json_text(r.resp, "refund_fee"), "3.00");
    reply_free(&r);
    /* Same request number and amount: the earlier result, no money moves. */
    refund(order, "R1", "3.00", &r);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK_EQ_STR(json_text(r.resp, "fund_change"), "N");
    CHECK_EQ_STR(json_text(r.resp, "refund_fee"), "3.00");
    reply_free(&r);
    refund(order, "R1", "2.00", &r);
    CHECK_EQ_STR(json_text(r.resp, "code"), "40004");
    reply_free(&r);
    refund(order, "R2", "7.01", &r);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL");
    reply_free(&r);
    refund(order, "R2", "7.00", &r);
    CHECK_EQ_STR(json_text(r.resp, "refund_fee"), "10.00");
    reply_free(&r);
    by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.resp, "trade_status"), "TRADE_CLOSED");
    reply_free(&r);
    char unknown[33];
    test_order_no(unknown, "A");
    refund(unknown, "R1", "1.00", &r);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "ACQ.TRADE_NOT_EXIST");
    reply_free(&r);

    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    CHECK_EQ_STR(json_text(t, "state"), "refunded");
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "refunded_fen")), 1000);
    const cJSON *refunds = cJSON_GetObjectItemCaseSensitive(t, "refunds");
    CHECK_EQ_INT(cJSON_GetArraySize(refunds), 2);
    CHECK_EQ_STR(json_text(cJSON_GetArrayItem(refunds, 0), "request_no"), "R1");
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetArrayItem(refunds, 0), "amount_fen")),
                 300);
    cJSON_Delete(audit);

    /* ..20: the refund is accepted but the money has not moved yet (fund_change N). */
    test_order_no(order, "A");
    pay(order, code_ending("20"), "10.00", 10000, &r);
    reply_free(&r);
    refund(order, "R1", "10.00", &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.resp, "code"), "10000");
    CHECK_EQ_STR(json_text(r.resp, "fund_change"), "N");
    reply_free(&r);
}

static void test_bad_signatures(void)
{
    char order[33], state[32];
    int charged;
    struct reply r;
    /* Signed with a key that is not the app's: 40002 isv.invalid-signature, nothing happens. */
    test_order_no(order, "A");
    char biz[512];
    snprintf(biz, sizeof biz,
             "{\"out_trade_no\":\"%s\",\"scene\":\"bar_code\",\"auth_code\":\"%s\","
             "\"subject\":\"x\",\"total_amount\":\"1.00\"}",
             order, code_ending("00"));
    memset(&r, 0, sizeof r);
    CHECK(alipay_call(&sim, "alipay.trade.pay", biz, sim.wechat_merchant_private, 10000, &r.http));
    r.parsed = alipay_reply(&sim, &r.http, "alipay.trade.pay", &r.resp, &r.verified);
    CHECK(r.parsed);
    CHECK_EQ_STR(json_text(r.resp, "code"), "40002");
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "isv.invalid-signature");
    /* The gateway quotes the string it verified, as the real one does. */
    CHECK(strstr(json_text(r.resp, "sub_msg"), "app_id=" SIM_ALIPAY_APP_ID "&biz_content=") !=
          NULL);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, -1);

    /* Unknown method: error_response. */
    call("alipay.trade.create", "{}", 10000, &r);
    CHECK(r.parsed);
    CHECK_EQ_STR(json_text(r.resp, "sub_code"), "isv.invalid-method");
    reply_free(&r);

    struct http_result h;
    CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 5000, &h));
    cJSON *health = cJSON_Parse(h.body);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(health, "rejected_signatures")) >=
          1);
    cJSON_Delete(health);
    http_result_free(&h);
}

/* Protocol fields in the URL and biz_content in the body (as Alipay's Node SDK sends them),
 * and a raw, hand-made request whose form value was changed after signing. */
static void test_wire_variants(void)
{
    char ts[32] = "2026-11-23 18:00:00";
    char order[33];
    test_order_no(order, "A");
    char biz[256];
    snprintf(biz, sizeof biz,
             "{\"out_trade_no\":\"%s\",\"scene\":\"bar_code\",\"auth_code\":\"%s\","
             "\"subject\":\"a+b c\",\"total_amount\":\"2.00\"}",
             order, code_ending("00"));
    char content[1024], sig[512];
    snprintf(content, sizeof content,
             "app_id=%s&biz_content=%s&charset=utf-8&format=JSON&method=alipay.trade.pay"
             "&sign_type=RSA2&timestamp=%s&version=1.0",
             SIM_ALIPAY_APP_ID, biz, ts);
    CHECK(sim_sign_b64(sim.alipay_app_private, content, strlen(content), sig, sizeof sig) ==
          SIM_CRYPTO_OK);
    CURL *esc = curl_easy_init();
    char *e_sig = curl_easy_escape(esc, sig, 0), *e_ts = curl_easy_escape(esc, ts, 0);
    char *e_biz = curl_easy_escape(esc, biz, 0);
    char path[2048], body[1024];
    snprintf(path, sizeof path,
             "/gateway.do?app_id=%s&charset=utf-8&format=JSON&method=alipay.trade.pay"
             "&sign_type=RSA2&timestamp=%s&version=1.0&sign=%s",
             SIM_ALIPAY_APP_ID, e_ts, e_sig);
    snprintf(body, sizeof body, "biz_content=%s", e_biz);
    curl_free(e_sig);
    curl_free(e_ts);
    curl_free(e_biz);
    curl_easy_cleanup(esc);

    struct http_result h;
    char url[2200];
    snprintf(url, sizeof url, "%s%s", sim.base, path);
    CURL *c = curl_easy_init();
    FILE *sink = tmpfile();
    struct curl_slist *hd =
        curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded;charset=utf-8");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    CHECK_EQ_INT(curl_easy_perform(c), CURLE_OK);
    curl_slist_free_all(hd);
    curl_easy_cleanup(c);
    rewind(sink);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, sink);
    text[n] = '\0';
    fclose(sink);
    memset(&h, 0, sizeof h);
    h.body = text;
    h.len = n;
    cJSON *resp = NULL;
    bool verified = false;
    CHECK(alipay_reply(&sim, &h, "alipay.trade.pay", &resp, &verified));
    CHECK(verified);
    CHECK_EQ_STR(json_text(resp, "code"), "10000");
    cJSON_Delete(resp);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH/TO/posterm-sim\n", argv[0]);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK(simproc_prepare(&sim, argv[1]));
    CHECK(simproc_start(&sim, NULL));
    if (sim.port > 0) {
        test_success();
        test_refusals();
        test_confirming();
        test_faults();
        test_query_not_found();
        test_cancel();
        test_refunds();
        test_refusal_binding();
        test_missing_facts();
        test_refund_query();
        test_bad_signatures();
        test_wire_variants();
        CHECK_EQ_INT(simproc_stop(&sim), 0);
    }
    simproc_cleanup(&sim);
    curl_global_cleanup();
    return check_done();
}
