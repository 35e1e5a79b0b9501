/*
 * test_gateway_bill_sim.c - a day of payments through the real client against the simulator
 * (tests/sim/), then both channels' bills of that day fetched and read by the real bill code
 * (address request signed and verified, the file downloaded, unzipped or gunzipped, GBK and
 * backticks read, WeChat's SHA1 checked) and matched against the journal's list: every
 * difference injected into the bills is found, and nothing else.
 *
 * usage: test_gateway_bill_sim PATH/TO/posterm-sim
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bill.h"
#include "bill_download.h"
#include "bill_query.h"
#include "check.h"
#include "gateway.h"
#include "reconcile.h"
#include "sim_gateway_config.h"
#include "wire.h"

static char dir[] = "/tmp/posterm-billsim-XXXXXX";
static pid_t sim_pid;
static struct gateway_config cfg;
static struct gateway *g;
static char base[128];

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool start_sim(const char *sim)
{
    char keys[300], port[300], cfgpath[300], cmd[1200];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(port, sizeof port, "%s/port", dir);
    snprintf(cfgpath, sizeof cfgpath, "%s/gw.json", dir);
    snprintf(cmd, sizeof cmd, "'%s' --make-keys '%s' >/dev/null", sim, keys);
    if (system(cmd) != 0)
        return false;
    sim_pid = fork();
    if (sim_pid == 0) {
        execl(sim, sim, "--keys", keys, "--port", "0", "--port-file", port, "--config-out", cfgpath,
              "--quiet", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(port, "r");
        int p = 0;
        if (f) {
            bool got = fscanf(f, "%d", &p) == 1;
            fclose(f);
            FILE *c = fopen(cfgpath, "r");
            if (got && c) {
                fclose(c);
                snprintf(base, sizeof base, "http://127.0.0.1:%d", p);
                return sim_gateway_config_read(cfgpath, &cfg);
            }
        }
        usleep(50000);
    }
    return false;
}

/* One request through the real client, waited for. */
static struct gw_reply call(enum gw_op op, enum pay_channel ch, const char *order,
                            const char *code_end, int64_t fen, const char *refund_no)
{
    struct gw_request q;
    struct gw_reply r;
    memset(&q, 0, sizeof q);
    memset(&r, 0, sizeof r);
    r.kind = -1;
    q.op = op;
    q.channel = ch;
    snprintf(q.order_no, sizeof q.order_no, "%s", order);
    snprintf(q.subject, sizeof q.subject, "posterm bill test");
    q.amount_fen = fen;
    if (op == GW_PAY)
        snprintf(q.auth_code, sizeof q.auth_code, "%s%s",
                 ch == CHANNEL_ALIPAY ? "2876543210987654" : "1345678901234567", code_end);
    if (op == GW_REFUND) {
        q.total_fen = 1230;
        snprintf(q.refund_no, sizeof q.refund_no, "%s", refund_no);
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
    return r;
}

static size_t discard(char *p, size_t s, size_t n, void *c)
{
    (void)p;
    (void)c;
    return s * n;
}

static void inject(const char *json)
{
    char url[200];
    snprintf(url, sizeof url, "%s/_sim/bill", base);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long status = 0;
    CHECK(curl_easy_perform(c) == CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    CHECK_EQ_INT(status, 200);
    curl_easy_cleanup(c);
}

struct rows {
    struct bill_row r[64];
    int n;
};

static bool keep(void *ctx, const struct bill_row *row)
{
    struct rows *rows = ctx;
    if (rows->n >= 64)
        return false;
    rows->r[rows->n++] = *row;
    return true;
}

static const struct bill_download_options dl = {
    .tls_verify = true, .timeout_ms = 10000, .max_bytes = 64LL << 20};

static bool fetch_alipay(const char *date, struct rows *rows)
{
    struct crypto_rng *rng = NULL;
    struct crypto_key *app = NULL, *ali = NULL;
    char err[256], why[256], path[300];
    CHECK(crypto_rng_open(&rng) == CRYPTO_OK);
    CHECK(crypto_key_load_private_file(&app, cfg.alipay.private_key_file, rng, err, sizeof err) ==
          CRYPTO_OK);
    CHECK(crypto_key_load_public_file(&ali, cfg.alipay.platform_public_key_file, err, sizeof err) ==
          CRYPTO_OK);
    struct alipay_keys keys = {.gateway_url = cfg.alipay.base_url,
                               .app_id = cfg.alipay.app_id,
                               .app_key = app,
                               .alipay_key = ali,
                               .rng = rng};
    struct wire_request req;
    struct wire_response resp;
    struct bill_error e = {0};
    struct bill_link link;
    bool ok = false;
    CHECK_EQ_INT(bill_alipay_query_build(&keys, date, time(NULL), &req), GATEWAY_OK);
    CHECK_EQ_INT(bill_fetch_reply(&req, &dl, &resp, &e), BILL_OK);
    wire_request_free(&req);
    enum bill_link_status st = bill_alipay_query_parse(&keys, &resp, &link, why, sizeof why);
    free((char *)resp.body);
    if (st != BILL_LINK_OK)
        fprintf(stderr, "  alipay bill address: %s\n", why);
    CHECK_EQ_INT(st, BILL_LINK_OK);
    snprintf(path, sizeof path, "%s/alipay.zip", dir);
    if (st == BILL_LINK_OK && bill_alipay_download_build(&link, &req) == GATEWAY_OK) {
        CHECK_EQ_INT(bill_download(&req, &dl, path, &e), BILL_OK);
        /* a body over the limit, or no bill at that address: an error, and no file */
        char other[300];
        snprintf(other, sizeof other, "%s/small.zip", dir);
        struct bill_download_options tiny = dl;
        tiny.max_bytes = 100;
        CHECK_EQ_INT(bill_download(&req, &tiny, other, &e), BILL_ERR_FILE);
        CHECK(strstr(e.text, "larger than 100 bytes") != NULL);
        CHECK(access(other, F_OK) != 0);
        snprintf(req.url, sizeof req.url, "%s/_bill/alipay/none.csv.zip", base);
        CHECK_EQ_INT(bill_download(&req, &dl, other, &e), BILL_ERR_FILE);
        CHECK(strstr(e.text, "HTTP status 404") != NULL);
        CHECK(access(other, F_OK) != 0);
        wire_request_free(&req);
        enum bill_status bs = bill_alipay_read_zip(path, keep, rows, &e);
        if (bs != BILL_OK)
            fprintf(stderr, "  alipay bill line %ld: %s\n", e.line, e.text);
        ok = bs == BILL_OK;
    }
    crypto_key_free(app);
    crypto_key_free(ali);
    crypto_rng_close(rng);
    return ok;
}

static bool fetch_wechat(const char *date, struct rows *rows, bool tamper)
{
    struct crypto_rng *rng = NULL;
    struct crypto_key *merchant = NULL, *platform = NULL;
    char err[256], why[256], path[300], nonce[33];
    CHECK(crypto_rng_open(&rng) == CRYPTO_OK);
    CHECK(crypto_key_load_private_file(&merchant, cfg.wechat.private_key_file, rng, err,
                                       sizeof err) == CRYPTO_OK);
    CHECK(crypto_key_load_public_file(&platform, cfg.wechat.platform_public_key_file, err,
                                      sizeof err) == CRYPTO_OK);
    struct wechatpay_keys keys = {.base_url = cfg.wechat.base_url,
                                  .appid = cfg.wechat.app_id,
                                  .mchid = cfg.wechat.merchant_id,
                                  .merchant_serial = cfg.wechat.merchant_serial,
                                  .merchant_key = merchant,
                                  .platform_key = platform,
                                  .platform_serial = cfg.wechat.platform_serial,
                                  .rng = rng};
    struct wire_request req;
    struct wire_response resp;
    struct bill_error e = {0};
    struct bill_link link;
    bool ok = false;
    crypto_rng_alnum(rng, nonce, 32);
    CHECK_EQ_INT(bill_wechat_query_build(&keys, date, time(NULL), nonce, &req), GATEWAY_OK);
    CHECK_EQ_INT(bill_fetch_reply(&req, &dl, &resp, &e), BILL_OK);
    wire_request_free(&req);
    enum bill_link_status st =
        bill_wechat_query_parse(&keys, &resp, time(NULL), &link, why, sizeof why);
    free((char *)resp.body);
    if (st != BILL_LINK_OK)
        fprintf(stderr, "  wechat bill address: %s\n", why);
    CHECK_EQ_INT(st, BILL_LINK_OK);
    CHECK_EQ_STR(link.hash_type, "SHA1");
    snprintf(path, sizeof path, "%s/wechat.gz", dir);
    crypto_rng_alnum(rng, nonce, 32);
    if (st == BILL_LINK_OK &&
        bill_wechat_download_build(&keys, &link, time(NULL), nonce, &req) == GATEWAY_OK) {
        CHECK_EQ_INT(bill_download(&req, &dl, path, &e), BILL_OK);
        wire_request_free(&req);
        if (tamper) /* another digest than published: not one row is believed */
            link.hash_value[0] = link.hash_value[0] == '0' ? '1' : '0';
        enum bill_status bs =
            bill_wechat_read_gzip(path, link.hash_type, link.hash_value, keep, rows, &e);
        if (bs != BILL_OK && !tamper)
            fprintf(stderr, "  wechat bill line %ld: %s\n", e.line, e.text);
        ok = tamper ? bs == BILL_ERR_HASH : bs == BILL_OK;
    }
    crypto_key_free(merchant);
    crypto_key_free(platform);
    crypto_rng_close(rng);
    return ok;
}

struct findings {
    int n[RECON__COUNT];
    char seen[32][80];
    int nseen;
};

static void note(void *ctx, const struct recon_finding *f)
{
    struct findings *s = ctx;
    s->n[f->kind]++;
    if (s->nseen < 32)
        snprintf(s->seen[s->nseen++], sizeof s->seen[0], "%s %s %s", recon_kind_name(f->kind),
                 f->order_no, f->refund_no);
    printf("  %-18s %-24s %-26s bill %lld journal %lld (line %ld)\n", recon_kind_name(f->kind),
           f->order_no, f->refund_no, (long long)f->bill_fen, (long long)f->journal_fen, f->line);
}

static bool found(const struct findings *s, const char *text)
{
    for (int i = 0; i < s->nseen; i++)
        if (strcmp(s->seen[i], text) == 0)
            return true;
    return false;
}

static void day(enum pay_channel ch, const char *date)
{
    char prefix[16], o[6][20], refund[40], portal[40], other[40], json[400], want[120];
    const char *name = pay_channel_name(ch);
    snprintf(prefix, sizeof prefix, "T%c%05u", ch == CHANNEL_ALIPAY ? 'A' : 'W',
             (unsigned)time(NULL) % 100000);
    for (int i = 0; i < 6; i++)
        snprintf(o[i], sizeof o[i], "%s%02d", prefix, i);
    snprintf(refund, sizeof refund, "%sR1", o[1]);
    snprintf(portal, sizeof portal, "P%s", o[1]);
    snprintf(other, sizeof other, "OTHER%.16s", o[0] + 1);

    /* the day: paid, paid and partly refunded, paid (amount changed at the gateway), paid
     * (left out of the bill), a charge never seen here, a refused pay */
    CHECK_EQ_INT(call(GW_PAY, ch, o[0], "00", 1230, NULL).kind, GW_SUCCESS);
    CHECK_EQ_INT(call(GW_PAY, ch, o[1], "00", 1230, NULL).kind, GW_SUCCESS);
    CHECK_EQ_INT(call(GW_REFUND, ch, o[1], NULL, 300, refund).kind, GW_SUCCESS);
    CHECK_EQ_INT(call(GW_PAY, ch, o[2], "00", 500, NULL).kind, GW_SUCCESS);
    CHECK_EQ_INT(call(GW_PAY, ch, o[3], "00", 700, NULL).kind, GW_SUCCESS);
    CHECK_EQ_INT(call(GW_PAY, ch, o[5], "01", 800, NULL).kind, GW_FAILED);
#define INJECT(...) (snprintf(json, sizeof json, __VA_ARGS__), inject(json))
    INJECT(
        "{\"channel\":\"%s\",\"date\":\"%s\",\"inject\":\"amount\",\"order\":\"%s\",\"fen\":555}",
        name, date, o[2]);
    INJECT("{\"channel\":\"%s\",\"date\":\"%s\",\"inject\":\"missing\",\"order\":\"%s\"}", name,
           date, o[3]);
    INJECT(
        "{\"channel\":\"%s\",\"date\":\"%s\",\"inject\":\"charge\",\"order\":\"%s\",\"fen\":999}",
        name, date, o[4]);
    INJECT("{\"channel\":\"%s\",\"date\":\"%s\",\"inject\":\"portal_refund\",\"order\":\"%s\","
           "\"fen\":100,\"refund_no\":\"%s\"}",
           name, date, o[1], portal);
    INJECT("{\"channel\":\"%s\",\"date\":\"%s\",\"inject\":\"charge\",\"order\":\"%s\",\"fen\":5}",
           name, date, other);

    /* what posterm's journal says of the day */
    struct recon_payment pays[5];
    struct recon_refund refunds[1];
    const int64_t fen[] = {1230, 1230, 500, 700, 0, 800};
    int np = 0;
    for (int i = 0; i < 6; i++) {
        if (i == 4)
            continue; /* never seen here */
        memset(&pays[np], 0, sizeof pays[np]);
        snprintf(pays[np].order_no, sizeof pays[np].order_no, "%.*s", BILL_NO_MAX, o[i]);
        pays[np].amount_fen = fen[i];
        pays[np].outcome = i == 5 ? RECON_NOT_TAKEN : RECON_TAKEN;
        np++;
    }
    memset(refunds, 0, sizeof refunds);
    snprintf(refunds[0].order_no, sizeof refunds[0].order_no, "%.*s", BILL_NO_MAX, o[1]);
    snprintf(refunds[0].refund_no, sizeof refunds[0].refund_no, "%.*s", BILL_NO_MAX, refund);
    refunds[0].amount_fen = 300;

    static struct rows rows;
    rows.n = 0;
    printf("%s bill of %s:\n", name, date);
    bool ok = ch == CHANNEL_ALIPAY ? fetch_alipay(date, &rows) : fetch_wechat(date, &rows, false);
    CHECK(ok);
    if (ch == CHANNEL_WECHAT) {
        struct rows ignored = {.n = 0};
        CHECK(fetch_wechat(date, &ignored, true));
        CHECK_EQ_INT(ignored.n, 0);
    }
    struct findings s;
    memset(&s, 0, sizeof s);
    struct recon_totals t;
    recon_match(prefix, rows.r, (size_t)rows.n, pays, (size_t)np, refunds, 1, note, &s, &t);
    CHECK_EQ_INT(s.n[RECON_MATCHED], 2);
    CHECK_EQ_INT(s.n[RECON_REFUND_MATCHED], 1);
    CHECK_EQ_INT(t.differences, 4);
    CHECK_EQ_INT(t.foreign_rows, 1);
    snprintf(want, sizeof want, "amount_differs %s ", o[2]);
    CHECK(found(&s, want));
    snprintf(want, sizeof want, "paid_not_in_bill %s ", o[3]);
    CHECK(found(&s, want));
    snprintf(want, sizeof want, "charged_not_paid %s ", o[4]);
    CHECK(found(&s, want));
    snprintf(want, sizeof want, "refund_outside %s %s", o[1], portal);
    CHECK(found(&s, want));
}

int main(int argc, char **argv)
{
    if (argc != 2 || !mkdtemp(dir)) {
        fprintf(stderr, "usage: test_gateway_bill_sim PATH/TO/posterm-sim\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!start_sim(argv[1])) {
        fprintf(stderr, "posterm-sim did not start\n");
        return 1;
    }
    char err[256];
    cfg.tls_verify = true;
    snprintf(cfg.terminal_id, sizeof cfg.terminal_id, "POS01");
    cfg.connect_timeout_ms = 2000;
    cfg.pay_timeout_ms = cfg.query_timeout_ms = cfg.cancel_timeout_ms = cfg.refund_timeout_ms =
        5000;
    if (gateway_open(&g, &cfg, err, sizeof err) != GATEWAY_OK) {
        fprintf(stderr, "gateway_open: %s\n", err);
        kill(sim_pid, SIGTERM);
        return 1;
    }
    /* the bill's day is the Beijing date of the payments */
    char date[16];
    time_t beijing = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&beijing, &tm);
    if (tm.tm_hour == 23 && tm.tm_min == 59)
        sleep(61); /* not across midnight */
    beijing = time(NULL) + 8 * 3600;
    gmtime_r(&beijing, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    day(CHANNEL_ALIPAY, date);
    day(CHANNEL_WECHAT, date);
    gateway_close(g);
    kill(sim_pid, SIGTERM);
    waitpid(sim_pid, NULL, 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    curl_global_cleanup();
    return check_done();
}
