/*
 * config.h - posterm's settings, read from one JSON file.
 *
 * Every key is listed in one table in config.c with its type and range, so an unknown key,
 * a wrong type or an out-of-range value is reported as "FILE: key: reason" and posterm does
 * not start. Secrets are never in this file: it names key files, which must be private.
 * posterm.example.json at the top of the repository documents every key.
 */
#ifndef POSTERM_CONFIG_H
#define POSTERM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway.h"
#include "pin.h"
#include "policy.h"

struct config_scanner {
    char source[16]; /* auto | usb-keyboard | hidpos | evdev | stdin | none */
    int vid, pid;    /* 0 = find a known scanner */
    char evdev_path[128];
    char layout[16];   /* us | azerty */
    char suffix[8];    /* enter | tab | none */
    int64_t gap_ms;    /* ends a code when no suffix comes */
    int64_t dedupe_ms; /* the same code again within this is one scan */
    int max_length;
};

/* The receipts: the merchant's names printed on them and the printer they go to. */
struct config_merchant {
    char name[96];  /* UTF-8, printed double size at the top; "" = not printed */
    char store[96]; /* UTF-8, under it */
};

struct config_printer {
    char kind[16];  /* none | usb | lp | tcp | virtual */
    int vid, pid;   /* usb: 0 = the first printer-class interface */
    char path[256]; /* lp: the device node; virtual: the text file */
    char host[128]; /* tcp */
    int port;       /* tcp, 9100 */
    int paper_mm;   /* 58 (32 columns) or 80 (48 columns) */
    bool native_qr; /* the printer has ESC/POS's own QR command; false: a raster image */
    bool merchant_copy;
    bool eod; /* print the end-of-day report when the cashier opens it */
};

/* A cashier who may sign in: the PIN is kept only as its hash (pin.h). */
#define CONFIG_CASHIERS_MAX 32
struct config_cashier {
    char id[33];   /* letters, digits, '-' and '_'; recorded with each payment and refund */
    char name[65]; /* UTF-8, shown and printed on the handover report */
    char pin_hash[PIN_HASH_MAX];
};

/* Refunds: limits in fen (0 = none) and the supervisor's PIN hash (pin.h; "" = no PIN
 * asked). */
struct config_refund {
    char supervisor_pin_hash[PIN_HASH_MAX];
    int64_t max_fen;
    int64_t max_day_fen;
};

/* The cashier screen's own habits (issue 18: fewer keys, words a cashier understands). */
#define CONFIG_QUICK_AMOUNTS_MAX 6
struct config_screen {
    bool bell;                  /* a short beep on each payment's result */
    char code_before_amount[8]; /* a payment code scanned before the amount: refuse | keep */
    char customer_scans[8];     /* off | wechat | alipay: the QR that an amount opens at once */
    char qr_style[8];           /* blocks | text: how the screen draws a QR (text: '##') */
    struct config_quick_amounts {
        int64_t fen[CONFIG_QUICK_AMOUNTS_MAX]; /* F1..F6 on the amount screen */
        int n;
    } quick_amounts;
};

/* The cash register API (app/register_api.h): JSON lines on a Unix domain socket. */
struct config_api {
    bool enabled;     /* off by default: no socket */
    char socket[108]; /* the socket's path (sun_path's size), made 0660 */
    int max_clients;  /* connections at once; one more is told so and closed */
    int max_line;     /* bytes in one request line; a longer line drops the client */
    int max_queue;    /* bytes waiting to go to one client; more drops it (a reader that stopped
                       * reading never holds the till) */
    /* TCP (issue 22): "host:port" ("" = none), the host an IP address ([::1]:7000 for IPv6).
     * Plain TCP on loopback only; anywhere else TLS with client certificates is required:
     * all three files given (then TLS on loopback too). listen_host and listen_port are the
     * parts of listen, filled in by the loader. */
    char listen[80];
    char listen_host[64];
    char listen_port[8];
    char tls_cert[256];      /* PEM: the terminal's certificate (and its chain) */
    char tls_key[256];       /* PEM: its private key, not readable by group or others */
    char tls_client_ca[256]; /* PEM: the CA(s) a register's certificate must be signed by */
};

/* Head office over MQTT (issue 24, app/fleet_publish.h, spec app/FLEET.md): the journal's
 * events and the terminal's health to a broker. Off while host is "". */
struct config_fleet {
    char host[128];          /* the broker; "" = MQTT off */
    int port;                /* 0 = 8883 with TLS, 1883 without */
    char merchant[33];       /* the topics' second level: A-Z a-z 0-9 _ - */
    bool tls;                /* on unless turned off, which only a loopback broker allows */
    char ca_file[256];       /* "" = the system's CA folder */
    char cert_file[256];     /* the terminal's client certificate ("" = none) */
    char key_file[256];      /* ... and its private key */
    char username[65];       /* "" = none */
    char password_file[256]; /* "" = no password; the file must not be readable by others */
    int keepalive_s;
    int64_t reconnect_max_ms; /* the reconnect back-off doubles from 1 s up to this */
};

struct config {
    char terminal_id[33];
    char journal_path[256];
    char log_path[256]; /* "" = standard error (headless) or "<journal>.log" (screen) */
    char language[4];   /* en | zh */
    char subject[64];   /* on the customer's receipt */
    int64_t max_amount_fen;
    struct policy policy;
    struct gateway_config gateway; /* channels, TLS, timeouts */
    /* http.gateway_slow_ms: a mean round trip, or a request still out, above this shows the
     * gateway as slow (the screen's header, headless status) */
    int64_t gateway_slow_ms;
    struct config_scanner scanner;
    struct config_merchant merchant;
    struct config_printer printer;
    /* "cashiers": none configured = no sign-in, payments record no cashier */
    struct config_cashier cashiers[CONFIG_CASHIERS_MAX];
    int cashier_count;
    struct config_refund refund;
    struct config_screen screen;
    /* The daily reconciliation of the gateways' bills (issue 21, app/reconcile_run.h):
     * reconcile.daily_at "HH:MM" local time, headless or screen, "" = only when asked
     * (headless reconcile). */
    char reconcile_daily_at[8];
    struct config_api api;
    struct config_fleet fleet;
};

/* The configured cashier with this id, or NULL. */
const struct config_cashier *config_cashier(const struct config *cfg, const char *id);

/* Fills *cfg with the defaults (no channel enabled, no terminal id). */
void config_defaults(struct config *cfg);

/* Reads path over the defaults. On failure returns false and err holds "FILE: key: reason".
 * Beyond config_parse's rules it refuses, as OpenSSH's StrictModes does, a config file, CA
 * file (http.ca_file, http.pinned_public_key when it names a file) or enabled gateway's
 * public key that is not a regular file, or that it or any folder on its way (symbolic links
 * followed, each link's folder checked) belongs to anyone but root or the user posterm runs
 * as, or may be written by group or others (a sticky folder owned by root, such as /tmp,
 * excepted). Private keys are checked by the gateway when it reads them. */
bool config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Parses JSON text (name is used in messages). Same contract as config_load, without looking
 * at any file. Besides each key's type and range it refuses: a gateway URL that is not
 * https:// unless its host is a loopback address (127.0.0.0/8, [::1], localhost: a
 * simulator); http.tls_verify false unless every enabled gateway is on a loopback host;
 * policy.min_cancel_ms below 15000 while WeChat Pay is enabled, unless WeChat's host is a
 * loopback address; an http.*_timeout_ms of pay, query, cancel or refund longer than
 * policy.window_ms. Copies the request timeouts into the policy. */
bool config_parse(struct config *cfg, const char *name, const char *text, size_t len, char *err,
                  size_t errlen);

/* "HH:MM" (reconcile.daily_at) as minutes after midnight; -1 when it is not a time of day. */
int config_minute_of_day(const char *hhmm);

/* The lab settings a parsed config has in force (http:// to a loopback gateway, TLS
 * verification off, a WeChat min_cancel_ms below 15000), which a terminal must show on its
 * screen and in headless status, not only in a log. Writes them to out as one short English
 * list ("http:// gateway (loopback only), TLS verification off"; "" when none), truncated to
 * outlen, and returns how many there are. */
size_t config_lab_settings(const struct config *cfg, char *out, size_t outlen);

/* The same settings as flags, for a screen that words them in the cashier's language. */
enum config_lab {
    CONFIG_LAB_PLAIN_HTTP = 1 << 0,    /* http:// to a loopback gateway */
    CONFIG_LAB_NO_TLS_VERIFY = 1 << 1, /* the gateway's certificate is not checked */
    CONFIG_LAB_EARLY_CANCEL = 1 << 2,  /* WeChat Pay enabled, min_cancel_ms below 15000 */
};
unsigned config_lab_flags(const struct config *cfg);

#endif
