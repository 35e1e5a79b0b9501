/*
 * reply_fields.c - the code tables' look-up and the JSON field readers both channels share.
 */
#include "reply_fields.h"

#include <stdio.h>
#include <string.h>

const struct code_words *code_words_find(const struct code_words *table, const char *code)
{
    for (; table->code; table++)
        if (strcmp(table->code, code) == 0)
            return table;
    return NULL;
}

bool code_listed(const char *const *list, const char *code)
{
    for (; *list; list++)
        if (strcmp(*list, code) == 0)
            return true;
    return false;
}

const char *json_string(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool json_text_fact(const cJSON *o, const char *name, bool *given, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v)
        return true;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
        return false;
    snprintf(out, cap, "%s", v->valuestring);
    *given = true;
    return true;
}

bool qr_payload_of_form(const char *payload, const char *const *prefixes)
{
    for (; *prefixes; prefixes++) {
        size_t n = strlen(*prefixes);
        if (strncmp(payload, *prefixes, n) != 0)
            continue;
        const char *token = payload + n;
        if (!*token)
            return false;
        /* one opaque token: letters, digits, '_' and '-' only, so nothing can be smuggled
         * into the code drawn for the customer (another host, a query, a fragment) */
        for (const char *c = token; *c; c++)
            if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
                return false;
        return true;
    }
    return false;
}

bool json_qr_fact(const cJSON *o, const char *name, const char *const *prefixes, bool *given,
                  char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v)
        return true;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap ||
        !qr_payload_of_form(v->valuestring, prefixes))
        return false;
    snprintf(out, cap, "%s", v->valuestring);
    *given = true;
    return true;
}
