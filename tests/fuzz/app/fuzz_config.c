/*
 * fuzz_config.c - config_parse() on any bytes: no crash, no leak, no undefined behaviour,
 * and its contract holds either way.
 *
 * Refused: the message is "NAME: ..." (names the file, so the technician knows which one).
 * Accepted: what posterm will run with is sane - a valid terminal id, a policy that passes
 * policy_check, every string terminated within its buffer, integers within their ranges, no
 * request timeout beyond the payment window, and every lab setting (TLS verification off, a
 * WeChat min_cancel below 15 s) counted by config_lab_settings for the screen to show.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "order_no.h"

static void must(int ok)
{
    if (!ok)
        abort();
}

static void terminated(const char *s, size_t size)
{
    must(memchr(s, '\0', size) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config cfg;
    char err[512];
    memset(err, 0x55, sizeof err);
    config_defaults(&cfg);
    bool ok = config_parse(&cfg, "fuzz.json", (const char *)data, size, err, sizeof err);
    if (!ok) {
        terminated(err, sizeof err);
        must(strncmp(err, "fuzz.json: ", 11) == 0);
        return 0;
    }
    must(terminal_id_valid(cfg.terminal_id));
    must(policy_check(&cfg.policy) == NULL);
    must(cfg.gateway.alipay.enabled || cfg.gateway.wechat.enabled);
    must(cfg.max_amount_fen >= 1 && cfg.max_amount_fen <= INT64_C(100000000000));
    must(cfg.scanner.vid >= 0 && cfg.scanner.vid <= 0xffff);
    must(cfg.scanner.pid >= 0 && cfg.scanner.pid <= 0xffff);
    must(cfg.scanner.max_length >= 8 && cfg.scanner.max_length <= 256);
    must(cfg.gateway.pay_timeout_ms >= 100 && cfg.gateway.pay_timeout_ms <= 120000);
    terminated(cfg.journal_path, sizeof cfg.journal_path);
    terminated(cfg.log_path, sizeof cfg.log_path);
    terminated(cfg.subject, sizeof cfg.subject);
    terminated(cfg.language, sizeof cfg.language);
    terminated(cfg.scanner.source, sizeof cfg.scanner.source);
    terminated(cfg.scanner.evdev_path, sizeof cfg.scanner.evdev_path);
    terminated(cfg.gateway.ca_file, sizeof cfg.gateway.ca_file);
    terminated(cfg.gateway.alipay.base_url, sizeof cfg.gateway.alipay.base_url);
    terminated(cfg.gateway.wechat.apiv3_key_file, sizeof cfg.gateway.wechat.apiv3_key_file);
    must(strcmp(cfg.gateway.terminal_id, cfg.terminal_id) == 0);
    must(cfg.gateway.pay_timeout_ms <= cfg.policy.window_ms &&
         cfg.gateway.query_timeout_ms <= cfg.policy.window_ms &&
         cfg.gateway.cancel_timeout_ms <= cfg.policy.window_ms &&
         cfg.gateway.refund_timeout_ms <= cfg.policy.window_ms);
    char lab[48];
    memset(lab, 0x55, sizeof lab);
    size_t n = config_lab_settings(&cfg, lab, sizeof lab);
    terminated(lab, sizeof lab);
    must(n <= 3);
    must((size_t)!cfg.gateway.tls_verify +
             (size_t)(cfg.gateway.wechat.enabled && cfg.policy.min_cancel_ms < 15000) <=
         n);
    return 0;
}
