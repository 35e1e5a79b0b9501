/*
 * sim_client.c - run posterm-sim from a test and speak both gateways' protocols to it.
 *
 * The sign strings here are written out by hand (Alipay: the fixed, already sorted list of
 * parameters this client sends; WeChat: the five lines), not shared with the simulator, so a
 * mistake on either side shows up as a rejected request.
 */
#include "sim_client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

extern char **environ;

void test_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void test_order_no(char out[33], const char *prefix)
{
    static unsigned counter;
    snprintf(out, 33, "%s%ld%04u", prefix, (long)getpid() % 100000, ++counter);
}

int sim_run(const char *bin, const char *const *args)
{
    const char *argv[16] = {bin};
    int argc = 1;
    for (int i = 0; args && args[i] && argc < 15; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    pid_t pid;
    if (posix_spawn(&pid, bin, NULL, NULL, (char *const *)argv, environ) != 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool simproc_prepare(struct simproc *p, const char *bin)
{
    memset(p, 0, sizeof *p);
    p->pid = -1;
    snprintf(p->bin, sizeof p->bin, "%s", bin);
    const char *tmp = getenv("TMPDIR");
    snprintf(p->dir, sizeof p->dir, "%s/posterm-sim-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(p->dir) == NULL) {
        fprintf(stderr, "mkdtemp %s: %s\n", p->dir, strerror(errno));
        return false;
    }
    snprintf(p->keys, sizeof p->keys, "%s/keys", p->dir);
    const char *args[] = {"--make-keys", p->keys, NULL};
    if (sim_run(p->bin, args) != 0) {
        fprintf(stderr, "%s --make-keys %s failed\n", p->bin, p->keys);
        return false;
    }
    char path[512], err[512];
    struct {
        const char *file;
        bool priv;
        struct sim_key **slot;
    } keys[] = {
        {SIM_FILE_ALIPAY_APP_PRIVATE, true, &p->alipay_app_private},
        {SIM_FILE_ALIPAY_PLATFORM_PUBLIC, false, &p->alipay_platform_public},
        {SIM_FILE_WECHAT_MERCHANT_PRIVATE, true, &p->wechat_merchant_private},
        {SIM_FILE_WECHAT_PLATFORM_PUBLIC, false, &p->wechat_platform_public},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", p->keys, keys[i].file);
        enum sim_crypto_status st = keys[i].priv
                                        ? sim_key_load_private(keys[i].slot, path, err, sizeof err)
                                        : sim_key_load_public(keys[i].slot, path, err, sizeof err);
        if (st != SIM_CRYPTO_OK) {
            fprintf(stderr, "%s\n", err);
            return false;
        }
    }
    return true;
}

static bool read_port(const char *path, int *port)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    int n = fscanf(f, "%d", port);
    fclose(f);
    return n == 1 && *port > 0;
}

bool simproc_start(struct simproc *p, const char *const *extra)
{
    char port_file[320], out_log[320], err_log[320];
    snprintf(port_file, sizeof port_file, "%s/port", p->dir);
    snprintf(out_log, sizeof out_log, "%s/stdout.log", p->dir);
    snprintf(err_log, sizeof err_log, "%s/stderr.log", p->dir);
    unlink(port_file);
    const char *argv[32] = {p->bin, "--keys", p->keys, "--port", "0", "--port-file", port_file};
    int argc = 7;
    p->tls = false;
    for (int i = 0; extra && extra[i] && argc < 31; i++) {
        if (strcmp(extra[i], "--tls-cert") == 0)
            p->tls = true;
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int rc = posix_spawn(&p->pid, p->bin, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "spawn %s: %s\n", p->bin, strerror(rc));
        p->pid = -1;
        return false;
    }
    for (int i = 0; i < 1500; i++) { /* up to 30 s: sanitizer builds start slowly */
        if (read_port(port_file, &p->port)) {
            snprintf(p->base, sizeof p->base, "%s://127.0.0.1:%d", p->tls ? "https" : "http",
                     p->port);
            return true;
        }
        int status;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            fprintf(stderr, "posterm-sim exited before listening; see %s\n", err_log);
            p->pid = -1;
            return false;
        }
        test_sleep_ms(20);
    }
    fprintf(stderr, "posterm-sim did not write its port file\n");
    simproc_stop(p);
    return false;
}

int simproc_stop(struct simproc *p)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 1000; i++) {
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        test_sleep_ms(20);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
    p->pid = -1;
    return -1;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[1024];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(child);
            else
                unlink(child);
        }
        closedir(d);
    }
    rmdir(path);
}

void simproc_cleanup(struct simproc *p)
{
    if (p->pid > 0)
        simproc_stop(p);
    sim_key_free(p->alipay_app_private);
    sim_key_free(p->alipay_platform_public);
    sim_key_free(p->wechat_merchant_private);
    sim_key_free(p->wechat_platform_public);
    p->alipay_app_private = p->alipay_platform_public = NULL;
    p->wechat_merchant_private = p->wechat_platform_public = NULL;
    if (p->dir[0] != '\0' && getenv("POSTERM_KEEP_TEST_DIRS") == NULL)
        remove_tree(p->dir);
}

struct buffer {
    char *data;
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t n, void *user)
{
    struct buffer *b = user;
    size_t add = size * n;
    char *grown = realloc(b->data, b->len + add + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + b->len, ptr, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

void http_result_free(struct http_result *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

bool http_header(const struct http_result *r, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t vlen = len - (size_t)(v - line);
            if (vlen >= size)
                return false;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return true;
        }
        line = end ? end + 2 : line + len;
    }
    return false;
}

static bool perform(struct simproc *p, const char *method, const char *url,
                    struct curl_slist *headers, const char *body, long timeout_ms,
                    struct http_result *out)
{
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    if (c == NULL)
        return false;
    struct buffer body_buf = {0}, head_buf = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body_buf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &head_buf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (p->ca[0] != '\0')
        curl_easy_setopt(c, CURLOPT_CAINFO, p->ca);
    out->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(c);
    out->body = body_buf.data ? body_buf.data : strdup("");
    out->len = body_buf.len;
    out->headers = head_buf.data ? head_buf.data : strdup("");
    return true;
}

bool sim_http(struct simproc *p, const char *method, const char *path, const char *body,
              long timeout_ms, struct http_result *out)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", p->base, path);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    bool ok = perform(p, method, url, h, body, timeout_ms, out);
    curl_slist_free_all(h);
    return ok;
}

static void beijing_now(char out[32])
{
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

bool alipay_call(struct simproc *p, const char *method, const char *biz_json,
                 struct sim_key *sign_with, long timeout_ms, struct http_result *out)
{
    char ts[32];
    beijing_now(ts);
    /* The parameters in ascending key order, as the sign string wants them. */
    const char *keys[] = {"app_id", "biz_content", "charset",   "format",
                          "method", "sign_type",   "timestamp", "version"};
    const char *vals[] = {SIM_ALIPAY_APP_ID, biz_json, "utf-8", "JSON", method, "RSA2", ts, "1.0"};
    size_t n = sizeof keys / sizeof keys[0];
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(keys[i]) + strlen(vals[i]) + 2;
    char *content = malloc(total);
    if (content == NULL)
        return false;
    content[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(content, "&");
        strcat(content, keys[i]);
        strcat(content, "=");
        strcat(content, vals[i]);
    }
    char sig[512];
    if (sim_sign_b64(sign_with ? sign_with : p->alipay_app_private, content, strlen(content), sig,
                     sizeof sig) != SIM_CRYPTO_OK) {
        free(content);
        return false;
    }
    free(content);
    CURL *esc = curl_easy_init();
    size_t cap = total * 3 + 1200;
    char *form = malloc(cap);
    if (form == NULL || esc == NULL) {
        free(form);
        curl_easy_cleanup(esc);
        return false;
    }
    form[0] = '\0';
    for (size_t i = 0; i <= n; i++) {
        const char *k = i < n ? keys[i] : "sign", *v = i < n ? vals[i] : sig;
        char *ev = curl_easy_escape(esc, v, 0);
        size_t used = strlen(form);
        snprintf(form + used, cap - used, "%s%s=%s", i ? "&" : "", k, ev);
        curl_free(ev);
    }
    curl_easy_cleanup(esc);
    char url[512];
    snprintf(url, sizeof url, "%s/gateway.do", p->base);
    struct curl_slist *h =
        curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded;charset=utf-8");
    bool ok = perform(p, "POST", url, h, form, timeout_ms, out);
    curl_slist_free_all(h);
    free(form);
    return ok;
}

/* End of the JSON object starting at s[0]=='{', honouring strings and escapes. */
static const char *object_end(const char *s)
{
    int depth = 0;
    bool in_string = false;
    for (const char *c = s; *c; c++) {
        if (in_string) {
            if (*c == '\\' && c[1])
                c++;
            else if (*c == '"')
                in_string = false;
        } else if (*c == '"') {
            in_string = true;
        } else if (*c == '{') {
            depth++;
        } else if (*c == '}' && --depth == 0) {
            return c;
        }
    }
    return NULL;
}

bool alipay_reply(struct simproc *p, const struct http_result *r, const char *method, cJSON **resp,
                  bool *verified)
{
    *resp = NULL;
    *verified = false;
    cJSON *root = cJSON_Parse(r->body);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return false;
    }
    char key[80];
    snprintf(key, sizeof key, "\"%s_response\"", method);
    for (char *c = key; *c; c++)
        if (*c == '.')
            *c = '_';
    key[strlen(key) - 1] = '\0';
    cJSON *obj = cJSON_DetachItemFromObjectCaseSensitive(root, key + 1);
    if (obj == NULL)
        obj = cJSON_DetachItemFromObjectCaseSensitive(root, "error_response");
    key[strlen(key)] = '"';
    const char *sign = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "sign"));
    const char *at = strstr(r->body, key);
    if (at == NULL)
        at = strstr(r->body, "\"error_response\"");
    const char *start = at ? strchr(at, '{') : NULL;
    const char *end = start ? object_end(start) : NULL;
    if (sign != NULL && end != NULL) {
        *verified =
            sim_verify_b64(p->alipay_platform_public, start, (size_t)(end - start + 1), sign);
    }
    cJSON_Delete(root);
    *resp = obj;
    return obj != NULL;
}

const char *json_text(const cJSON *o, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    return v ? v : "";
}

/* The signed request with these Accept / Content-Type header lines (NULL: none sent). */
static bool wechat_request(struct simproc *p, const char *method, const char *path,
                           const char *body, struct sim_key *sign_with, const char *mchid,
                           const char *serial, long long timestamp, const char *accept,
                           const char *content_type, long timeout_ms, struct http_result *out)
{
    char nonce[33], ts[24], sig[512];
    sim_random_alnum(nonce, 32);
    snprintf(ts, sizeof ts, "%lld", timestamp);
    const char *b = body ? body : "";
    size_t len = strlen(method) + strlen(path) + strlen(ts) + strlen(nonce) + strlen(b) + 6;
    char *msg = malloc(len);
    if (msg == NULL)
        return false;
    snprintf(msg, len, "%s\n%s\n%s\n%s\n%s\n", method, path, ts, nonce, b);
    enum sim_crypto_status st = sim_sign_b64(sign_with, msg, strlen(msg), sig, sizeof sig);
    free(msg);
    if (st != SIM_CRYPTO_OK)
        return false;
    char auth[1200];
    snprintf(auth, sizeof auth,
             "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"%s\","
             "signature=\"%s\",timestamp=\"%s\",serial_no=\"%s\"",
             mchid, nonce, sig, ts, serial);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    /* "Name:" with nothing after it tells curl not to send its own default. */
    h = curl_slist_append(h, accept ? accept : "Accept:");
    h = curl_slist_append(h, content_type ? content_type : "Content-Type:");
    char url[512];
    snprintf(url, sizeof url, "%s%s", p->base, path);
    bool ok = perform(p, method, url, h, body, timeout_ms, out);
    curl_slist_free_all(h);
    return ok;
}

bool wechat_call_with(struct simproc *p, const char *method, const char *path, const char *body,
                      struct sim_key *sign_with, const char *mchid, const char *serial,
                      long long timestamp, long timeout_ms, struct http_result *out)
{
    return wechat_request(p, method, path, body, sign_with, mchid, serial, timestamp,
                          "Accept: application/json", "Content-Type: application/json", timeout_ms,
                          out);
}

bool wechat_call_headers(struct simproc *p, const char *method, const char *path, const char *body,
                         const char *accept, const char *content_type, struct http_result *out)
{
    return wechat_request(p, method, path, body, p->wechat_merchant_private, SIM_WECHAT_MCHID,
                          SIM_WECHAT_MERCHANT_SERIAL, (long long)time(NULL), accept, content_type,
                          10000, out);
}

bool wechat_call(struct simproc *p, const char *method, const char *path, const char *body,
                 long timeout_ms, struct http_result *out)
{
    return wechat_call_with(p, method, path, body, p->wechat_merchant_private, SIM_WECHAT_MCHID,
                            SIM_WECHAT_MERCHANT_SERIAL, (long long)time(NULL), timeout_ms, out);
}

bool wechat_reply_verified(struct simproc *p, const struct http_result *r)
{
    char ts[32], nonce[64], sig[700], serial[160];
    if (!http_header(r, "Wechatpay-Timestamp", ts, sizeof ts) ||
        !http_header(r, "Wechatpay-Nonce", nonce, sizeof nonce) ||
        !http_header(r, "Wechatpay-Signature", sig, sizeof sig) ||
        !http_header(r, "Wechatpay-Serial", serial, sizeof serial))
        return false;
    if (strcmp(serial, SIM_WECHAT_PLATFORM_SERIAL) != 0)
        return false;
    size_t len = strlen(ts) + strlen(nonce) + r->len + 4;
    char *msg = malloc(len);
    if (msg == NULL)
        return false;
    int n = snprintf(msg, len, "%s\n%s\n", ts, nonce);
    memcpy(msg + n, r->body, r->len);
    msg[(size_t)n + r->len] = '\n';
    bool ok = sim_verify_b64(p->wechat_platform_public, msg, (size_t)n + r->len + 1, sig);
    free(msg);
    return ok;
}

cJSON *sim_audit(struct simproc *p)
{
    struct http_result r;
    if (!sim_http(p, "GET", "/_sim/audit", NULL, 5000, &r))
        return NULL;
    cJSON *o = r.rc == CURLE_OK && r.status == 200 ? cJSON_Parse(r.body) : NULL;
    http_result_free(&r);
    return o;
}

const cJSON *audit_trade(const cJSON *audit, const char *order)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(audit, "trades"))
    {
        if (strcmp(json_text(t, "out_trade_no"), order) == 0)
            return t;
    }
    return NULL;
}

bool sim_script(struct simproc *p, const char *json)
{
    struct http_result r;
    if (!sim_http(p, "POST", "/_sim/script", json, 5000, &r))
        return false;
    bool ok = r.rc == CURLE_OK && r.status == 200;
    if (!ok)
        fprintf(stderr, "script %s refused: %ld %s\n", json, r.status, r.body);
    http_result_free(&r);
    return ok;
}
