/*
 * reply_fields.h - reading a verified reply body, the same way for both channels: their
 * tables of gateway codes, and the JSON field readers that report a fact with its presence.
 *
 * A fact the body does not carry is "not given"; one it carries in the wrong shape is an
 * error the caller turns into an UNKNOWN reply (never a value that could pass for a fact).
 */
#ifndef POSTERM_REPLY_FIELDS_H
#define POSTERM_REPLY_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "pay_cause.h"

/* One row of a channel's table of gateway codes: the cause and the cashier's words. */
struct code_words {
    const char *code;
    enum pay_cause cause;
    const char *words;
};

/* The row for code in a table ended by a row whose code is NULL, or NULL. */
const struct code_words *code_words_find(const struct code_words *table, const char *code);

/* True when code is one of list's strings (list ends with NULL). */
bool code_listed(const char *const *list, const char *code);

/* o's string member name, or NULL when absent or not a string. */
const char *json_string(const cJSON *o, const char *name);

/* A string fact: copies o's member name into out (cap bytes) and sets *given. True when the
 * member is absent (nothing given) or a string that fits; false when present but not a
 * string or too long for its field. */
bool json_text_fact(const cJSON *o, const char *name, bool *given, char *out, size_t cap);

/* True when payload is one of prefixes (the list ends with NULL) followed by one non-empty
 * token of letters, digits, '_' and '-': the only QR payload a channel believes. */
bool qr_payload_of_form(const char *payload, const char *const *prefixes);

/* The QR payload fact: as json_text_fact, and false too when the string is not of the form
 * qr_payload_of_form accepts. */
bool json_qr_fact(const cJSON *o, const char *name, const char *const *prefixes, bool *given,
                  char *out, size_t cap);

#endif
