/*
 * sim_client.h - test-side helpers: run a real posterm-sim process on a free port, and talk
 * to it as a merchant would (libcurl, requests signed with the merchant test keys, replies
 * checked against the platform test keys).
 *
 * Test code only. It reuses sim_crypto for signing; the independent check of the sign
 * strings is that the simulator verifies what this client signs, and the crypto test
 * compares sim_crypto with the openssl command line.
 */
#ifndef POSTERM_SIM_CLIENT_H
#define POSTERM_SIM_CLIENT_H

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sim_crypto.h"
#include "sim_identity.h"

struct simproc {
    char bin[512];  /* posterm-sim */
    char dir[256];  /* mkdtemp dir holding keys/, logs, port file */
    char keys[300]; /* dir/keys */
    pid_t pid;
    int port;
    bool tls;
    char base[64]; /* http(s)://127.0.0.1:PORT */
    char ca[320];  /* CA file for HTTPS, "" otherwise */
    struct sim_key *alipay_app_private, *alipay_platform_public;
    struct sim_key *wechat_merchant_private, *wechat_platform_public;
};

/* Makes a temporary dir and fresh keys in it; false with a message on stderr. */
bool simproc_prepare(struct simproc *p, const char *bin);
/* Starts the simulator (extra: NULL-terminated extra arguments, may be NULL) and waits for
 * its port file. */
bool simproc_start(struct simproc *p, const char *const *extra);
/* SIGTERM and wait; returns the exit status (-1 if it had to be killed). */
int simproc_stop(struct simproc *p);
/* Runs posterm-sim with args (NULL-terminated) to completion; its exit status, -1 if it
 * could not run or died of a signal. */
int sim_run(const char *bin, const char *const *args);
/* Removes the temporary dir and frees keys. */
void simproc_cleanup(struct simproc *p);

struct http_result {
    CURLcode rc;
    long status;
    char *body;
    size_t len;
    char *headers;
};

void http_result_free(struct http_result *r);
/* Value of a reply header (case-insensitive name), copied into out; false when absent. */
bool http_header(const struct http_result *r, const char *name, char *out, size_t size);

/* Plain request to path on the simulator (control endpoints); body may be NULL. */
bool sim_http(struct simproc *p, const char *method, const char *path, const char *body,
              long timeout_ms, struct http_result *out);

/* Alipay: signed form POST of method with biz_content; sign_with NULL = the app key. */
bool alipay_call(struct simproc *p, const char *method, const char *biz_json,
                 struct sim_key *sign_with, long timeout_ms, struct http_result *out);
/* Parses an Alipay reply: *resp is the "<method>_response" object (caller deletes),
 * *verified tells whether "sign" verified over its exact bytes. False if not parseable. */
bool alipay_reply(struct simproc *p, const struct http_result *r, const char *method, cJSON **resp,
                  bool *verified);
/* A string member of a JSON object ("" when absent or not a string). */
const char *json_text(const cJSON *o, const char *key);

/* WeChat: signed request; path includes the query. */
bool wechat_call(struct simproc *p, const char *method, const char *path, const char *body,
                 long timeout_ms, struct http_result *out);
/* Same, with the Authorization header built from these parts (to test rejections). */
bool wechat_call_with(struct simproc *p, const char *method, const char *path, const char *body,
                      struct sim_key *sign_with, const char *mchid, const char *serial,
                      long long timestamp, long timeout_ms, struct http_result *out);
/* Correctly signed, with these Accept / Content-Type header lines instead of JSON ones. */
bool wechat_call_headers(struct simproc *p, const char *method, const char *path, const char *body,
                         const char *accept, const char *content_type, struct http_result *out);
/* True when the Wechatpay-* headers verify over the body with the platform key. */
bool wechat_reply_verified(struct simproc *p, const struct http_result *r);

/* GET /_sim/audit, parsed (caller deletes); NULL on failure. */
cJSON *sim_audit(struct simproc *p);
/* The audit's trade for order, or NULL. */
const cJSON *audit_trade(const cJSON *audit, const char *order);
/* POST /_sim/script with this JSON; true on HTTP 200. */
bool sim_script(struct simproc *p, const char *json);

/* A fresh order number unique within this process. */
void test_order_no(char out[33], const char *prefix);
/* Sleep for ms milliseconds. */
void test_sleep_ms(long ms);

#endif
