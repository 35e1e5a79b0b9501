/*
 * register_line.h - the cash register API's wire format, without any I/O: bytes in, whole
 * lines out (a line longer than the limit is refused, never cut), and each line parsed as one
 * JSON request or refused with the reason. app/REGISTER_API.md is the spec.
 *
 * A request is one object: "command" names it, the other fields are the command's. A field a
 * command does not take, a missing one, a wrong type or value is refused, never guessed.
 * Money is a string of yuan ("12.30"), never a JSON number: no float ever holds it.
 */
#ifndef POSTERM_REGISTER_LINE_H
#define POSTERM_REGISTER_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "payment.h"

enum register_command {
    REGISTER_PAYMENT,   /* sale_id, amount, description? */
    REGISTER_STATUS,    /* sale_id? (none: the terminal's own status) */
    REGISTER_ABORT,     /* sale_id */
    REGISTER_REFUND,    /* sale_id or order, amount, key, pin? */
    REGISTER_TOTALS,    /* today's running totals (X report) */
    REGISTER_CLOSE_DAY, /* closes the day (Z report) */
};

enum register_error {
    REGISTER_OK = 0,
    REGISTER_BAD_JSON,        /* not JSON, or not one object */
    REGISTER_UNKNOWN_COMMAND, /* no "command", or one this terminal does not know */
    REGISTER_UNKNOWN_FIELD,   /* a field the command does not take */
    REGISTER_MISSING_FIELD,   /* a field the command needs */
    REGISTER_BAD_VALUE,       /* a field of the wrong type or value */
};

/* The payment's description: UTF-8 without control characters (else refused), a longer one
 * cut between characters to this many bytes (WeChat Pay's limit on an order's description). */
#define REGISTER_DESCRIPTION_MAX 127
#define REGISTER_KEY_MAX         64
#define REGISTER_PIN_MAX         12

struct register_request {
    enum register_command command;
    char sale_id[JOURNAL_SALE_ID_MAX + 1]; /* "" when not given */
    int64_t amount_fen;
    char description[REGISTER_DESCRIPTION_MAX + 1];
    char order[ORDER_NO_MAX + 1];
    char key[REGISTER_KEY_MAX + 1];
    char pin[REGISTER_PIN_MAX + 1];
};

/* Parses one line (len bytes, no newline; need not be NUL-terminated). On REGISTER_OK *out
 * holds the request; otherwise why (whylen bytes) says what is wrong in English, naming the
 * field. */
enum register_error register_parse(const char *line, size_t len, struct register_request *out,
                                   char *why, size_t whylen);

/* "bad_json", "unknown_command", ...: the error's name on the wire. */
const char *register_error_name(enum register_error e);
/* "payment", "status", ...: the command's name on the wire. */
const char *register_command_name(enum register_command c);

/* Cuts a byte stream into lines of at most max bytes (without the newline; a "\r" before it
 * is dropped). */
struct register_reader {
    char *buf;
    size_t max;
    size_t used;
};

enum register_feed {
    REGISTER_FEED_OK,       /* every complete line was given to fn; the rest is kept */
    REGISTER_FEED_TOO_LONG, /* a line passed max bytes: the stream is no longer trusted */
    REGISTER_FEED_STOPPED,  /* fn asked to stop (it returned non-zero) */
};

/* False when out of memory. */
bool register_reader_init(struct register_reader *r, size_t max_line);
void register_reader_free(struct register_reader *r);
/* Takes n more bytes and calls fn for each line they complete, in order (the line is NUL
 * terminated and may be changed by fn). */
enum register_feed register_reader_feed(struct register_reader *r, const char *data, size_t n,
                                        int (*fn)(void *ctx, char *line, size_t len), void *ctx);

#endif
