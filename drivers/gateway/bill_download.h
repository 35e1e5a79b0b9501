/*
 * bill_download.h - fetches a bill file to disk.
 *
 * It blocks until the file is there (or the time is up): a bill is megabytes, not a reply, so
 * this never runs on the till's event loop; the reconciliation runs it in its own process or
 * thread. The file is written beside its final name and renamed into place only when the
 * whole body arrived with status 200, so a cut download never looks like a bill.
 */
#ifndef POSTERM_BILL_DOWNLOAD_H
#define POSTERM_BILL_DOWNLOAD_H

#include <stdbool.h>

#include "bill.h"
#include "wire.h"

struct bill_download_options {
    bool tls_verify;
    const char *ca_file; /* NULL or "": the system's store */
    long timeout_ms;     /* the whole transfer */
    long long max_bytes; /* a larger body is refused */
};

/* Sends req (bill_alipay_download_build / bill_wechat_download_build; or a bill address
 * request, whose reply body is then the file) and writes the body to path (mode 0600).
 * BILL_OK, or BILL_ERR_FILE with err saying why (no answer, status, size, disk). */
enum bill_status bill_download(const struct wire_request *req,
                               const struct bill_download_options *opt, const char *path,
                               struct bill_error *err);

/* The same, for a small reply kept in memory (the bill address replies): resp->body is
 * malloc'd (free it), the headers a channel reads are kept. */
enum bill_status bill_fetch_reply(const struct wire_request *req,
                                  const struct bill_download_options *opt,
                                  struct wire_response *resp, struct bill_error *err);

#endif
