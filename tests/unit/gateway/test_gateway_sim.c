/*
 * test_gateway_sim.c - the real gateway client against the simulator (tests/sim/), a second,
 * independent implementation of both protocols: if the sign strings, reply verification or
 * code mapping disagree, a request is refused or a reply is UNKNOWN where it should not be.
 *
 * usage: test_gateway_sim PATH/TO/posterm-sim
 * Scenarios are chosen by the last two digits of the payment code (tests/sim/README.md).
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "gateway.h"
#include "wire.h"
#include "sim_gateway_config.h"

static char dir[] = "/tmp/posterm-gwsim-XXXXXX";
static pid_t sim_pid;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool start_sim(const char *sim)
{
    char keys[300], port[300], cfg[300], cmd[1200];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(port, sizeof port, "%s/port", dir);
    snprintf(cfg, sizeof cfg, "%s/gw.json", dir);
    snprintf(cmd, sizeof cmd, "'%s' --make-keys '%s' >/dev/null", sim, keys);
    if (system(cmd) != 0)
        return false;
    sim_pid = fork();
    if (sim_pid == 0) {
        execl(sim, sim, "--keys", keys, "--port", "0", "--port-file", port, "--config-out", cfg,
              "--quiet", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(cfg, "r");
        if (f) {
            fseek(f, 0, SEEK_END);
            long n = ftell(f);
            fclose(f);
            if (n > 0)
                return true;
        }
        usleep(50000);
    }
    return false;
}

static bool load_config(struct gateway_config *c)
{
    char path[300];
    snprintf(path, sizeof path, "%s/gw.json", dir);
    memset(c, 0, sizeof *c);
    if (!sim_gateway_config_read(path, c))
        return false;
    c->tls_verify = true;
    snprintf(c->terminal_id, sizeof c->terminal_id, "POS01");
    c->connect_timeout_ms = 2000;
    c->pay_timeout_ms = 3000; /* the slow scenario (5 s) must time out */
    c->query_timeout_ms = 3000;
    c->cancel_timeout_ms = 3000;
    c->refund_timeout_ms = 3000;
    /* Native orders need one; posterm's config does not carry it yet */
    snprintf(c->wechat.notify_url, sizeof c->wechat.notify_url, "https://merchant.example/notify");
    return true;
}

static struct gateway *g;

static struct gw_reply call(enum gw_op op, enum pay_channel ch, const char *order,
                            const char *code_end, int64_t fen)
{
    struct gw_request q;
    struct gw_reply r;
    memset(&q, 0, sizeof q);
    memset(&r, 0, sizeof r);
    r.kind = -1;
    q.op = op;
    q.channel = ch;
    snprintf(q.order_no, sizeof q.order_no, "%s", order);
    snprintf(q.subject, sizeof q.subject, "posterm \"test\" {1}");
    if (op == GW_PAY) {
        snprintf(q.auth_code, sizeof q.auth_code, "%s%s",
                 ch == CHANNEL_ALIPAY ? "2876543210987654" : "1345678901234567", code_end);
        q.amount_fen = fen;
    }
    if (op == GW_REFUND) {
        q.amount_fen = fen;
        q.total_fen = 1230;
        snprintf(q.refund_no, sizeof q.refund_no, "R%s", order + 1);
    }
    if (op == GW_QR_CREATE) {
        q.amount_fen = fen;
        q.qr_window_s = 120;
    }
    if (gateway_submit(g, &q) != GATEWAY_OK)
        return r;
    int64_t start = mono_ms();
    while (mono_ms() - start < 20000) {
        struct pollfd fds[16];
        int64_t timeout = 500;
        int n = gateway_pollfds(g, fds, 16, &timeout);
        int ready = poll(fds, (nfds_t)n, (int)timeout);
        gateway_perform(g, ready > 0 ? fds : NULL, ready > 0 ? n : 0);
        if (gateway_next_reply(g, &r))
            break;
    }
    printf("%-6s %-9s %-22s ..%s -> kind %d %s: %s\n", pay_channel_name(ch), gw_op_name(op), order,
           code_end ? code_end : "", r.kind, r.code, r.reason);
    return r;
}

static void scenarios(enum pay_channel ch)
{
    char o[40];
    const char *c = ch == CHANNEL_ALIPAY ? "A" : "W";
    unsigned run = (unsigned)time(NULL) % 100000;
    struct gw_reply r;

#define ORDER(n) (snprintf(o, sizeof o, "T%s%05u%02d", c, run, n), o)
    r = call(GW_PAY, ch, ORDER(0), "00", 1230);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.said.amount_fen, 1230);
    CHECK(r.said.trade_no[0] != '\0');
    r = call(GW_QUERY, ch, o, NULL, 0);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.said.amount_fen, 1230);
    r = call(GW_REFUND, ch, o, NULL, 500);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    r = call(GW_REFUND, ch, o, NULL, 500); /* the same refund number again: no second refund */
    CHECK_EQ_INT(r.kind, GW_SUCCESS);

    r = call(GW_PAY, ch, ORDER(1), "01", 1230);
    CHECK_EQ_INT(r.kind, GW_FAILED);
    r = call(GW_PAY, ch, ORDER(2), "02", 1230);
    CHECK_EQ_INT(r.kind, GW_FAILED);

    r = call(GW_PAY, ch, ORDER(3), "03", 1230);
    CHECK_EQ_INT(r.kind, GW_PAYING);
    r = call(GW_QUERY, ch, o, NULL, 0);
    CHECK_EQ_INT(r.kind, GW_PAYING);
    r = call(GW_CANCEL, ch, o, NULL, 0);
    CHECK(r.kind == GW_SUCCESS || (r.kind == GW_UNKNOWN && r.retry)); /* may be "still paying" */

    r = call(GW_PAY, ch, ORDER(5), "05", 1230); /* reply 5 s late, our timeout is 3 s */
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.unreachable);
    r = call(GW_PAY, ch, ORDER(7), "07", 1230);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = call(GW_PAY, ch, ORDER(8), "08", 1230);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = call(GW_PAY, ch, ORDER(9), "09", 1230);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = call(GW_PAY, ch, ORDER(10), "10", 1230);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = call(GW_QUERY, ch, o, NULL, 0); /* charged: the query, properly signed, says so */
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    r = call(GW_PAY, ch, ORDER(13), "13", 1230);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);

    r = call(GW_PAY, ch, ORDER(12), "12", 1230);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    for (int i = 0; i < 3; i++) {
        r = call(GW_CANCEL, ch, o, NULL, 0);
        CHECK_EQ_INT(r.kind, GW_UNKNOWN);
        CHECK(r.retry);
    }
    r = call(GW_CANCEL, ch, o, NULL, 0);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    if (ch == CHANNEL_ALIPAY)
        CHECK(r.cancel_refunded);

    r = call(GW_QUERY, ch, ORDER(99), NULL, 0);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.no_such_order);
#undef ORDER
}

/* The customer scans (POST /_sim/scan on the simulator's control port); the HTTP status. */
static long scan(const char *json)
{
    char path[300], url[128];
    long port = 0, status = 0;
    snprintf(path, sizeof path, "%s/port", dir);
    FILE *f = fopen(path, "r");
    if (!f || fscanf(f, "%ld", &port) != 1)
        port = 0;
    if (f)
        fclose(f);
    snprintf(url, sizeof url, "http://127.0.0.1:%ld/_sim/scan", port);
    CURL *c = curl_easy_init();
    FILE *sink = fopen("/dev/null", "w");
    if (c && sink) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    if (sink)
        fclose(sink);
    curl_easy_cleanup(c);
    return status;
}

/* Dynamic QR through the real client: the payload the simulator made arrives verified, the
 * customer pays it, the query says so, and the close of a paid order is refused as paid. */
static void qr_scenarios(enum pay_channel ch)
{
    char o[40], json[300];
    const char *c = ch == CHANNEL_ALIPAY ? "A" : "W";
    unsigned run = (unsigned)time(NULL) % 100000;
    struct gw_reply r;

#define ORDER(n) (snprintf(o, sizeof o, "Q%s%05u%02d", c, run, n), o)
    r = call(GW_QR_CREATE, ch, ORDER(0), NULL, 1230);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(r.said.qr_given);
    CHECK(strncmp(r.said.qr_payload,
                  ch == CHANNEL_ALIPAY ? "https://qr.alipay.com/" : "weixin://wxpay/bizpayurl?pr=",
                  ch == CHANNEL_ALIPAY ? 22 : 28) == 0);
    if (ch == CHANNEL_WECHAT)
        CHECK(r.exchange_bound); /* its body names no order */
    else
        CHECK(r.said.order_no_given && strcmp(r.said.order_no, o) == 0);
    snprintf(json, sizeof json, "{\"qr\":\"%s\"}", r.said.qr_payload);
    r = call(GW_QUERY, ch, o, NULL, 0);
    CHECK_EQ_INT(r.kind, ch == CHANNEL_ALIPAY ? GW_UNKNOWN : GW_PAYING); /* not scanned yet */
    CHECK_EQ_INT(scan(json), 200);
    r = call(GW_QUERY, ch, o, NULL, 0);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.said.amount_fen, 1230);
    r = call(GW_QR_CLOSE, ch, o, NULL, 0);
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK(r.close_refused_paid);

    /* never paid, closed; the customer's later scan is refused */
    r = call(GW_QR_CREATE, ch, ORDER(1), NULL, 1);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    if (ch == CHANNEL_ALIPAY) {
        /* not scanned: Alipay has no trade to close, and the QR stays payable */
        r = call(GW_QR_CLOSE, ch, o, NULL, 0);
        CHECK_EQ_INT(r.kind, GW_UNKNOWN);
        CHECK(r.no_such_order);
        snprintf(json, sizeof json, "{\"order\":\"%s\",\"seconds\":60}", o);
        CHECK_EQ_INT(scan(json), 200); /* scanned, confirming */
    }
    r = call(GW_QR_CLOSE, ch, o, NULL, 0);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(!r.close_refused_paid);
    if (ch == CHANNEL_WECHAT)
        CHECK(r.exchange_bound); /* the 204: its signature and fresh nonce are all it has */
    snprintf(json, sizeof json, "{\"order\":\"%s\"}", o);
    CHECK_EQ_INT(scan(json), 409);
    r = call(GW_QUERY, ch, o, NULL, 0);
    CHECK_EQ_INT(r.kind, GW_FAILED);
#undef ORDER
}

int main(int argc, char **argv)
{
    if (argc < 2 || !mkdtemp(dir)) {
        fprintf(stderr, "usage: test_gateway_sim PATH/TO/posterm-sim\n");
        return 2;
    }
    CHECK(start_sim(argv[1]));
    struct gateway_config cfg;
    CHECK(load_config(&cfg));
    char err[512];
    CHECK_EQ_INT(gateway_open(&g, &cfg, err, sizeof err), GATEWAY_OK);
    if (!g)
        fprintf(stderr, "gateway_open: %s\n", err);
    if (g) {
        if (cfg.alipay.enabled)
            scenarios(CHANNEL_ALIPAY);
        if (cfg.wechat.enabled)
            scenarios(CHANNEL_WECHAT);
        if (cfg.alipay.enabled)
            qr_scenarios(CHANNEL_ALIPAY);
        if (cfg.wechat.enabled)
            qr_scenarios(CHANNEL_WECHAT);
        gateway_close(g);
    }
    if (sim_pid > 0) {
        kill(sim_pid, SIGTERM);
        waitpid(sim_pid, NULL, 0);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
    return check_done();
}
