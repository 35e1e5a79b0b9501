/*
 * sim_main.c - posterm-sim: the command line, key and certificate making, and the main
 * thread that owns start-up, unreachability windows and a clean exit on SIGTERM/SIGINT.
 *
 * Start-up contract for scripts: the single line "posterm-sim listening on
 * http(s)://127.0.0.1:PORT" on stdout, then the port file (written atomically), appear only
 * once the socket accepts connections. Exit status 0 after SIGTERM, 2 for bad usage, 1 for anything
 * else.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sim.h"
#include "sim_server.h"

#define DEMO_PORT 8480

static const char usage[] =
    "usage:\n"
    "  posterm-sim --keys DIR [--port N] [--tls-cert FILE --tls-key FILE] [--ledger FILE]\n"
    "              [--port-file FILE] [--config-out FILE] [--quiet] [--timing-log FILE]\n"
    "              [--idle-close SEC] [--query-limit-ms MS]\n"
    "  posterm-sim --make-keys DIR [--port N] [--tls-cert FILE]\n"
    "  posterm-sim --make-tls DIR\n"
    "  posterm-sim --scenarios\n"
    "\n"
    "  --keys DIR        test keys (from --make-keys): merchant public keys to verify requests,\n"
    "                    platform private keys to sign replies\n"
    "  --port N          127.0.0.1 port; 0 (default) picks a free one\n"
    "  --tls-cert/--tls-key  serve HTTPS with this PEM certificate and key\n"
    "  --ledger FILE     keep the ledger in FILE (JSON) across restarts\n"
    "  --port-file FILE  write the port to FILE once listening\n"
    "  --config-out FILE write posterm's gateway settings for this running simulator\n"
    "  --quiet           no line per request on stderr\n"
    "  --time-scale PCT  stretch every scenario's and control request's duration to PCT\n"
    "                    percent (100..1000; the e2e harness on a slow machine)\n"
    "  --timing-log FILE append \"<CLOCK_MONOTONIC ns> <URI>\" per request as it arrives\n"
    "                    (and \"<ns> @accept\" per connection accepted; tests/bench/)\n"
    "  --idle-close SEC  close a connection idle SEC seconds, as a gateway does (default 60)\n"
    "  --query-limit-ms MS  refuse a trade query sooner than MS after the same order's last\n"
    "                    one, as the gateways do (WeChat 429 FREQUENCY_LIMITED, Alipay 40005\n"
    "                    isv.method-call-limited); 0 (default): no limit\n"
    "  --make-keys DIR   write fresh RSA-2048 key pairs, the WeChat APIv3 key and\n"
    "                    DIR/" SIM_FILE_CONFIG_FRAGMENT " (for --port, default 8480), then exit\n"
    "  --make-tls DIR    write DIR/ca.pem, DIR/server.pem, DIR/server.key (a throw-away CA and\n"
    "                    a certificate for localhost/127.0.0.1), then exit\n"
    "  --scenarios       print the scenario table, then exit\n"
    "\n"
    "control: GET /_sim/health, GET /_sim/audit, POST /_sim/script, DELETE /_sim/script,\n"
    "         POST /_sim/replay, DELETE /_sim/replay,\n"
    "         POST /_sim/unreachable?seconds=N (see tests/sim/README.md)\n";

struct options {
    const char *keys, *make_keys, *make_tls;
    const char *tls_cert, *tls_key, *ledger, *port_file, *config_out, *timing_log;
    int port;
    unsigned idle_close_s;
    int query_limit_ms;
    bool quiet, scenarios;
};

static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    char byte = (char)sig;
    int saved = errno;
    if (write(signal_pipe[1], &byte, 1) < 0) {
        /* The pipe is full: a stop is already pending. */
    }
    errno = saved;
}

static bool parse_args(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **target = NULL;
        if (strcmp(a, "--quiet") == 0) {
            o->quiet = true;
            continue;
        }
        if (strcmp(a, "--scenarios") == 0) {
            o->scenarios = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return false;
        if (i + 1 >= argc) {
            fprintf(stderr, "posterm-sim: %s needs a value\n", a);
            return false;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--port") == 0) {
            char *end = NULL;
            long p = strtol(v, &end, 10);
            if (end == v || *end != '\0' || p < 0 || p > 65535) {
                fprintf(stderr, "posterm-sim: --port must be 0..65535, not \"%s\"\n", v);
                return false;
            }
            o->port = (int)p;
            continue;
        }
        if (strcmp(a, "--idle-close") == 0) {
            char *end = NULL;
            long sec = strtol(v, &end, 10);
            if (end == v || *end != '\0' || sec < 1 || sec > 3600) {
                fprintf(stderr, "posterm-sim: --idle-close must be 1..3600 seconds, not \"%s\"\n",
                        v);
                return false;
            }
            o->idle_close_s = (unsigned)sec;
            continue;
        }
        if (strcmp(a, "--query-limit-ms") == 0) {
            char *end = NULL;
            long ms = strtol(v, &end, 10);
            if (end == v || *end != '\0' || ms < 0 || ms > 60000) {
                fprintf(stderr, "posterm-sim: --query-limit-ms must be 0..60000, not \"%s\"\n", v);
                return false;
            }
            o->query_limit_ms = (int)ms;
            continue;
        }
        if (strcmp(a, "--time-scale") == 0) {
            char *end = NULL;
            long pct = strtol(v, &end, 10);
            if (end == v || *end != '\0' || pct < 100 || pct > 1000) {
                fprintf(stderr, "posterm-sim: --time-scale must be 100..1000, not \"%s\"\n", v);
                return false;
            }
            sim_time_scale_set((int)pct);
            continue;
        }
        if (strcmp(a, "--keys") == 0)
            target = &o->keys;
        else if (strcmp(a, "--make-keys") == 0)
            target = &o->make_keys;
        else if (strcmp(a, "--make-tls") == 0)
            target = &o->make_tls;
        else if (strcmp(a, "--tls-cert") == 0)
            target = &o->tls_cert;
        else if (strcmp(a, "--tls-key") == 0)
            target = &o->tls_key;
        else if (strcmp(a, "--ledger") == 0)
            target = &o->ledger;
        else if (strcmp(a, "--port-file") == 0)
            target = &o->port_file;
        else if (strcmp(a, "--config-out") == 0)
            target = &o->config_out;
        else if (strcmp(a, "--timing-log") == 0)
            target = &o->timing_log;
        if (target == NULL) {
            fprintf(stderr, "posterm-sim: unknown option %s\n", a);
            return false;
        }
        *target = v;
    }
    if (!o->scenarios && !o->make_keys && !o->make_tls && !o->keys) {
        fprintf(stderr, "posterm-sim: --keys DIR is required (make one with --make-keys DIR)\n");
        return false;
    }
    if ((o->tls_key != NULL) != (o->tls_cert != NULL && !o->make_keys)) {
        fprintf(stderr, "posterm-sim: --tls-cert and --tls-key go together\n");
        return false;
    }
    return true;
}

/* Whole file as text; NULL with err. */
static char *read_text(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(65536 + 1);
    size_t n = text ? fread(text, 1, 65536, f) : 0;
    bool too_big = text && n == 65536 && fgetc(f) != EOF;
    fclose(f);
    if (text == NULL || too_big) {
        snprintf(err, errlen, "%s: %s", path, text ? "larger than 64 KiB" : "out of memory");
        free(text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

/* Writes path via a temporary file and rename, so a reader never sees half of it. */
static bool write_atomically(const char *path, const char *text, mode_t mode)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return false;
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return true;
    unlink(tmp);
    return false;
}

static void key_path(char *out, size_t size, const char *dir, const char *file)
{
    snprintf(out, size, "%s/%s", dir, file);
}

/* posterm's gateway settings for a simulator on port, with absolute key paths: the field
 * names follow struct gateway_config (drivers/gateway/gateway.h); tests/e2e/harness.py
 * turns them into posterm's config file. */
static bool write_config_fragment(const char *path, const char *keys_dir, int port, bool tls,
                                  const char *ca_file)
{
    char dir[PATH_MAX], p[PATH_MAX + 64], url[128];
    if (realpath(keys_dir, dir) == NULL)
        return false;
    cJSON *root = cJSON_CreateObject();
    cJSON *gw = cJSON_AddObjectToObject(root, "gateway");
    cJSON_AddBoolToObject(gw, "tls_verify", true);
    cJSON_AddStringToObject(gw, "ca_file", ca_file ? ca_file : "");

    cJSON *ali = cJSON_AddObjectToObject(gw, "alipay");
    cJSON_AddBoolToObject(ali, "enabled", true);
    snprintf(url, sizeof url, "%s://127.0.0.1:%d/gateway.do", tls ? "https" : "http", port);
    cJSON_AddStringToObject(ali, "base_url", url);
    cJSON_AddStringToObject(ali, "app_id", SIM_ALIPAY_APP_ID);
    key_path(p, sizeof p, dir, SIM_FILE_ALIPAY_APP_PRIVATE);
    cJSON_AddStringToObject(ali, "private_key_file", p);
    key_path(p, sizeof p, dir, SIM_FILE_ALIPAY_PLATFORM_PUBLIC);
    cJSON_AddStringToObject(ali, "platform_public_key_file", p);

    cJSON *wx = cJSON_AddObjectToObject(gw, "wechat");
    cJSON_AddBoolToObject(wx, "enabled", true);
    snprintf(url, sizeof url, "%s://127.0.0.1:%d", tls ? "https" : "http", port);
    cJSON_AddStringToObject(wx, "base_url", url);
    cJSON_AddStringToObject(wx, "app_id", SIM_WECHAT_APPID);
    cJSON_AddStringToObject(wx, "merchant_id", SIM_WECHAT_MCHID);
    cJSON_AddStringToObject(wx, "merchant_serial", SIM_WECHAT_MERCHANT_SERIAL);
    key_path(p, sizeof p, dir, SIM_FILE_WECHAT_MERCHANT_PRIVATE);
    cJSON_AddStringToObject(wx, "private_key_file", p);
    key_path(p, sizeof p, dir, SIM_FILE_WECHAT_PLATFORM_PUBLIC);
    cJSON_AddStringToObject(wx, "platform_public_key_file", p);
    cJSON_AddStringToObject(wx, "platform_serial", SIM_WECHAT_PLATFORM_SERIAL);
    key_path(p, sizeof p, dir, SIM_FILE_WECHAT_APIV3_KEY);
    cJSON_AddStringToObject(wx, "apiv3_key_file", p);
    /* WeChat requires one on a QR (Native) order; the simulator never calls it. */
    cJSON_AddStringToObject(wx, "notify_url", "https://merchant.example/posterm/notify");

    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    bool ok = false;
    if (text != NULL) {
        size_t len = strlen(text);
        char *line = malloc(len + 2);
        if (line != NULL) {
            memcpy(line, text, len);
            memcpy(line + len, "\n", 2);
            ok = write_atomically(path, line, 0644);
            free(line);
        }
        free(text);
    }
    return ok;
}

/* The CA file next to a certificate made by --make-tls, if there is one. */
static const char *ca_beside(const char *cert, char *out, size_t size)
{
    char real[PATH_MAX];
    if (cert == NULL || realpath(cert, real) == NULL)
        return NULL;
    char *slash = strrchr(real, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    if (snprintf(out, size, "%s/ca.pem", real) >= (int)size)
        return NULL;
    return access(out, R_OK) == 0 ? out : NULL;
}

static int make_keys(const struct options *o)
{
    static const char *const pairs[][2] = {
        {SIM_FILE_ALIPAY_APP_PRIVATE, SIM_FILE_ALIPAY_APP_PUBLIC},
        {SIM_FILE_ALIPAY_PLATFORM_PRIVATE, SIM_FILE_ALIPAY_PLATFORM_PUBLIC},
        {SIM_FILE_WECHAT_MERCHANT_PRIVATE, SIM_FILE_WECHAT_MERCHANT_PUBLIC},
        {SIM_FILE_WECHAT_PLATFORM_PRIVATE, SIM_FILE_WECHAT_PLATFORM_PUBLIC},
    };
    char err[512], priv[PATH_MAX], pub[PATH_MAX];
    if (mkdir(o->make_keys, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "posterm-sim: %s: %s\n", o->make_keys, strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        key_path(priv, sizeof priv, o->make_keys, pairs[i][0]);
        key_path(pub, sizeof pub, o->make_keys, pairs[i][1]);
        if (sim_make_rsa_pair(priv, pub, err, sizeof err) != SIM_CRYPTO_OK) {
            fprintf(stderr, "posterm-sim: %s\n", err);
            return 1;
        }
    }
    /* The APIv3 key is 32 characters; posterm keeps it in a 0600 file like the keys. */
    char apiv3[33];
    key_path(priv, sizeof priv, o->make_keys, SIM_FILE_WECHAT_APIV3_KEY);
    if (sim_random_alnum(apiv3, 32) != SIM_CRYPTO_OK || !write_atomically(priv, apiv3, 0600)) {
        fprintf(stderr, "posterm-sim: %s: cannot write\n", priv);
        return 1;
    }
    char ca[PATH_MAX];
    key_path(priv, sizeof priv, o->make_keys, SIM_FILE_CONFIG_FRAGMENT);
    if (!write_config_fragment(priv, o->make_keys, o->port ? o->port : DEMO_PORT,
                               o->tls_cert != NULL, ca_beside(o->tls_cert, ca, sizeof ca))) {
        fprintf(stderr, "posterm-sim: %s: cannot write\n", priv);
        return 1;
    }
    printf("posterm-sim: test keys written to %s\n", o->make_keys);
    return 0;
}

static bool load_keys(struct sim *s, const char *dir)
{
    struct {
        const char *file;
        bool private_key;
        struct sim_key **slot;
    } keys[] = {
        {SIM_FILE_ALIPAY_APP_PUBLIC, false, &s->alipay_app_public},
        {SIM_FILE_ALIPAY_PLATFORM_PRIVATE, true, &s->alipay_platform_private},
        {SIM_FILE_WECHAT_MERCHANT_PUBLIC, false, &s->wechat_merchant_public},
        {SIM_FILE_WECHAT_PLATFORM_PRIVATE, true, &s->wechat_platform_private},
    };
    char path[PATH_MAX], err[512];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        key_path(path, sizeof path, dir, keys[i].file);
        enum sim_crypto_status st = keys[i].private_key
                                        ? sim_key_load_private(keys[i].slot, path, err, sizeof err)
                                        : sim_key_load_public(keys[i].slot, path, err, sizeof err);
        if (st != SIM_CRYPTO_OK) {
            fprintf(stderr, "posterm-sim: %s\n", err);
            return false;
        }
    }
    return true;
}

static void free_sim(struct sim *s)
{
    sim_key_free(s->alipay_app_public);
    sim_key_free(s->alipay_platform_private);
    sim_key_free(s->wechat_merchant_public);
    sim_key_free(s->wechat_platform_private);
    sim_script_free(s->script);
    sim_ledger_close(s->ledger);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
}

static bool init_sim(struct sim *s, const struct options *o)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);
    char err[512];
    s->query_limit_ms = o->query_limit_ms;
    s->script = sim_script_new();
    s->ledger = sim_ledger_open(o->ledger, err, sizeof err);
    if (s->ledger == NULL) {
        fprintf(stderr, "posterm-sim: ledger %s\n", err);
        return false;
    }
    return s->script != NULL && load_keys(s, o->keys);
}

/* Runs until SIGTERM/SIGINT; owns the unreachable windows. */
static int serve(struct sim_server *srv)
{
    int64_t back_at = 0;
    for (;;) {
        int timeout = -1;
        if (sim_server_suspended(srv)) {
            int64_t left = back_at - sim_now_ms();
            timeout = left > 0 ? (int)left : 0;
        }
        struct pollfd fds[2] = {{signal_pipe[0], POLLIN, 0},
                                {sim_server_control_fd(srv), POLLIN, 0}};
        int n = poll(fds, 2, timeout);
        if (n < 0 && errno != EINTR) {
            perror("posterm-sim: poll");
            return 1;
        }
        if (fds[0].revents & POLLIN)
            return 0;
        if (fds[1].revents & POLLIN) {
            int seconds = sim_server_take_unreachable(srv);
            if (seconds > 0) {
                if (!sim_server_suspended(srv)) {
                    fprintf(stderr, "posterm-sim: unreachable for %d s\n", seconds);
                    sim_server_suspend(srv);
                }
                back_at = sim_now_ms() + (int64_t)seconds * 1000;
            }
        }
        if (sim_server_suspended(srv) && sim_now_ms() >= back_at) {
            char err[256];
            if (sim_server_resume(srv, err, sizeof err)) {
                fprintf(stderr, "posterm-sim: reachable again\n");
            } else {
                /* The port may still be held for a moment; try again shortly. */
                fprintf(stderr, "posterm-sim: cannot listen again yet: %s\n", err);
                back_at = sim_now_ms() + 200;
            }
        }
    }
}

int main(int argc, char **argv)
{
    struct options o;
    if (!parse_args(argc, argv, &o)) {
        fputs(usage, stderr);
        return 2;
    }
    if (o.scenarios) {
        sim_scenario_print_table(stdout);
        return 0;
    }
    if (o.make_tls) {
        char err[512];
        if (mkdir(o.make_tls, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "posterm-sim: %s: %s\n", o.make_tls, strerror(errno));
            return 1;
        }
        if (sim_make_tls(o.make_tls, err, sizeof err) != SIM_CRYPTO_OK) {
            fprintf(stderr, "posterm-sim: %s\n", err);
            return 1;
        }
        printf("posterm-sim: CA and server certificate written to %s\n", o.make_tls);
        if (!o.make_keys)
            return 0;
    }
    if (o.make_keys)
        return make_keys(&o);

    if (pipe(signal_pipe) != 0) {
        perror("posterm-sim: pipe");
        return 1;
    }
    fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sim s;
    char err[512];
    char *cert = NULL, *key = NULL;
    struct sim_server *srv = NULL;
    int status = 1;
    int timing_fd = -1;
    if (!init_sim(&s, &o))
        goto out;
    if (o.timing_log != NULL) {
        timing_fd = open(o.timing_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (timing_fd < 0) {
            fprintf(stderr, "posterm-sim: %s: %s\n", o.timing_log, strerror(errno));
            goto out;
        }
    }
    if (o.tls_cert != NULL) {
        cert = read_text(o.tls_cert, err, sizeof err);
        key = cert ? read_text(o.tls_key, err, sizeof err) : NULL;
        if (key == NULL) {
            fprintf(stderr, "posterm-sim: %s\n", err);
            goto out;
        }
    }
    struct sim_server_options so = {o.port, cert, key, o.quiet, timing_fd, o.idle_close_s};
    if (!sim_server_start(&srv, &s, &so, err, sizeof err)) {
        fprintf(stderr, "posterm-sim: cannot listen: %s\n", err);
        goto out;
    }
    int port = sim_server_port(srv);
    if (o.config_out != NULL) {
        char ca[PATH_MAX];
        if (!write_config_fragment(o.config_out, o.keys, port, cert != NULL,
                                   ca_beside(o.tls_cert, ca, sizeof ca))) {
            fprintf(stderr, "posterm-sim: %s: cannot write\n", o.config_out);
            goto out;
        }
    }
    /* The line first: whoever sees the port file can rely on the line being out too. */
    printf("posterm-sim listening on %s://127.0.0.1:%d\n", cert ? "https" : "http", port);
    fflush(stdout);
    if (o.port_file != NULL) {
        char text[16];
        snprintf(text, sizeof text, "%d\n", port);
        if (!write_atomically(o.port_file, text, 0644)) {
            fprintf(stderr, "posterm-sim: %s: cannot write\n", o.port_file);
            goto out;
        }
    }
    status = serve(srv);
    fprintf(stderr, "posterm-sim: stopping\n");
out:
    sim_server_stop(srv);
    if (s.ledger != NULL && !sim_ledger_save(s.ledger, sim_now_ms(), err, sizeof err))
        fprintf(stderr, "posterm-sim: ledger not saved: %s\n", err);
    free_sim(&s);
    if (key != NULL) {
        memset(key, 0, strlen(key));
        free(key);
    }
    free(cert);
    if (timing_fd >= 0)
        close(timing_fd);
    return status;
}
