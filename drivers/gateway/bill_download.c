/*
 * bill_download.c - one blocking libcurl transfer, its body to a file or to memory.
 */
#include "bill_download.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

struct sink {
    FILE *file; /* or, when NULL, memory: */
    char *mem;
    size_t len, cap;
    long long written, max;
    bool too_big, disk_failed;
    struct wire_response *resp; /* headers kept here when given */
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct sink *s = ctx;
    size_t len = size * n;
    if (s->written + (long long)len > s->max) {
        s->too_big = true;
        return 0;
    }
    if (s->file) {
        if (fwrite(data, 1, len, s->file) != len) {
            s->disk_failed = true;
            return 0;
        }
    } else {
        if (s->len + len + 1 > s->cap) {
            size_t cap = (s->len + len + 1) * 2;
            char *m = realloc(s->mem, cap);
            if (!m)
                return 0;
            s->mem = m;
            s->cap = cap;
        }
        memcpy(s->mem + s->len, data, len);
        s->len += len;
        s->mem[s->len] = '\0';
    }
    s->written += (long long)len;
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct sink *s = ctx;
    if (s->resp)
        wire_response_add_header(s->resp, data, size * n);
    return size * n;
}

static enum bill_status fail(struct bill_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum bill_status fail(struct bill_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->line = 0;
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
    }
    return BILL_ERR_FILE;
}

/* Runs the transfer; status is the HTTP status (0 when none). */
static enum bill_status transfer(const struct wire_request *req,
                                 const struct bill_download_options *opt, struct sink *s,
                                 long *status, struct bill_error *err)
{
    CURL *c = curl_easy_init();
    struct curl_slist *headers = NULL;
    if (!c)
        return BILL_ERR_NOMEM;
    for (int i = 0; i < req->nheaders; i++)
        headers = curl_slist_append(headers, req->headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, opt->timeout_ms);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, opt->tls_verify ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, opt->tls_verify ? 2L : 0L);
    if (opt->ca_file && opt->ca_file[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, opt->ca_file);
    if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (s->too_big)
        return fail(err, "%.160s: the body is larger than %lld bytes", req->log_line, s->max);
    if (s->disk_failed)
        return fail(err, "%.160s: the file could not be written", req->log_line);
    if (rc != CURLE_OK) {
        if (err) {
            err->line = 0;
            snprintf(err->text, sizeof err->text, "%.160s: %.80s", req->log_line,
                     curl_easy_strerror(rc));
        }
        return BILL_ERR_FILE;
    }
    return BILL_OK;
}

enum bill_status bill_download(const struct wire_request *req,
                               const struct bill_download_options *opt, const char *path,
                               struct bill_error *err)
{
    char part[4096];
    if (snprintf(part, sizeof part, "%s.part", path) >= (int)sizeof part)
        return fail(err, "%.160s: path too long", path);
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return fail(err, "%.160s: cannot be created", part);
    }
    struct sink s = {.file = f, .max = opt->max_bytes};
    long status = 0;
    enum bill_status st = transfer(req, opt, &s, &status, err);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        s.disk_failed = true;
    fclose(f);
    if (st == BILL_OK && s.disk_failed)
        st = fail(err, "%.160s: the file could not be written", part);
    if (st == BILL_OK && status != 200)
        st = fail(err, "%.160s: HTTP status %ld", req->log_line, status);
    if (st == BILL_OK && rename(part, path) != 0)
        st = fail(err, "%.160s: cannot be renamed into place", path);
    if (st != BILL_OK)
        unlink(part);
    return st;
}

enum bill_status bill_fetch_reply(const struct wire_request *req,
                                  const struct bill_download_options *opt,
                                  struct wire_response *resp, struct bill_error *err)
{
    memset(resp, 0, sizeof *resp);
    struct sink s = {.max = WIRE_BODY_MAX, .resp = resp};
    long status = 0;
    enum bill_status st = transfer(req, opt, &s, &status, err);
    if (st != BILL_OK) {
        free(s.mem);
        return st;
    }
    resp->status = status;
    resp->body = s.mem ? s.mem : calloc(1, 1);
    resp->body_len = s.len;
    return resp->body ? BILL_OK : BILL_ERR_NOMEM;
}
