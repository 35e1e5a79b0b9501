/*
 * test_printer.c - the printer facade and its transports without hardware: a raw-TCP fake
 * printer in this process (answering DLE EOT as told, closing mid-job, listening late), a
 * FIFO as the lp node, the virtual printer's file, and configs that must be refused.
 * USB is covered by the VM test (a real printer gadget); nothing here initialises libusb.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "escpos.h"
#include "printer.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The fake network printer: answers DLE EOT n with answer[n] (unless silent), keeps every
 * other byte, and hangs up after close_after of them when that is set. */
struct fake {
    int listen_fd, conn_fd;
    uint8_t answer[5];
    bool silent;
    bool silent_after_job; /* answers until the first job byte arrives, then never again */
    size_t close_after;
    unsigned char got[65536];
    size_t ngot;
    int requests;
    unsigned char pending[2]; /* a DLE EOT split across reads */
    int npending;
};

static int fake_listen(struct fake *f, int port)
{
    f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(f->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(f->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(f->listen_fd, 4) != 0)
        return -1;
    socklen_t len = sizeof a;
    getsockname(f->listen_fd, (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof *f);
    f->listen_fd = f->conn_fd = -1;
    f->answer[1] = 0x16; /* online (bit 2 is the drawer pin) */
    f->answer[2] = 0x12;
    f->answer[4] = 0x12;
}

static void fake_hang_up(struct fake *f)
{
    if (f->conn_fd >= 0)
        close(f->conn_fd);
    f->conn_fd = -1;
}

static void fake_stop(struct fake *f)
{
    fake_hang_up(f);
    if (f->listen_fd >= 0)
        close(f->listen_fd);
    f->listen_fd = -1;
}

static void fake_byte(struct fake *f, unsigned char b)
{
    if (f->npending == 0 && b == 0x10) {
        f->pending[f->npending++] = b;
        return;
    }
    if (f->npending == 1) {
        if (b == 0x04) {
            f->pending[f->npending++] = b;
            return;
        }
        f->got[f->ngot++] = 0x10;
        f->npending = 0;
        fake_byte(f, b);
        return;
    }
    if (f->npending == 2) {
        f->npending = 0;
        f->requests++;
        if (!f->silent && !(f->silent_after_job && f->ngot > 0) && b < 5) {
            ssize_t w = write(f->conn_fd, &f->answer[b], 1);
            (void)w;
        }
        return;
    }
    if (f->ngot < sizeof f->got)
        f->got[f->ngot++] = b;
}

static void fake_serve(struct fake *f)
{
    if (f->conn_fd < 0 && f->listen_fd >= 0)
        f->conn_fd = accept(f->listen_fd, NULL, NULL);
    if (f->conn_fd < 0)
        return;
    fcntl(f->conn_fd, F_SETFL, O_NONBLOCK);
    unsigned char buf[4096];
    ssize_t n;
    while (f->conn_fd >= 0 && (n = read(f->conn_fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            fake_byte(f, buf[i]);
        if (f->close_after && f->ngot >= f->close_after)
            fake_hang_up(f);
    }
}

/* Runs the printer (and the fake, when given) for up to ms, or until done() says so. */
static void run(struct printer *p, struct fake *f, int ms, bool (*done)(struct printer *))
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        struct pollfd fds[16];
        int64_t timeout = 20;
        int n = printer_pollfds(p, fds, 16, &timeout);
        if (timeout > 20)
            timeout = 20;
        poll(fds, (nfds_t)n, (int)timeout);
        if (f)
            fake_serve(f);
        printer_process(p, fds, n, now_ms());
        if (done && done(p))
            return;
    }
}

static bool is_ready(struct printer *p)
{
    return printer_state(p) == PRINTER_READY;
}

static bool job_over(struct printer *p)
{
    return printer_job_state(p) == PRINTER_JOB_DONE || printer_job_state(p) == PRINTER_JOB_FAILED;
}

static void receipt(struct print_doc *d)
{
    doc_init(d, DOC_COLUMNS_58MM);
    doc_text(d, DOC_CENTER, DOC_BOLD, "收银小票");
    doc_pair(d, "Amount", "CNY 12.34");
    doc_qr(d, "P20251207-0001");
    doc_cut(d);
}

static struct printer *open_tcp(int port)
{
    struct printer_config cfg;
    printer_config_defaults(&cfg);
    cfg.kind = PRINTER_TCP;
    strcpy(cfg.host, "127.0.0.1");
    cfg.port = port;
    cfg.rescan_ms = 100;
    cfg.io_timeout_ms = 2000;
    struct printer *p = NULL;
    char err[200];
    CHECK_EQ_INT(printer_open(&p, &cfg, err, sizeof err), PRINTER_OK);
    return p;
}

static void test_tcp_late_printer_and_status(void)
{
    /* A port nobody listens on yet. */
    struct fake f;
    fake_init(&f);
    int port = fake_listen(&f, 0);
    fake_stop(&f);
    struct printer *p = open_tcp(port);
    if (!p)
        return;
    run(p, NULL, 300, NULL);
    CHECK_EQ_INT(printer_state(p), PRINTER_ABSENT);
    char want[80];
    snprintf(want, sizeof want, "no printer at 127.0.0.1:%d: Connection refused", port);
    CHECK_EQ_STR(printer_status_line(p), want);
    struct print_doc d;
    receipt(&d);
    char err[200];
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_ERR_NOT_READY);

    /* The printer comes up later and is found without reopening. */
    CHECK_EQ_INT(fake_listen(&f, port), port);
    run(p, &f, 2000, is_ready);
    CHECK_EQ_INT(printer_state(p), PRINTER_READY);
    snprintf(want, sizeof want, "printer 127.0.0.1:%d: ready", port);
    CHECK_EQ_STR(printer_status_line(p), want);
    CHECK(f.requests >= 3);

    /* Paper out (DLE EOT 2 bit 5, DLE EOT 4 bits 5-6), read on the idle status round. */
    unsigned seq = printer_status_seq(p);
    f.answer[1] = 0x1E; /* offline */
    f.answer[2] = 0x32;
    f.answer[4] = 0x72;
    run(p, &f, 1000, NULL);
    CHECK_EQ_INT(printer_state(p), PRINTER_PAPER_OUT);
    CHECK(printer_status_seq(p) != seq);
    snprintf(want, sizeof want, "printer 127.0.0.1:%d: paper out", port);
    CHECK_EQ_STR(printer_status_line(p), want);
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_ERR_NOT_READY);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_NONE);

    /* Cover open. */
    f.answer[2] = 0x16;
    f.answer[4] = 0x12;
    run(p, &f, 400, NULL);
    CHECK_EQ_INT(printer_state(p), PRINTER_COVER_OPEN);

    /* Paper back but low. */
    f.answer[1] = 0x16;
    f.answer[2] = 0x12;
    f.answer[4] = 0x1E;
    run(p, &f, 400, NULL);
    CHECK_EQ_INT(printer_state(p), PRINTER_READY);
    CHECK(printer_paper_near_end(p));
    snprintf(want, sizeof want, "printer 127.0.0.1:%d: ready, paper low", port);
    CHECK_EQ_STR(printer_status_line(p), want);

    /* Garbage answers never read as ready. */
    f.answer[1] = 0x00;
    run(p, &f, 400, NULL);
    CHECK_EQ_INT(printer_state(p), PRINTER_OFFLINE);

    /* A job: every byte arrives, as escpos_render made them, and the job is DONE. */
    f.answer[1] = 0x16;
    f.answer[4] = 0x12;
    run(p, &f, 400, NULL);
    CHECK_EQ_INT(printer_state(p), PRINTER_READY);
    f.ngot = 0;
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_OK);
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_ERR_BUSY);
    run(p, &f, 2000, job_over);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_DONE);
    unsigned char *bytes;
    size_t len;
    struct escpos_options opt = {.native_qr = true};
    escpos_render(&d, &opt, &bytes, &len, err, sizeof err);
    CHECK_EQ_INT(printer_job_sent(p), len);
    CHECK_EQ_INT(f.ngot, len);
    CHECK(f.ngot == len && memcmp(f.got, bytes, len) == 0);
    escpos_free(bytes);
    printer_job_clear(p);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_NONE);

    /* The printer hangs up after 20 bytes: FAILED with bytes sent, then found again. */
    f.close_after = 20;
    f.ngot = 0;
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_OK);
    run(p, &f, 3000, job_over);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_FAILED);
    CHECK(printer_job_sent(p) > 0);
    CHECK_EQ_INT(printer_state(p), PRINTER_ABSENT);
    printer_job_clear(p);
    f.close_after = 0;
    run(p, &f, 2000, is_ready);
    CHECK_EQ_INT(printer_state(p), PRINTER_READY);

    /* A printer that answered before falls silent once it has the receipt (hung, or lost
     * power with it in its buffer): the job fails with its bytes out, so it is printed again
     * marked, never counted as printed; the printer is not ready until it answers again. */
    f.silent_after_job = true;
    f.ngot = 0;
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_OK);
    run(p, &f, 3000, job_over);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_FAILED);
    CHECK(printer_job_sent(p) > 0);
    CHECK_EQ_INT(printer_state(p), PRINTER_OFFLINE);
    CHECK(strstr(printer_status_line(p), "stopped answering") != NULL);
    printer_job_clear(p);
    f.silent_after_job = false;
    f.ngot = 0;
    run(p, &f, 2000, is_ready);
    CHECK_EQ_INT(printer_state(p), PRINTER_READY);
    printer_close(p);

    /* A printer that never answers DLE EOT: printed to, its status said to be unknown. */
    f.silent = true;
    p = open_tcp(port);
    if (!p) {
        fake_stop(&f);
        return;
    }
    run(p, &f, 1200, NULL);
    CHECK_EQ_INT(printer_state(p), PRINTER_READY);
    CHECK(strstr(printer_status_line(p), "status unknown") != NULL);
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_OK);
    run(p, &f, 3000, job_over);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_DONE);

    printer_close(p);
    fake_stop(&f);
}

static void test_lp_fifo(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/lp0", dir);
    struct printer_config cfg;
    printer_config_defaults(&cfg);
    cfg.kind = PRINTER_LP;
    snprintf(cfg.path, sizeof cfg.path, "%s", path);
    cfg.rescan_ms = 100;
    cfg.io_timeout_ms = 1000;
    struct printer *p = NULL;
    char err[200];
    CHECK_EQ_INT(printer_open(&p, &cfg, err, sizeof err), PRINTER_OK);

    /* No node yet. */
    run(p, NULL, 200, NULL);
    CHECK_EQ_INT(printer_state(p), PRINTER_ABSENT);
    char want[300];
    snprintf(want, sizeof want, "%s: no printer found: plug one in", path);
    CHECK_EQ_STR(printer_status_line(p), want);

    /* The node appears (a FIFO with a reader, standing in for usblp): found on rescan. */
    CHECK(mkfifo(path, 0600) == 0);
    int reader = open(path, O_RDONLY | O_NONBLOCK);
    run(p, NULL, 1000, is_ready);
    CHECK_EQ_INT(printer_state(p), PRINTER_READY);
    snprintf(want, sizeof want, "%s: ready (status unknown)", path);
    CHECK_EQ_STR(printer_status_line(p), want);

    struct print_doc d;
    receipt(&d);
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_OK);
    run(p, NULL, 1000, job_over);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_DONE);
    unsigned char got[65536], *bytes;
    size_t len;
    ssize_t n = read(reader, got, sizeof got);
    struct escpos_options opt = {.native_qr = true};
    escpos_render(&d, &opt, &bytes, &len, err, sizeof err);
    CHECK_EQ_INT(n, (ssize_t)len);
    CHECK(n == (ssize_t)len && memcmp(got, bytes, len) == 0);
    escpos_free(bytes);
    printer_job_clear(p);

    /* The reader goes (unplugged): the next job fails and the printer is absent. */
    close(reader);
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_OK);
    run(p, NULL, 1000, job_over);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_FAILED);
    CHECK_EQ_INT(printer_job_sent(p), 0);
    CHECK_EQ_INT(printer_state(p), PRINTER_ABSENT);
    printer_close(p);
    unlink(path);
}

static void test_virtual(const char *dir)
{
    struct printer_config cfg;
    printer_config_defaults(&cfg);
    cfg.kind = PRINTER_VIRTUAL;
    snprintf(cfg.path, sizeof cfg.path, "%s/receipts.txt", dir);
    struct printer *p = NULL;
    char err[200];
    CHECK_EQ_INT(printer_open(&p, &cfg, err, sizeof err), PRINTER_OK);
    run(p, NULL, 50, is_ready);
    CHECK_EQ_INT(printer_state(p), PRINTER_READY);

    struct print_doc d;
    receipt(&d);
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_OK);
    run(p, NULL, 500, job_over);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_DONE);
    printer_job_clear(p);
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_OK);
    run(p, NULL, 500, job_over);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_DONE);

    char *text;
    size_t len;
    escpos_render_text(&d, &text, &len, err, sizeof err);
    char got[65536];
    int fd = open(cfg.path, O_RDONLY);
    ssize_t n = read(fd, got, sizeof got);
    close(fd);
    CHECK_EQ_INT(n, (ssize_t)(2 * len)); /* appended, twice */
    CHECK(n == (ssize_t)(2 * len) && memcmp(got, text, len) == 0 &&
          memcmp(got + len, text, len) == 0);
    CHECK(strstr(text, "收银小票") != NULL);
    free(text);
    struct stat st;
    CHECK(stat(cfg.path, &st) == 0 && (st.st_mode & 0777) == 0644);
    printer_close(p);

    /* A folder that is not there: absent, with a line that says which. */
    snprintf(cfg.path, sizeof cfg.path, "%s/missing/receipts.txt", dir);
    CHECK_EQ_INT(printer_open(&p, &cfg, err, sizeof err), PRINTER_OK);
    run(p, NULL, 50, NULL);
    CHECK_EQ_INT(printer_state(p), PRINTER_ABSENT);
    CHECK(strstr(printer_status_line(p), "missing: create it") != NULL);
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_ERR_NOT_READY);
    /* A document that cannot be rendered is refused before anything is sent. */
    snprintf(cfg.path, sizeof cfg.path, "%s/receipts.txt", dir);
    printer_close(p);
    CHECK_EQ_INT(printer_open(&p, &cfg, err, sizeof err), PRINTER_OK);
    run(p, NULL, 50, is_ready);
    strcpy(d.lines[0].text, "\xff");
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_ERR_RENDER);
    CHECK(strstr(err, "line 1") != NULL);
    CHECK_EQ_INT(printer_job_state(p), PRINTER_JOB_NONE);
    printer_close(p);
}

static void expect_refused(const struct printer_config *cfg, const char *words)
{
    struct printer *p = (struct printer *)1;
    char err[200] = "";
    CHECK_EQ_INT(printer_open(&p, cfg, err, sizeof err), PRINTER_ERR_CONFIG);
    CHECK(p == NULL);
    if (!strstr(err, words)) {
        check_failed++;
        fprintf(stderr, "error \"%s\" does not say \"%s\"\n", err, words);
    }
}

static void test_bad_config(void)
{
    struct printer_config cfg;
    printer_config_defaults(&cfg);
    cfg.kind = PRINTER_TCP;
    strcpy(cfg.host, "printer.local");
    expect_refused(&cfg, "not a name");
    strcpy(cfg.host, "192.0.2.7");
    cfg.port = 0;
    expect_refused(&cfg, "port 0");
    cfg.port = 9100;
    cfg.rescan_ms = 0;
    expect_refused(&cfg, "rescan_ms 0");
    cfg.rescan_ms = 1000;
    cfg.io_timeout_ms = -1;
    expect_refused(&cfg, "io_timeout_ms -1");

    printer_config_defaults(&cfg);
    cfg.kind = PRINTER_LP;
    strcpy(cfg.path, "usb/lp0");
    expect_refused(&cfg, "absolute path");
    cfg.kind = PRINTER_VIRTUAL;
    cfg.path[0] = '\0';
    expect_refused(&cfg, "path");
    cfg.kind = PRINTER_USB;
    cfg.pid = 0x0e15;
    expect_refused(&cfg, "pid without vid");
    cfg.kind = (enum printer_kind)9;
    expect_refused(&cfg, "kind");

    /* Printing off: opens, never ready, says so. */
    printer_config_defaults(&cfg);
    struct printer *p;
    char err[200];
    CHECK_EQ_INT(printer_open(&p, &cfg, err, sizeof err), PRINTER_OK);
    CHECK_EQ_INT(printer_state(p), PRINTER_ABSENT);
    CHECK_EQ_STR(printer_status_line(p), "printer: printing off");
    struct print_doc d;
    receipt(&d);
    CHECK_EQ_INT(printer_submit(p, &d, err, sizeof err), PRINTER_ERR_NOT_READY);
    printer_close(p);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* the FIFO's reader going away */
    umask(022);
    char dir[] = "/tmp/posterm-printer-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    test_bad_config();
    test_virtual(dir);
    test_lp_fifo(dir);
    test_tcp_late_printer_and_status();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return check_done();
}
