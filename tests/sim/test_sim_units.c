/*
 * test_sim_units.c - the simulator's parts without a server: money strings, the scenario
 * table and script queue, the ledger's rules on a fake clock (confirming windows, hidden
 * trades, cancels, refunds, persistence), and its crypto checked against the openssl tool.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#include "check.h"
#include "sim.h"

extern char **environ;

static char dir[256];

static void test_yuan(void)
{
    static const struct {
        const char *text;
        bool ok;
        int64_t fen;
    } cases[] = {
        {"12.30", true, 1230}, {"12.3", true, 1230}, {"12", true, 1200},
        {"0.01", true, 1},     {"00.10", true, 10},  {"99999999999.99", true, 9999999999999},
        {"", false, 0},        {".5", false, 0},     {"1.", false, 0},
        {"1.234", false, 0},   {"-1", false, 0},     {"1e3", false, 0},
        {" 1", false, 0},      {"1 ", false, 0},     {"100000000000", false, 0},
        {"1,00", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t fen = -1;
        bool ok = sim_yuan_parse(cases[i].text, &fen);
        CHECK_EQ_INT(ok, cases[i].ok);
        if (ok && cases[i].ok)
            CHECK_EQ_INT(fen, cases[i].fen);
    }
    char out[32];
    sim_yuan_format(1230, out);
    CHECK_EQ_STR(out, "12.30");
    sim_yuan_format(1, out);
    CHECK_EQ_STR(out, "0.01");
    sim_yuan_format(100, out);
    CHECK_EQ_STR(out, "1.00");
}

static void test_codes(void)
{
    CHECK(sim_code_is_wechat("134567890123456700"));
    CHECK(sim_code_is_wechat("104567890123456700"));
    CHECK(!sim_code_is_wechat("164567890123456700"));
    CHECK(!sim_code_is_wechat("13456789012345670"));
    CHECK(!sim_code_is_wechat("13456789012345670x"));
    CHECK(sim_code_is_alipay("2876543210987654"));
    CHECK(sim_code_is_alipay("287654321098765400123456"));
    CHECK(!sim_code_is_alipay("2876543210987654001234567"));
    CHECK(!sim_code_is_alipay("3176543210987654"));
    CHECK(!sim_code_is_alipay("287654321098765"));
}

static void test_scenarios(void)
{
    struct sim_plan p;
    sim_scenario_by_code("134567890123456700", &p);
    CHECK_EQ_STR(p.name, "success");
    sim_scenario_by_code("134567890123456703", &p);
    CHECK_EQ_STR(p.name, "confirm_then_paid");
    CHECK_EQ_INT(p.seconds, 8);
    sim_scenario_by_code("134567890123456711", &p);
    CHECK_EQ_INT(p.biz, BIZ_HIDDEN);
    CHECK_EQ_INT(p.fault, FAULT_DROP);
    CHECK_EQ_INT(p.seconds, 5);
    sim_scenario_by_code("134567890123456712", &p);
    CHECK_EQ_INT(p.count, 3);
    sim_scenario_by_code("134567890123456799", &p);
    CHECK_EQ_STR(p.name, "success");
    CHECK(!sim_scenario_by_name("nope", &p));
    CHECK(sim_scenario_by_name("http_503", &p));
    CHECK_EQ_INT(p.fault, FAULT_HTTP_503);
    CHECK(!p.commit);
    CHECK_EQ_INT(sim_scenario_default_op(&p), SIM_OP_ANY);
    CHECK(sim_scenario_by_name("cancel_retry", &p));
    CHECK_EQ_INT(sim_scenario_default_op(&p), SIM_OP_CANCEL);
    CHECK(sim_scenario_by_name("insufficient_funds", &p));
    CHECK_EQ_INT(sim_scenario_default_op(&p), SIM_OP_PAY);
    /* Script-only scenarios: never chosen by a code, pays or refunds by default. */
    sim_scenario_by_code("13456789012345", &p);
    CHECK_EQ_STR(p.name, "success");
    CHECK(sim_scenario_by_name("success_no_amount", &p));
    CHECK_EQ_INT(sim_scenario_default_op(&p), SIM_OP_PAY);
    CHECK(sim_scenario_by_name("unbound_refusal", &p));
    CHECK_EQ_INT(p.biz, BIZ_NO_FUNDS);
    CHECK_EQ_INT(p.fault, FAULT_NO_ORDER);
    CHECK_EQ_INT(sim_scenario_default_op(&p), SIM_OP_PAY);
    CHECK(sim_scenario_by_name("refund_short", &p));
    CHECK_EQ_INT(sim_scenario_default_op(&p), SIM_OP_REFUND);
    CHECK_EQ_INT(sim_plan_grant(&p, 601), 300);
    CHECK_EQ_INT(sim_plan_grant(&p, 1), 1);
    p.fen = 42;
    CHECK_EQ_INT(sim_plan_grant(&p, 601), 42);
    CHECK(sim_scenario_by_name("success", &p));
    CHECK_EQ_INT(sim_plan_grant(&p, 601), 0);

    struct sim_script *s = sim_script_new();
    CHECK(sim_scenario_by_name("http_502", &p));
    CHECK(sim_script_push(s, &p, 2, SIM_OP_QUERY, CHANNEL_WECHAT));
    CHECK(sim_scenario_by_name("slow_reply", &p));
    CHECK(sim_script_push(s, &p, 1, SIM_OP_ANY, CHANNEL_NONE));
    CHECK(!sim_script_push(s, &p, 0, SIM_OP_ANY, CHANNEL_NONE));
    CHECK_EQ_INT(sim_script_pending(s), 3);
    struct sim_plan got;
    CHECK(sim_script_take(s, SIM_OP_QUERY, CHANNEL_ALIPAY, &got)); /* only the "any" entry fits */
    CHECK_EQ_STR(got.name, "slow_reply");
    CHECK(!sim_script_take(s, SIM_OP_PAY, CHANNEL_WECHAT, &got));
    CHECK(sim_script_take(s, SIM_OP_QUERY, CHANNEL_WECHAT, &got));
    CHECK_EQ_STR(got.name, "http_502");
    CHECK(sim_script_take(s, SIM_OP_QUERY, CHANNEL_WECHAT, &got));
    CHECK(!sim_script_take(s, SIM_OP_QUERY, CHANNEL_WECHAT, &got));
    CHECK_EQ_INT(sim_script_pending(s), 0);
    CHECK(sim_script_push(s, &p, 4, SIM_OP_ANY, CHANNEL_NONE));
    sim_script_clear(s);
    CHECK_EQ_INT(sim_script_pending(s), 0);
    sim_script_free(s);
}

static struct sim_plan plan(const char *name, int seconds)
{
    struct sim_plan p;
    sim_scenario_by_name(name, &p);
    if (seconds >= 0)
        p.seconds = seconds;
    return p;
}

/* --time-scale: durations stretched, rounded up to whole seconds, 100 % leaves them alone. */
static void test_time_scale(void)
{
    CHECK_EQ_INT(sim_scaled_seconds(8), 8);
    sim_time_scale_set(250);
    CHECK_EQ_INT(sim_scaled_seconds(8), 20);
    CHECK_EQ_INT(sim_scaled_seconds(0), 0);
    sim_time_scale_set(150);
    CHECK_EQ_INT(sim_scaled_seconds(5), 8);
    CHECK_EQ_INT(sim_scaled_seconds(3600), 5400);
    sim_time_scale_set(100);
    CHECK_EQ_INT(sim_scaled_seconds(10), 10);
}

static void test_ledger_rules(void)
{
    char err[256];
    struct sim_ledger *l = sim_ledger_open(NULL, err, sizeof err);
    CHECK(l != NULL);
    struct sim_trade *t = NULL;
    int64_t now = 1000000;
    const char *code = "134567890123456700";

    /* The customer confirms for 8 s, then pays: exactly at the deadline, once. */
    struct sim_plan p = plan("confirm_then_paid", 8);
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_WECHAT, "O1", code, 500, &p, now, &t), SIM_PAY_PAYING);
    CHECK_EQ_INT(sim_ledger_find(l, "O1", now + 7999)->state, TRADE_PAYING);
    CHECK_EQ_INT(sim_ledger_find(l, "O1", now + 8000)->state, TRADE_CHARGED);
    CHECK_EQ_INT(sim_ledger_find(l, "O1", now + 9000)->charged, 1);

    /* Gives up: closed, never charged. */
    p = plan("confirm_then_gave_up", 8);
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_WECHAT, "O2", code, 500, &p, now, &t), SIM_PAY_PAYING);
    t = sim_ledger_find(l, "O2", now + 8000);
    CHECK_EQ_INT(t->state, TRADE_CLOSED);
    CHECK_EQ_INT(t->charged, 0);

    /* Cancelled while confirming: WeChat refuses, Alipay closes; a closed one never pays. */
    p = plan("confirm_then_paid", 8);
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_ALIPAY, "O3", code, 500, &p, now, &t), SIM_PAY_PAYING);
    CHECK_EQ_INT(sim_ledger_cancel(l, CHANNEL_ALIPAY, "O3", false, true, now + 10, &t),
                 SIM_CANCEL_BUSY);
    CHECK_EQ_INT(sim_ledger_cancel(l, CHANNEL_ALIPAY, "O3", false, false, now + 20, &t),
                 SIM_CANCEL_CLOSED);
    t = sim_ledger_find(l, "O3", now + 60000);
    CHECK_EQ_INT(t->state, TRADE_CANCELLED);
    CHECK_EQ_INT(t->charged, 0);
    CHECK_EQ_INT(t->cancel_requests, 2);

    /* Hidden from queries for 5 s, though charged from the start. */
    p = plan("query_not_found", 5);
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_ALIPAY, "O4", code, 700, &p, now, &t), SIM_PAY_CHARGED);
    CHECK(sim_ledger_query(l, "O4", now + 4999) == NULL);
    CHECK(sim_ledger_query(l, "O4", now + 5000) != NULL);
    CHECK_EQ_INT(sim_ledger_find(l, "O4", now)->charged, 1);

    /* Three refused cancels, then the charge is returned; repeats repeat the answer. */
    p = plan("cancel_retry", -1);
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_ALIPAY, "O5", code, 900, &p, now, &t), SIM_PAY_CHARGED);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(sim_ledger_cancel(l, CHANNEL_ALIPAY, "O5", false, false, now, &t),
                     SIM_CANCEL_RETRY);
    CHECK_EQ_INT(sim_ledger_cancel(l, CHANNEL_ALIPAY, "O5", false, false, now, &t),
                 SIM_CANCEL_REFUNDED);
    CHECK_EQ_INT(t->refunded_fen, 900);
    CHECK_EQ_INT(sim_ledger_cancel(l, CHANNEL_ALIPAY, "O5", false, false, now, &t),
                 SIM_CANCEL_REFUNDED);
    CHECK_EQ_INT(t->refunded_fen, 900);
    /* A scripted refusal refuses even an order without a trade, and records nothing closed. */
    CHECK_EQ_INT(sim_ledger_cancel(l, CHANNEL_ALIPAY, "O6", true, false, now, &t),
                 SIM_CANCEL_RETRY);
    CHECK(t->state != TRADE_CANCELLED);

    /* Cancel before pay: the late pay is refused and counted. */
    CHECK_EQ_INT(sim_ledger_cancel(l, CHANNEL_WECHAT, "O7", false, false, now, &t),
                 SIM_CANCEL_CLOSED);
    CHECK(t->cancel_before_pay);
    p = plan("success", -1);
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_WECHAT, "O7", code, 100, &p, now, &t),
                 SIM_PAY_ORDER_CLOSED);
    CHECK_EQ_INT(t->late_pays_refused, 1);
    CHECK_EQ_INT(t->charged, 0);

    /* Refunds: idempotent per request number, never more than was charged. */
    const struct sim_refund *rf = NULL;
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_WECHAT, "O8", code, 1000, &p, now, &t), SIM_PAY_CHARGED);
    CHECK_EQ_INT(sim_ledger_refund(l, "O8", "R1", 400, 1000, 0, 0, now, &t, &rf), SIM_REFUND_DONE);
    CHECK_EQ_INT(sim_ledger_refund(l, "O8", "R1", 400, 1000, 0, 0, now, &t, &rf),
                 SIM_REFUND_REPEATED);
    CHECK_EQ_INT(sim_ledger_refund(l, "O8", "R1", 300, 1000, 0, 0, now, &t, &rf),
                 SIM_REFUND_INCONSISTENT);
    CHECK_EQ_INT(sim_ledger_refund(l, "O8", "R2", 100, 999, 0, 0, now, &t, &rf),
                 SIM_REFUND_INCONSISTENT);
    CHECK_EQ_INT(sim_ledger_refund(l, "O8", "R2", 601, -1, 0, 0, now, &t, &rf), SIM_REFUND_EXCEEDS);
    CHECK_EQ_INT(sim_ledger_refund(l, "O8", "R2", 0, -1, 0, 0, now, &t, &rf), SIM_REFUND_EXCEEDS);
    CHECK_EQ_INT(sim_ledger_refund(l, "O8", "R2", 600, -1, 0, 0, now, &t, &rf), SIM_REFUND_DONE);
    CHECK_EQ_INT(t->state, TRADE_REFUNDED);
    CHECK_EQ_INT(sim_ledger_refund(l, "O8", "R3", 1, -1, 0, 0, now, &t, &rf), SIM_REFUND_EXCEEDS);
    CHECK_EQ_INT(sim_ledger_refund(l, "O2", "R1", 1, -1, 0, 0, now, &t, &rf), SIM_REFUND_NOT_PAID);
    CHECK_EQ_INT(sim_ledger_refund(l, "O9", "R1", 1, -1, 0, 0, now, &t, &rf), SIM_REFUND_NOT_FOUND);

    /* A refund that stays processing: committed (money counted) but not settled. */
    p = plan("refund_processing", 5);
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_WECHAT, "O11", code, 1000, &p, now, &t),
                 SIM_PAY_CHARGED);
    CHECK_EQ_INT(sim_ledger_refund(l, "O11", "R1", 1000, 1000, 0, 0, now, &t, &rf),
                 SIM_REFUND_DONE);
    CHECK_EQ_INT(rf->settles_at, now + 5000);
    CHECK_EQ_INT(t->refunded_fen, 1000);
    CHECK_EQ_INT(sim_ledger_refund(l, "O8", "R9", 1, -1, 2, 0, now, &t, &rf), SIM_REFUND_EXCEEDS);
    p = plan("success", -1);

    /* A known order never charges twice; another amount for it is inconsistent. */
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_WECHAT, "O1", code, 500, &p, now + 9000, &t),
                 SIM_PAY_ALREADY_PAID);
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_WECHAT, "O1", code, 501, &p, now + 9000, &t),
                 SIM_PAY_INCONSISTENT);
    CHECK_EQ_INT(t->charged, 1);
    p = plan("insufficient_funds", -1);
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_WECHAT, "O10", code, 100, &p, now, &t),
                 SIM_PAY_NO_FUNDS);
    CHECK_EQ_INT(t->charged, 0);

    char *audit = sim_ledger_audit(l, now + 10000);
    CHECK(audit != NULL && strstr(audit, "\"net_fen\"") != NULL);
    free(audit);
    sim_ledger_close(l);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c;
    while (f != NULL && (c = fgetc(f)) != EOF)
        n += c == '\n';
    if (f != NULL)
        fclose(f);
    return n;
}

static void test_ledger_file(void)
{
    char path[300], err[256];
    snprintf(path, sizeof path, "%s/ledger.json", dir);
    struct sim_ledger *l = sim_ledger_open(path, err, sizeof err);
    CHECK(l != NULL);
    struct sim_trade *t = NULL;
    struct sim_plan p = plan("confirm_then_paid", 30);
    int64_t now = sim_now_ms();
    CHECK_EQ_INT(sim_ledger_pay(l, CHANNEL_ALIPAY, "F1", "287654321098765400", 250, &p, now, &t),
                 SIM_PAY_PAYING);
    char trade_no[33];
    snprintf(trade_no, sizeof trade_no, "%s", t->trade_no);
    sim_ledger_close(l);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 077) == 0);

    l = sim_ledger_open(path, err, sizeof err);
    CHECK(l != NULL);
    t = sim_ledger_find(l, "F1", sim_now_ms());
    CHECK(t != NULL);
    CHECK_EQ_STR(t->trade_no, trade_no);
    CHECK_EQ_INT(t->state, TRADE_PAYING);
    CHECK(t->confirm_until > sim_now_ms() && t->confirm_until <= sim_now_ms() + 30000);
    /* Numbers keep counting after a restart: a new trade gets a new number. */
    p = plan("success", -1);
    CHECK_EQ_INT(
        sim_ledger_pay(l, CHANNEL_ALIPAY, "F2", "287654321098765400", 250, &p, sim_now_ms(), &t),
        SIM_PAY_CHARGED);
    CHECK(strcmp(t->trade_no, trade_no) != 0);
    /* Each change is one more line: F2 refunded twice adds two. */
    const struct sim_refund *rf = NULL;
    CHECK_EQ_INT(sim_ledger_refund(l, "F2", "R1", 50, -1, 0, 0, sim_now_ms(), &t, &rf),
                 SIM_REFUND_DONE);
    CHECK_EQ_INT(sim_ledger_refund(l, "F2", "R2", 50, -1, 0, 0, sim_now_ms(), &t, &rf),
                 SIM_REFUND_DONE);
    CHECK_EQ_INT(count_lines(path), 4);
    sim_ledger_close(l);

    /* A crash in the middle of a write leaves a torn last line: dropped, the rest kept. */
    FILE *f = fopen(path, "a");
    fputs("{\"channel\":\"alipay\",\"out_trade_no\":\"F3\",\"sta", f);
    fclose(f);
    l = sim_ledger_open(path, err, sizeof err);
    CHECK(l != NULL);
    CHECK(sim_ledger_find(l, "F3", sim_now_ms()) == NULL);
    t = sim_ledger_find(l, "F2", sim_now_ms());
    CHECK(t != NULL && t->refunded_fen == 100 && t->nrefunds == 2);
    sim_ledger_close(l);
    CHECK_EQ_INT(count_lines(path), 2); /* opening compacted it */

    /* A torn line in the middle is not a crash's doing: refused. */
    f = fopen(path, "a");
    fputs("{\"broken\n{}\n", f);
    fclose(f);
    CHECK(sim_ledger_open(path, err, sizeof err) == NULL);

    f = fopen(path, "w");
    fputs("[1,2,3]", f);
    fclose(f);
    CHECK(sim_ledger_open(path, err, sizeof err) == NULL);
    CHECK(strstr(err, "not a posterm-sim ledger") != NULL);
}

static int run(const char *const argv[])
{
    pid_t pid;
    if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) != 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Our signatures against the openssl tool: PKCS#1 v1.5 is deterministic, so both must
 * produce the same bytes, and each must verify the other's. */
static void test_crypto(void)
{
    char priv[300], pub[300], msg[300], sig[300], err[256];
    snprintf(priv, sizeof priv, "%s/k.pem", dir);
    snprintf(pub, sizeof pub, "%s/k.pub", dir);
    snprintf(msg, sizeof msg, "%s/msg", dir);
    snprintf(sig, sizeof sig, "%s/msg.sig", dir);
    CHECK_EQ_INT(sim_make_rsa_pair(priv, pub, err, sizeof err), SIM_CRYPTO_OK);
    struct stat st;
    CHECK(stat(priv, &st) == 0 && (st.st_mode & 0777) == 0600);

    static const char text[] =
        "POST\n/v3/pay/transactions/codepay\n1700000000\nNONCE\n{\"a\":\"中文\"}\n";
    FILE *f = fopen(msg, "wb");
    fwrite(text, 1, sizeof text - 1, f);
    fclose(f);

    struct sim_key *sk = NULL, *pk = NULL;
    CHECK_EQ_INT(sim_key_load_private(&sk, priv, err, sizeof err), SIM_CRYPTO_OK);
    CHECK_EQ_INT(sim_key_load_public(&pk, pub, err, sizeof err), SIM_CRYPTO_OK);
    char ours[512];
    CHECK_EQ_INT(sim_sign_b64(sk, text, sizeof text - 1, ours, sizeof ours), SIM_CRYPTO_OK);
    CHECK(sim_verify_b64(pk, text, sizeof text - 1, ours));
    CHECK(!sim_verify_b64(pk, text, sizeof text - 2, ours));
    CHECK(!sim_verify_b64(pk, text, sizeof text - 1, "not base64!"));
    CHECK(!sim_verify_b64(pk, text, sizeof text - 1, ""));

    const char *sign_cmd[] = {"openssl", "dgst", "-sha256", "-sign", priv, "-out", sig, msg, NULL};
    CHECK_EQ_INT(run(sign_cmd), 0);
    unsigned char raw[512];
    size_t raw_len = 0;
    f = fopen(sig, "rb");
    if (f != NULL) {
        raw_len = fread(raw, 1, sizeof raw, f);
        fclose(f);
    }
    char theirs[700] = "";
    size_t olen = 0;
    CHECK(mbedtls_base64_encode((unsigned char *)theirs, sizeof theirs, &olen, raw, raw_len) == 0);
    CHECK_EQ_STR(ours, theirs);

    /* And openssl accepts ours. */
    unsigned char decoded[512];
    CHECK(mbedtls_base64_decode(decoded, sizeof decoded, &olen, (unsigned char *)ours,
                                strlen(ours)) == 0);
    f = fopen(sig, "wb");
    fwrite(decoded, 1, olen, f);
    fclose(f);
    const char *verify_cmd[] = {"openssl",    "dgst", "-sha256", "-verify", pub,
                                "-signature", sig,    msg,       NULL};
    CHECK_EQ_INT(run(verify_cmd), 0);

    /* Wrong kinds of files are refused with the file named. */
    struct sim_key *bad = NULL;
    CHECK_EQ_INT(sim_key_load_private(&bad, pub, err, sizeof err), SIM_CRYPTO_ERR_KEY);
    CHECK(bad == NULL && strstr(err, pub) != NULL);
    CHECK_EQ_INT(sim_key_load_public(&bad, msg, err, sizeof err), SIM_CRYPTO_ERR_KEY);
    char missing[320];
    snprintf(missing, sizeof missing, "%s/none.pem", dir);
    CHECK_EQ_INT(sim_key_load_public(&bad, missing, err, sizeof err), SIM_CRYPTO_ERR_FILE);
    sim_key_free(sk);
    sim_key_free(pk);

    char nonce[33];
    CHECK_EQ_INT(sim_random_alnum(nonce, 32), SIM_CRYPTO_OK);
    CHECK_EQ_INT(strlen(nonce), 32);

    /* The TLS material: a CA and a server certificate that openssl verifies against it. */
    CHECK_EQ_INT(sim_make_tls(dir, err, sizeof err), SIM_CRYPTO_OK);
    char ca[300], cert[300];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    const char *x509_cmd[] = {"openssl",  "verify",    "-CAfile", ca,
                              "-purpose", "sslserver", cert,      NULL};
    CHECK_EQ_INT(run(x509_cmd), 0);
}

static void remove_dir(void)
{
    static const char *const files[] = {"ledger.json", "ledger.json.tmp", "k.pem",  "k.pub",
                                        "msg",         "msg.sig",         "ca.pem", "server.pem",
                                        "server.key"};
    char path[320];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/posterm-sim-units-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_yuan();
    test_codes();
    test_scenarios();
    test_time_scale();
    test_ledger_rules();
    test_ledger_file();
    test_crypto();
    remove_dir();
    return check_done();
}
