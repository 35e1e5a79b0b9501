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
