/*
 * bill_fetch.c - address request, download and read of one channel's day, in that order.
 */
#include "bill_fetch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bill_query.h"
#include "crypto.h"

static enum bill_status fail(struct bill_error *err, enum bill_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum bill_status fail(struct bill_error *err, enum bill_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->line = 0;
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    return st;
}

/* The address reply's verdict as a bill status. */
static enum bill_status link_verdict(enum bill_link_status st, const char *why, bool *no_bill,
                                     struct bill_error *err)
{
    if (st == BILL_LINK_NO_BILL) {
        *no_bill = true;
        return BILL_OK;
    }
    if (st != BILL_LINK_OK)
        return fail(err, BILL_ERR_FILE, "bill address %s: %.200s", bill_link_status_name(st), why);
    return BILL_OK;
}

static enum bill_status fetch_alipay(const struct gw_channel_config *c, const char *date,
                                     const char *path, const struct bill_download_options *opt,
                                     int64_t now, struct crypto_rng *rng, bill_row_fn fn, void *ctx,
                                     bool *no_bill, struct bill_error *err)
{
    struct crypto_key *app = NULL, *ali = NULL;
    char why[256];
    enum bill_status st = BILL_ERR_FILE;
    if (crypto_key_load_private_file(&app, c->private_key_file, rng, why, sizeof why) !=
            CRYPTO_OK ||
        crypto_key_load_public_file(&ali, c->platform_public_key_file, why, sizeof why) !=
            CRYPTO_OK) {
        st = fail(err, BILL_ERR_FILE, "keys: %.200s", why);
        goto out;
    }
    struct alipay_keys keys = {.gateway_url = c->base_url,
                               .app_id = c->app_id,
                               .app_key = app,
                               .alipay_key = ali,
                               .rng = rng};
    struct wire_request req;
    struct wire_response resp;
    struct bill_link link;
    if (bill_alipay_query_build(&keys, date, now, &req) != GATEWAY_OK) {
        st = fail(err, BILL_ERR_FILE, "the bill address request could not be made");
        goto out;
    }
    st = bill_fetch_reply(&req, opt, &resp, err);
    wire_request_free(&req);
    if (st != BILL_OK)
        goto out;
    enum bill_link_status ls = bill_alipay_query_parse(&keys, &resp, &link, why, sizeof why);
    free((char *)resp.body);
    st = link_verdict(ls, why, no_bill, err);
    if (st != BILL_OK || *no_bill)
        goto out;
    if (bill_alipay_download_build(&link, &req) != GATEWAY_OK) {
        st = fail(err, BILL_ERR_FILE, "the bill download request could not be made");
        goto out;
    }
    st = bill_download(&req, opt, path, err);
    wire_request_free(&req);
    if (st == BILL_OK)
        st = bill_alipay_read_zip(path, fn, ctx, err);
out:
    crypto_key_free(app);
    crypto_key_free(ali);
    return st;
}

static enum bill_status fetch_wechat(const struct gw_channel_config *c, const char *date,
                                     const char *path, const struct bill_download_options *opt,
                                     int64_t now, struct crypto_rng *rng, bill_row_fn fn, void *ctx,
                                     bool *no_bill, struct bill_error *err)
{
    struct crypto_key *merchant = NULL, *platform = NULL;
    char why[256], nonce[33] = "";
    enum bill_status st = BILL_ERR_FILE;
    if (crypto_key_load_private_file(&merchant, c->private_key_file, rng, why, sizeof why) !=
            CRYPTO_OK ||
        crypto_key_load_public_file(&platform, c->platform_public_key_file, why, sizeof why) !=
            CRYPTO_OK) {
        st = fail(err, BILL_ERR_FILE, "keys: %.200s", why);
        goto out;
    }
    struct wechatpay_keys keys = {.base_url = c->base_url,
                                  .appid = c->app_id,
                                  .mchid = c->merchant_id,
                                  .merchant_serial = c->merchant_serial,
                                  .merchant_key = merchant,
                                  .platform_key = platform,
                                  .platform_serial = c->platform_serial,
                                  .rng = rng};
    struct wire_request req;
    struct wire_response resp;
    struct bill_link link;
    crypto_rng_alnum(rng, nonce, 32);
    if (bill_wechat_query_build(&keys, date, now, nonce, &req) != GATEWAY_OK) {
        st = fail(err, BILL_ERR_FILE, "the bill address request could not be made");
        goto out;
    }
    st = bill_fetch_reply(&req, opt, &resp, err);
    wire_request_free(&req);
    if (st != BILL_OK)
        goto out;
    enum bill_link_status ls = bill_wechat_query_parse(&keys, &resp, now, &link, why, sizeof why);
    free((char *)resp.body);
    st = link_verdict(ls, why, no_bill, err);
    if (st != BILL_OK || *no_bill)
        goto out;
    crypto_rng_alnum(rng, nonce, 32);
    if (bill_wechat_download_build(&keys, &link, now, nonce, &req) != GATEWAY_OK) {
        st = fail(err, BILL_ERR_FILE, "the bill download request could not be made");
        goto out;
    }
    st = bill_download(&req, opt, path, err);
    wire_request_free(&req);
    if (st == BILL_OK)
        st = bill_wechat_read_gzip(path, link.hash_type, link.hash_value, fn, ctx, err);
out:
    crypto_key_free(merchant);
    crypto_key_free(platform);
    return st;
}

enum bill_status bill_fetch_day(const struct gateway_config *cfg, enum pay_channel channel,
                                const char *date, const char *dir,
                                const struct bill_download_options *opt, int64_t now,
                                bill_row_fn fn, void *ctx, bool *no_bill, struct bill_error *err)
{
    const struct gw_channel_config *c = channel == CHANNEL_ALIPAY   ? &cfg->alipay
                                        : channel == CHANNEL_WECHAT ? &cfg->wechat
                                                                    : NULL;
    *no_bill = false;
    memset(err, 0, sizeof *err);
    if (c == NULL || !c->enabled)
        return fail(err, BILL_ERR_FILE, "the channel is not configured");
    char path[512];
    if (snprintf(path, sizeof path, "%s/%s.bill", dir, pay_channel_name(channel)) >=
        (int)sizeof path)
        return fail(err, BILL_ERR_FILE, "the bill folder's path is too long");
    struct crypto_rng *rng = NULL;
    if (crypto_rng_open(&rng) != CRYPTO_OK)
        return fail(err, BILL_ERR_FILE, "no random source");
    enum bill_status st = channel == CHANNEL_ALIPAY
                              ? fetch_alipay(c, date, path, opt, now, rng, fn, ctx, no_bill, err)
                              : fetch_wechat(c, date, path, opt, now, rng, fn, ctx, no_bill, err);
    crypto_rng_close(rng);
    unlink(path);
    return st;
}
