/*
 * test_config_every_key.c - every key of the shipped example, one at a time: left out, given
 * the wrong type, given a huge value. Each must either load (a key with a default) or be
 * refused with a message naming that very key - never crash, never load a wrong value.
 *
 * usage: test_config_every_key EXAMPLE.json
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../check.h"
#include "config.h"

static cJSON *example;
static int refused, loaded;

/* Parses the example with one change made by fn at (section, key); returns ok and err. */
static bool parse_with(const char *section, const char *key, cJSON *replacement, char *err,
                       size_t errlen)
{
    cJSON *doc = cJSON_Duplicate(example, 1);
    cJSON *obj = section ? cJSON_GetObjectItemCaseSensitive(doc, section) : doc;
    if (replacement)
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, replacement);
    else
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    char *text = cJSON_PrintUnformatted(doc);
    struct config cfg;
    config_defaults(&cfg);
    bool ok = config_parse(&cfg, "x.json", text, strlen(text), err, errlen);
    free(text);
    cJSON_Delete(doc);
    return ok;
}

/* A refusal must name the key: "x.json: section.key: reason". */
static void expect_named(bool ok, const char *err, const char *dotted, const char *what,
                         bool may_load)
{
    char want[160];
    snprintf(want, sizeof want, "x.json: %s: ", dotted);
    if (ok) {
        loaded++;
        if (!may_load) {
            check_failed++;
            fprintf(stderr, "  %s %s: loaded, should be refused\n", dotted, what);
        } else {
            check_passed++;
        }
        return;
    }
    refused++;
    if (strncmp(err, want, strlen(want)) == 0) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stderr, "  %s %s: refused as \"%s\", which does not name the key\n", dotted, what,
                err);
    }
}

static void each_key(const char *section, const cJSON *obj)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        if (m->string[0] == '_')
            continue;
        if (cJSON_IsObject(m)) {
            each_key(m->string, m);
            continue;
        }
        char dotted[128], err[512];
        snprintf(dotted, sizeof dotted, "%s%s%s", section ? section : "", section ? "." : "",
                 m->string);

        /* Missing: a default applies, or the message names the key. Either is fine. */
        expect_named(parse_with(section, m->string, NULL, err, sizeof err), err, dotted, "missing",
                     true);

        /* The wrong type: a string where a number or bool is expected and vice versa. */
        cJSON *wrong = cJSON_IsString(m) ? cJSON_CreateArray() : cJSON_CreateString("yes");
        expect_named(parse_with(section, m->string, wrong, err, sizeof err), err, dotted,
                     "of the wrong type", false);
        expect_named(parse_with(section, m->string, cJSON_CreateNull(), err, sizeof err), err,
                     dotted, "null", false);

        /* Huge values: beyond every range, beyond int64, beyond every buffer. */
        if (cJSON_IsNumber(m)) {
            static const double huge[] = {1e300, -1e300, 9223372036854775807.0, 1e19, -1};
            for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++)
                expect_named(
                    parse_with(section, m->string, cJSON_CreateNumber(huge[i]), err, sizeof err),
                    err, dotted, "out of range", false);
        } else if (cJSON_IsString(m)) {
            static char big[20000];
            memset(big, '9', sizeof big - 1);
            expect_named(parse_with(section, m->string, cJSON_CreateString(big), err, sizeof err),
                         err, dotted, "20000 characters long", false);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_config_every_key EXAMPLE.json\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    static char text[65536];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    example = cJSON_Parse(text);
    CHECK(example != NULL);
    if (example == NULL)
        return check_done();
    each_key(NULL, example);
    printf("every key of %s: %d variants refused with the key named, %d loaded with a default\n",
           argv[1], refused, loaded);
    cJSON_Delete(example);
    return check_done();
}
