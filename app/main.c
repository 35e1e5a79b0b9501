/*
 * main.c - the one place where posterm's parts are wired together.
 *
 * Order matters: config, then the journal (made if there is none, locked before anything
 * writes it, opened, claimed for this machine), then the gateway, then the printer (and, with
 * one, receipts journaled with every sale and refund from then on), then recovery of every
 * unresolved payment, and only then a front that can take new payments.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cashier.h"
#include "config.h"
#ifdef POSTERM_WITH_MQTT
#include "fleet_publish.h"
#endif
#include "gateway.h"
#include "headless.h"
#include "journal.h"
#include "journal_lock.h"
#include "loop.h"
#include "machine.h"
#include "pin.h"
#include "printer.h"
#include "receipts.h"
#include "register_api.h"
#include "scanner.h"

#ifndef POSTERM_VERSION
#define POSTERM_VERSION "unknown"
#endif

static volatile int stop_requested;

/* One timestamped line per gateway request and reply; the gateway never passes secrets. */
static void log_line(void *ctx, const char *line)
{
    FILE *f = ctx;
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    fprintf(f, "%04d-%02d-%02d %02d:%02d:%02d.%03ld %s\n", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, line);
    fflush(f);
}

/* Where log lines go: the config's file, else stderr for headless and <journal>.log behind
 * the screen (stderr would draw over it). */
static FILE *open_log(const struct config *cfg, bool headless)
{
    char path[300];
    if (cfg->log_path[0])
        snprintf(path, sizeof path, "%s", cfg->log_path);
    else if (headless)
        return stderr;
    else
        snprintf(path, sizeof path, "%s.log", cfg->journal_path);
    FILE *f = fopen(path, "a");
    if (f == NULL) {
        fprintf(stderr, "posterm: cannot open log %s: %s; logging to standard error\n", path,
                strerror(errno));
        return stderr;
    }
    return f;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* --hash-pin: one line from stdin, its hash on stdout (a cashier's pin_hash or
 * refund.supervisor_pin_hash); the PIN never reaches argv, which others read in ps. */
static int hash_pin(void)
{
    char line[64] = "";
    if (fgets(line, sizeof line, stdin) == NULL) {
        fprintf(stderr, "posterm: --hash-pin reads the PIN on standard input\n");
        return 2;
    }
    line[strcspn(line, "\r\n")] = '\0';
    char hash[PIN_HASH_MAX];
    enum pin_status st = pin_hash(line, PIN_ITERATIONS, hash, sizeof hash);
    explicit_bzero(line, sizeof line);
    if (st != PIN_OK) {
        fprintf(stderr, "posterm: %s\n", pin_status_reason(st));
        return 2;
    }
    printf("%s\n", hash);
    return 0;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: posterm [--config FILE] [--journal FILE] [--headless | --init-journal]\n"
                "       posterm --hash-pin < PIN\n"
                "\n"
                "  -c, --config FILE   settings (JSON; default /etc/posterm/posterm.json)\n"
                "  -j, --journal FILE  journal database (overrides the config's \"journal\")\n"
                "      --headless      commands on stdin, JSON lines on stdout (no screen)\n"
                "      --init-journal  make a new journal where there is none or an empty file,\n"
                "                      then exit (a journal with content is never replaced)\n"
                "      --hash-pin      read a PIN (4 to 12 digits) on standard input, print its\n"
                "                      hash for a cashier's pin_hash or\n"
                "                      refund.supervisor_pin_hash, then exit\n"
                "  -h, --help          this text\n"
                "  -V, --version       the version\n"
                "\n"
                "Exits 2 when it cannot start: a bad config or key file, a journal that cannot be\n"
                "made or locked, or another posterm already using the journal.\n");
}

/* The configured scanner, or NULL when codes come from the keyboard or headless input
 * ("stdin", "none") or no USB stack is usable (said on stderr, and the keyboard still works). */
static struct scanner *open_scanner(const struct config *cfg, FILE *log)
{
    static const struct {
        const char *name;
        enum scanner_kind kind;
    } kinds[] = {
        {"auto", SCANNER_AUTO},
        {"usb-keyboard", SCANNER_USB_KEYBOARD},
        {"hidpos", SCANNER_HIDPOS},
        {"evdev", SCANNER_EVDEV},
    };
    struct scanner_config sc;
    scanner_config_defaults(&sc);
    size_t i = 0;
    while (i < sizeof kinds / sizeof kinds[0] && strcmp(kinds[i].name, cfg->scanner.source) != 0)
        i++;
    if (i == sizeof kinds / sizeof kinds[0])
        return NULL;
    sc.kind = kinds[i].kind;
    sc.vid = (uint16_t)cfg->scanner.vid;
    sc.pid = (uint16_t)cfg->scanner.pid;
    snprintf(sc.evdev_path, sizeof sc.evdev_path, "%s", cfg->scanner.evdev_path);
    sc.layout = strcmp(cfg->scanner.layout, "azerty") == 0 ? SCAN_LAYOUT_AZERTY : SCAN_LAYOUT_US;
    sc.suffix = strcmp(cfg->scanner.suffix, "tab") == 0    ? SCAN_SUFFIX_TAB
                : strcmp(cfg->scanner.suffix, "none") == 0 ? SCAN_SUFFIX_NONE
                                                           : SCAN_SUFFIX_ENTER;
    sc.gap_ms = (int)cfg->scanner.gap_ms;
    sc.dedupe_ms = 0; /* the loop de-duplicates every scan, typed or scanned, in one place */
    sc.max_len = cfg->scanner.max_length;
    sc.log = log_line;
    sc.log_ctx = log;
    struct scanner *s = NULL;
    char err[256];
    if (scanner_open(&s, &sc, err, sizeof err) != SCANNER_OK) {
        fprintf(stderr, "posterm: scanner: %s; the keyboard is the scanner\n", err);
        return NULL;
    }
    return s;
}

/* The configured printer; NULL for printer.kind none. *bad is set (and said) when the
 * driver refuses the configuration: posterm does not start. An absent printer is no error:
 * the driver looks for it again and jobs wait. */
static struct printer *open_printer(const struct config *cfg, bool *bad)
{
    static const struct {
        const char *name;
        enum printer_kind kind;
    } kinds[] = {
        {"usb", PRINTER_USB},
        {"lp", PRINTER_LP},
        {"tcp", PRINTER_TCP},
        {"virtual", PRINTER_VIRTUAL},
    };
    *bad = false;
    size_t i = 0;
    while (i < sizeof kinds / sizeof kinds[0] && strcmp(kinds[i].name, cfg->printer.kind) != 0)
        i++;
    if (i == sizeof kinds / sizeof kinds[0])
        return NULL;
    struct printer_config pc;
    printer_config_defaults(&pc);
    pc.kind = kinds[i].kind;
    pc.vid = (uint16_t)cfg->printer.vid;
    pc.pid = (uint16_t)cfg->printer.pid;
    snprintf(pc.path, sizeof pc.path, "%s", cfg->printer.path);
    snprintf(pc.host, sizeof pc.host, "%s", cfg->printer.host);
    pc.port = cfg->printer.port;
    pc.native_qr = cfg->printer.native_qr;
    struct printer *p = NULL;
    char err[256];
    if (printer_open(&p, &pc, err, sizeof err) != PRINTER_OK) {
        fprintf(stderr, "posterm: printer: %s\n", err);
        *bad = true;
        return NULL;
    }
    return p;
}

/* The print queue for the printer (NULL without a printer or a journal). From here on the
 * journal makes the receipts of every sale and refund with their event. */
static struct receipts *open_receipts(const struct config *cfg, struct journal *journal,
                                      struct printer *printer, const struct receipts_observer *obs)
{
    if (!printer || !journal)
        return NULL;
    struct receipts_config rc = {
        .lang = strcmp(cfg->language, "zh") == 0 ? UI_LANG_ZH : UI_LANG_EN,
        .columns = cfg->printer.paper_mm == 80 ? DOC_COLUMNS_80MM : DOC_COLUMNS_58MM,
    };
    snprintf(rc.header.merchant, sizeof rc.header.merchant, "%s", cfg->merchant.name);
    snprintf(rc.header.store, sizeof rc.header.store, "%s", cfg->merchant.store);
    snprintf(rc.header.terminal, sizeof rc.header.terminal, "%s", cfg->terminal_id);
    struct receipts *r = receipts_open(&rc, journal, printer, NULL, obs);
    if (r)
        journal_set_receipts(journal, true, cfg->printer.merchant_copy);
    return r;
}

/* Joins the queue to the loop's poll; the queue is the front's from then on. */
static void add_receipts(struct loop *loop, struct receipts *r)
{
    if (!r)
        return;
    struct loop_service s = receipts_service(r);
    (void)loop_add_service(loop, &s); /* the first service: cannot be refused */
}

/* With api.enabled, the cash register's socket stands in front of the front's observer: *obs
 * becomes its. False (said) when the socket cannot be made: posterm does not start, as on a
 * bad config, rather than run a terminal its register cannot reach. */
static bool open_register_api(const struct config *cfg, struct loop_observer *obs,
                              struct register_api **out)
{
    char err[512];
    *out = NULL;
    if (!cfg->api.enabled)
        return true;
    if (register_api_open(out, cfg, obs, err, sizeof err) != REGISTER_API_OK) {
        fprintf(stderr, "posterm: %s\n", err);
        return false;
    }
    *obs = register_api_observer(*out);
    return true;
}

static void attach_register_api(struct register_api *api, struct loop *loop,
                                const struct config *cfg, struct receipts *receipts)
{
    if (api && register_api_attach(api, loop, &cfg->refund, receipts) != LOOP_OK)
        fprintf(stderr, "posterm: the register API could not join the event loop\n");
}

#ifndef POSTERM_WITH_MQTT
struct fleet;
static void fleet_close(struct fleet *f)
{
    (void)f; /* built without MQTT: attach_fleet never makes one */
}
#endif

/* With fleet.host set, head office hears the journal's events over MQTT (app/FLEET.md), from
 * before recovery on. False (said) when that cannot start: posterm does not start either. */
static bool attach_fleet(const struct config *cfg, struct loop *loop, struct fleet **out)
{
    *out = NULL;
    if (cfg->fleet.host[0] == '\0')
        return true;
#ifdef POSTERM_WITH_MQTT
    char err[512];
    *out = fleet_attach(loop, cfg, POSTERM_VERSION, err, sizeof err);
    if (*out == NULL)
        fprintf(stderr, "posterm: %s\n", err);
    return *out != NULL;
#else
    (void)loop;
    fprintf(stderr, "posterm: fleet.host is set, but this posterm was built without MQTT\n");
    return false;
#endif
}

static int run_screen(const struct config *cfg, struct journal *journal,
                      const char *journal_problem, bool journal_copied, struct gateway *gateway,
                      struct scanner *scanner, struct printer *printer)
{
#ifdef POSTERM_WITH_UI
    char err[256];
    struct cashier *c = cashier_new(cfg, err, sizeof err);
    if (c == NULL) {
        fprintf(stderr, "posterm: %s (use --headless without a terminal)\n", err);
        return 2;
    }
    struct loop_observer obs = cashier_observer(c);
    struct register_api *api = NULL;
    if (!open_register_api(cfg, &obs, &api)) {
        cashier_free(c);
        return 2;
    }
    struct receipts_observer robs = cashier_receipts_observer(c);
    struct receipts *receipts = open_receipts(cfg, journal, printer, &robs);
    struct loop *loop = NULL;
    struct fleet *fleet = NULL;
    int status = 1;
    if (loop_open(&loop, cfg, journal, journal_problem, gateway, scanner, NULL, &obs) == LOOP_OK) {
        int resumed;
        add_receipts(loop, receipts);
        attach_register_api(api, loop, cfg, receipts);
        cashier_set_receipts(c, receipts, cfg->printer.eod);
        if (journal_copied)
            loop_journal_copied(loop, journal_identity(journal));
        if (attach_fleet(cfg, loop, &fleet)) {
            cashier_set_fleet(c, fleet);
            (void)loop_recover(loop, &resumed); /* a failure, or no journal, is shown on screen */
            status = cashier_run(c, loop, &stop_requested);
        } else {
            status = 2;
        }
    }
    fleet_close(fleet);
    loop_close(loop);
    register_api_close(api);
    receipts_close(receipts);
    cashier_free(c);
    return status;
#else
    (void)cfg, (void)journal, (void)journal_problem, (void)journal_copied, (void)gateway,
        (void)scanner, (void)printer;
    fprintf(stderr, "posterm: built without the cashier screen; use --headless\n");
    return 2;
#endif
}

int main(int argc, char **argv)
{
    const char *config_path = "/etc/posterm/posterm.json";
    const char *journal_path = NULL;
    bool headless = false, init_journal = false;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"journal", required_argument, NULL, 'j'},
        {"headless", no_argument, NULL, 'H'},     {"init-journal", no_argument, NULL, 'I'},
        {"hash-pin", no_argument, NULL, 'P'},     {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:j:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'j': journal_path = optarg; break;
        case 'H': headless = true; break;
        case 'I': init_journal = true; break;
        case 'P': return hash_pin();
        case 'h': usage(stdout); return 0;
        case 'V': printf("posterm %s\n", POSTERM_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }

    /* A file-size limit must fail the journal's write (EFBIG: reported, payment held), not
     * kill posterm in the middle of a payment. */
    signal(SIGXFSZ, SIG_IGN);

    static struct config cfg;
    char err[512];
    config_defaults(&cfg);
    if (!config_load(&cfg, config_path, err, sizeof err)) {
        fprintf(stderr, "posterm: %s\n", err);
        return 2;
    }
    if (journal_path)
        snprintf(cfg.journal_path, sizeof cfg.journal_path, "%s", journal_path);

    if (init_journal) {
        /* Not under a running posterm (which holds the lock even on an empty file). */
        int held = -1;
        if (access(cfg.journal_path, F_OK) == 0 &&
            journal_lock_take(cfg.journal_path, &held, err, sizeof err) == JOURNAL_LOCK_HELD) {
            fprintf(stderr, "posterm: %s\n", err);
            return 2;
        }
        enum journal_status made = journal_create(cfg.journal_path, true, err, sizeof err);
        journal_lock_release(held);
        if (made != JOURNAL_OK) {
            fprintf(stderr, "posterm: %s\n", err);
            return 2;
        }
        printf("posterm: made a new journal at %s\n", cfg.journal_path);
        return 0;
    }

    /* Where there is no file, a new journal (made whole, never over an existing file); an
     * empty or damaged file is left for the open to refuse with its reason. */
    enum journal_status made = journal_create(cfg.journal_path, false, err, sizeof err);
    if (made == JOURNAL_OK)
        fprintf(stderr, "posterm: made a new journal at %s\n", cfg.journal_path);
    else if (made != JOURNAL_EXISTS)
        fprintf(stderr, "posterm: %s\n", err);
    /* Two posterms on one journal would both resume its unresolved payments and both hand
     * out order numbers: without the lock, posterm does not start. */
    int journal_lock = -1;
    if (journal_lock_take(cfg.journal_path, &journal_lock, err, sizeof err) != JOURNAL_LOCK_OK) {
        fprintf(stderr, "posterm: %s\n", err);
        return 2;
    }

    /* An unusable journal does not stop posterm: it starts, says why, and refuses payments.
     * Start-up checks the header, schema and sequence, then the full quick_check: at once
     * for a small file, else in the background, refusing writes the moment it finds damage
     * (the loop polls journal_check_poll for the verdict). */
    struct journal *journal = NULL;
    char journal_problem[512] = "";
    if (journal_open_checked(&journal, cfg.journal_path, JOURNAL_CHECK_AT_START, journal_problem,
                             sizeof journal_problem) != JOURNAL_OK)
        fprintf(stderr, "posterm: %s\n", journal_problem);

    /* The journal belongs to this machine; a copy of a used disk on another terminal takes a
     * new identity before it numbers any order. journal_notice is for the screen too. */
    char journal_notice[256] = "";
    if (journal) {
        char machine[65], why[256];
        bool renewed = false;
        enum journal_status claimed = JOURNAL_OK;
        if (!machine_fingerprint(machine, why, sizeof why))
            fprintf(stderr,
                    "posterm: %s; copies of this journal on another terminal will not "
                    "be noticed\n",
                    why);
        else if (why[0])
            fprintf(stderr, "posterm: %s\n", why);
        if (machine[0])
            claimed = journal_claim(journal, machine, &renewed);
        if (claimed != JOURNAL_OK) {
            snprintf(journal_problem, sizeof journal_problem,
                     "journal %s: cannot record this terminal in it: %s (%s)", cfg.journal_path,
                     journal_status_reason(claimed), journal_last_error(journal));
            fprintf(stderr, "posterm: %s\n", journal_problem);
            journal_close(journal);
            journal = NULL;
        } else if (renewed) {
            snprintf(journal_notice, sizeof journal_notice,
                     "this journal was copied from another terminal: new order numbers from %s",
                     journal_identity(journal));
            fprintf(stderr, "posterm: %s\n", journal_notice);
        }
    }

    struct gateway *gateway = NULL;
    if (gateway_open(&gateway, &cfg.gateway, err, sizeof err) != GATEWAY_OK) {
        fprintf(stderr, "posterm: %s\n", err);
        journal_close(journal);
        journal_lock_release(journal_lock); /* after journal_close: see journal_lock.h */
        return 2;
    }
    FILE *log = open_log(&cfg, headless);
    gateway_set_log(gateway, log_line, log);
    if (!cfg.gateway.tls_verify)
        fprintf(stderr, "posterm: WARNING: TLS verification is off (http.tls_verify=false)\n");

    struct scanner *scanner = open_scanner(&cfg, log);
    bool printer_bad = false;
    struct printer *printer = open_printer(&cfg, &printer_bad);
    if (printer_bad) {
        scanner_close(scanner);
        gateway_close(gateway);
        journal_close(journal);
        journal_lock_release(journal_lock);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    int status = 0;
    if (headless) {
        char lab[200];
        config_lab_settings(&cfg, lab, sizeof lab);
        struct headless *h = headless_new(stdout, lab);
        struct loop_observer obs = headless_observer(h);
        struct register_api *api = NULL;
        if (h)
            headless_set_refund_rules(h, &cfg.refund);
        bool api_ok = h && open_register_api(&cfg, &obs, &api);
        struct receipts_observer robs = headless_receipts_observer(h);
        struct receipts *receipts = api_ok ? open_receipts(&cfg, journal, printer, &robs) : NULL;
        struct loop *loop = NULL;
        struct fleet *fleet = NULL;
        if (h && !api_ok) {
            status = 2;
        } else if (h == NULL || loop_open(&loop, &cfg, journal, journal_problem, gateway, scanner,
                                          NULL, &obs) != LOOP_OK) {
            fprintf(stderr, "posterm: out of memory\n");
            status = 1;
        } else {
            int resumed;
            add_receipts(loop, receipts);
            attach_register_api(api, loop, &cfg, receipts);
            headless_set_receipts(h, receipts, cfg.printer.eod);
            headless_set_session(h, &cfg, journal);
            if (journal_notice[0])
                loop_journal_copied(loop, journal_identity(journal));
            if (attach_fleet(&cfg, loop, &fleet)) {
                headless_set_fleet(h, fleet);
                (void)loop_recover(loop, &resumed); /* a failure, or no journal, is reported */
                status = headless_run(h, loop, STDIN_FILENO, &stop_requested);
            } else {
                status = 2;
            }
        }
        fleet_close(fleet);
        loop_close(loop);
        register_api_close(api);
        receipts_close(receipts);
        headless_free(h);
    } else {
        status = run_screen(&cfg, journal, journal_problem, journal_notice[0] != '\0', gateway,
                            scanner, printer);
    }

    if (printer)
        printer_close(printer);
    scanner_close(scanner);
    gateway_close(gateway);
    journal_close(journal);
    journal_lock_release(journal_lock); /* after journal_close: see journal_lock.h */
    if (log != stderr)
        fclose(log);
    return status;
}
