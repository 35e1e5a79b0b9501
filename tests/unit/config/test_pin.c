/*
 * test_pin.c - PIN hashes (app/pin.h) and the config's "cashiers": a PIN verifies against its
 * own hash only, each hash has its own salt, malformed hashes and non-PINs are refused, and
 * the config refuses a cashier list with a bad hash, a bad or repeated id, or an unknown key;
 * five wrong PINs in a row lock for the time given, a right one starts the count again.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "config.h"
#include "pin.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

static void test_hash_and_verify(void)
{
    char a[PIN_HASH_MAX], b[PIN_HASH_MAX];
    CHECK_EQ_INT(pin_hash("1234", PIN_ITERATIONS_MIN, a, sizeof a), PIN_OK);
    CHECK_EQ_INT(pin_hash("1234", PIN_ITERATIONS_MIN, b, sizeof b), PIN_OK);
    CHECK(strncmp(a, "pbkdf2:1000:", 12) == 0);
    CHECK_EQ_INT((long long)strlen(a), 12 + 32 + 1 + 64);
    CHECK(strcmp(a, b) != 0);                                       /* a fresh salt each time */
    CHECK(strstr(a, "1234") == NULL || strstr(a, "1234") > a + 11); /* never the PIN itself */
    CHECK(pin_hash_well_formed(a));
    CHECK_EQ_INT(pin_verify("1234", a), PIN_OK);
    CHECK_EQ_INT(pin_verify("1234", b), PIN_OK);
    CHECK_EQ_INT(pin_verify("1235", a), PIN_WRONG);
    CHECK_EQ_INT(pin_verify("12345", a), PIN_WRONG);
    CHECK_EQ_INT(pin_verify("", a), PIN_WRONG);
    CHECK_EQ_INT(pin_verify("12a4", a), PIN_WRONG);

    /* A known vector: PBKDF2-HMAC-SHA256("1234", 16 zero bytes, 1000 rounds), from Python's
     * hashlib.pbkdf2_hmac: the hash is the standard KDF, verifiable by any other tool. */
    char stored[PIN_HASH_MAX];
    snprintf(stored, sizeof stored, "pbkdf2:1000:%032d:%s", 0,
             "585f57603dc756173a0ec7cb8998fabd1030e9d4ac6527327b685c1d4ff22a5c");
    CHECK_EQ_INT(pin_verify("1234", stored), PIN_OK);
    CHECK_EQ_INT(pin_verify("4321", stored), PIN_WRONG);

    /* Flipping one hex digit of the hash makes the right PIN wrong. */
    char flipped[PIN_HASH_MAX];
    snprintf(flipped, sizeof flipped, "%s", a);
    size_t last = strlen(flipped) - 1;
    flipped[last] = flipped[last] == '0' ? '1' : '0';
    CHECK_EQ_INT(pin_verify("1234", flipped), PIN_WRONG);
}

static void test_refusals(void)
{
    char out[PIN_HASH_MAX];
    CHECK_EQ_INT(pin_hash("123", PIN_ITERATIONS, out, sizeof out), PIN_NOT_PIN);
    CHECK_EQ_INT(pin_hash("1234567890123", PIN_ITERATIONS, out, sizeof out), PIN_NOT_PIN);
    CHECK_EQ_INT(pin_hash("12 4", PIN_ITERATIONS, out, sizeof out), PIN_NOT_PIN);
    CHECK_EQ_INT(pin_hash(NULL, PIN_ITERATIONS, out, sizeof out), PIN_NOT_PIN);
    CHECK_EQ_INT(pin_hash("1234", 10, out, sizeof out), PIN_FAILED);
    CHECK(pin_acceptable("0000"));
    CHECK(pin_acceptable("123456789012"));
    CHECK(!pin_acceptable("１２３４")); /* full-width digits are no PIN */

    char good[PIN_HASH_MAX];
    CHECK_EQ_INT(pin_hash("2468", PIN_ITERATIONS_MIN, good, sizeof good), PIN_OK);
    const char *bad[] = {
        "",
        "1234",
        "sha256:1000:00:00",
        "pbkdf2::00:00",
        "pbkdf2:999:",
        "pbkdf2:1000",
        "pbkdf2:99999999999:00000000000000000000000000000000:"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "pbkdf2:1000:0000000000000000000000000000000:"
        "0000000000000000000000000000000000000000000000000000000000000000", /* salt short */
        "pbkdf2:1000:00000000000000000000000000000000:"
        "000000000000000000000000000000000000000000000000000000000000000", /* hash short */
        "pbkdf2:1000:0000000000000000000000000000000G:"
        "0000000000000000000000000000000000000000000000000000000000000000", /* not hex */
        "pbkdf2:1000:00000000000000000000000000000000:"
        "0000000000000000000000000000000000000000000000000000000000000000x", /* trailing */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!pin_hash_well_formed(bad[i]));
        CHECK_EQ_INT(pin_verify("1234", bad[i]), PIN_BAD_HASH);
    }
    char upper[PIN_HASH_MAX];
    snprintf(upper, sizeof upper, "%s", good);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f' && c > upper + 7)
            *c = (char)(*c - 'a' + 'A');
    CHECK(strcmp(upper, good) == 0 || !pin_hash_well_formed(upper)); /* lowercase only */
}

static void test_tries(void)
{
    struct pin_tries t = {0};
    CHECK_EQ_INT(pin_tries_locked_for(&t, 1000), 0);
    CHECK_EQ_INT(pin_tries_wrong(&t, 1000, 30000), 4);
    CHECK_EQ_INT(pin_tries_wrong(&t, 1000, 30000), 3);
    pin_tries_right(&t); /* in a row only */
    for (int left = 4; left > 0; left--)
        CHECK_EQ_INT(pin_tries_wrong(&t, 2000, 30000), left);
    CHECK_EQ_INT(pin_tries_locked_for(&t, 2000), 0);
    CHECK_EQ_INT(pin_tries_wrong(&t, 2000, 30000), 0); /* the fifth locks */
    CHECK_EQ_INT(pin_tries_locked_for(&t, 2000), 30000);
    CHECK_EQ_INT(pin_tries_locked_for(&t, 31999), 1);
    CHECK_EQ_INT(pin_tries_locked_for(&t, 32000), 0);
    CHECK_EQ_INT(pin_tries_wrong(&t, 32000, 30000), 4); /* a fresh count after the lock */
}

/* The example config with "cashiers" set to list (JSON text). */
static bool parse_cashiers(const char *example, const char *list, struct config *cfg, char *err,
                           size_t errlen)
{
    cJSON *doc = cJSON_Parse(example);
    cJSON *value = cJSON_Parse(list);
    CHECK(doc && value);
    cJSON_ReplaceItemInObject(doc, "cashiers", value);
    char *text = cJSON_PrintUnformatted(doc);
    config_defaults(cfg);
    bool ok = config_parse(cfg, "t.json", text, strlen(text), err, errlen);
    free(text);
    cJSON_Delete(doc);
    return ok;
}

static void expect_refused(const char *example, const char *list, const char *want)
{
    static struct config cfg;
    char err[512] = "";
    bool ok = parse_cashiers(example, list, &cfg, err, sizeof err);
    CHECK(!ok);
    if (ok || strstr(err, want) == NULL) {
        fprintf(stderr, "  %s: wanted \"%s\" in \"%s\"\n", list, want, err);
        check_failed++;
    }
}

static void test_config(const char *example)
{
    static struct config cfg;
    char err[512] = "", hash[PIN_HASH_MAX], list[1024];
    CHECK_EQ_INT(pin_hash("1234", PIN_ITERATIONS_MIN, hash, sizeof hash), PIN_OK);

    CHECK(parse_cashiers(example, "[]", &cfg, err, sizeof err));
    CHECK_EQ_INT(cfg.cashier_count, 0);

    snprintf(list, sizeof list,
             "[{\"id\":\"c1\",\"name\":\"李娜\",\"pin_hash\":\"%s\"},"
             "{\"id\":\"night-2\",\"name\":\"Wang\",\"pin_hash\":\"%s\"}]",
             hash, hash);
    CHECK(parse_cashiers(example, list, &cfg, err, sizeof err));
    CHECK_EQ_INT(cfg.cashier_count, 2);
    CHECK(config_cashier(&cfg, "night-2") != NULL);
    CHECK(config_cashier(&cfg, "c3") == NULL);
    CHECK_EQ_STR(config_cashier(&cfg, "c1")->name, "李娜");
    CHECK_EQ_INT(pin_verify("1234", config_cashier(&cfg, "c1")->pin_hash), PIN_OK);

    expect_refused(example, "{}", "cashiers: must be a list");
    expect_refused(example, "[{\"id\":\"c1\",\"name\":\"x\",\"pin_hash\":\"1234\"}]",
                   "cashiers[0]: pin_hash: not a PIN hash");
    expect_refused(example, "[{\"id\":\"c1\",\"name\":\"x\",\"pin\":\"1234\"}]",
                   "cashiers[0].pin: unknown key");
    snprintf(list, sizeof list, "[{\"id\":\"c 1\",\"pin_hash\":\"%s\"}]", hash);
    expect_refused(example, list, "cashiers[0]: id:");
    snprintf(list, sizeof list, "[{\"name\":\"x\",\"pin_hash\":\"%s\"}]", hash);
    expect_refused(example, list, "cashiers[0]: id:");
    snprintf(list, sizeof list,
             "[{\"id\":\"c1\",\"pin_hash\":\"%s\"},{\"id\":\"c1\",\"pin_hash\":\"%s\"}]", hash,
             hash);
    expect_refused(example, list, "cashiers[1]: id c1 is listed twice");
    expect_refused(example, "[{\"id\":\"c1\",\"name\":\"x\",\"pin_hash\":7}]",
                   "cashiers[0].pin_hash: must be a string");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_pin EXAMPLE.json\n");
        return 2;
    }
    char *example = slurp(argv[1]);
    CHECK(example != NULL);
    test_hash_and_verify();
    test_refusals();
    test_tries();
    if (example)
        test_config(example);
    free(example);
    return check_done();
}
