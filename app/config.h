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
#include "policy.h"

struct config_scanner {
    char source[16];   /* auto | usb-keyboard | hidpos | evdev | stdin | none */
    int vid, pid;      /* 0 = find a known scanner */
    char evdev_path[128];
    char layout[16];   /* us | azerty */
    char suffix[8];    /* enter | tab | none */
    int64_t gap_ms;    /* ends a code when no suffix comes */
    int64_t dedupe_ms; /* the same code again within this is one scan */
    int max_length;
};

struct config {
    char terminal_id[33];
    char journal_path[256];
    char log_path[256];    /* "" = standard error (headless) or "<journal>.log" (screen) */
    char language[4];      /* en | zh */
    char subject[64];      /* on the customer's receipt */
    int64_t max_amount_fen;
    struct policy policy;
    struct gateway_config gateway; /* channels, TLS, timeouts */
    struct config_scanner scanner;
};

/* Fills *cfg with the defaults (no channel enabled, no terminal id). */
void config_defaults(struct config *cfg);

/* Reads path over the defaults. On failure returns false and err holds "FILE: key: reason". */
bool config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Parses JSON text (name is used in messages). Same contract as config_load. */
bool config_parse(struct config *cfg, const char *name, const char *text, size_t len, char *err,
                  size_t errlen);

#endif
