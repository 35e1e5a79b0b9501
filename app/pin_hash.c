/*
 * pin_hash.c - PBKDF2-HMAC-SHA256 of a PIN with a random salt (pin_hash.h).
 */
#include "pin_hash.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>

#define SALT_LEN 16
#define HASH_LEN 32
#define PREFIX   "pbkdf2-sha256:"

bool pin_valid(const char *pin)
{
    size_t n = pin ? strlen(pin) : 0;
    if (n < PIN_MIN_DIGITS || n > PIN_MAX_DIGITS)
        return false;
    for (size_t i = 0; i < n; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return false;
    return true;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* Reads exactly n bytes of lowercase or uppercase hex from s up to end. */
static bool from_hex(const char *s, const char *end, unsigned char *out, size_t n)
{
    if ((size_t)(end - s) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= (unsigned)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= (unsigned)(c - 'A' + 10);
            else
                return false;
        }
        out[i] = (unsigned char)v;
    }
    return true;
}

struct parsed {
    unsigned iterations;
    unsigned char salt[SALT_LEN], hash[HASH_LEN];
};

static bool parse(const char *text, struct parsed *p, const char **why)
{
    *why = "must be \"pbkdf2-sha256:ITERATIONS:SALT_HEX:HASH_HEX\" (posterm --hash-pin makes it)";
    if (text == NULL || strncmp(text, PREFIX, strlen(PREFIX)) != 0)
        return false;
    const char *s = text + strlen(PREFIX);
    char *end = NULL;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long it = strtoul(s, &end, 10);
    if (*end != ':')
        return false;
    if (it < PIN_HASH_MIN_ITERATIONS || it > PIN_HASH_MAX_ITERATIONS) {
        *why = "its iterations must be between 10000 and 10000000";
        return false;
    }
    p->iterations = (unsigned)it;
    const char *salt = end + 1, *colon = strchr(salt, ':');
    if (colon == NULL || !from_hex(salt, colon, p->salt, SALT_LEN) ||
        !from_hex(colon + 1, colon + 1 + strlen(colon + 1), p->hash, HASH_LEN))
        return false;
    return true;
}

bool pin_hash_parse_ok(const char *text, char *why, size_t whylen)
{
    struct parsed p;
    const char *reason;
    if (parse(text, &p, &reason))
        return true;
    snprintf(why, whylen, "%s", reason);
    return false;
}

static bool derive(const char *pin, const unsigned char *salt, unsigned iterations,
                   unsigned char out[HASH_LEN])
{
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    int rc = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
    if (rc == 0)
        rc = mbedtls_pkcs5_pbkdf2_hmac(&md, (const unsigned char *)pin, strlen(pin), salt, SALT_LEN,
                                       iterations, HASH_LEN, out);
    mbedtls_md_free(&md);
    return rc == 0;
}

bool pin_hash_make(const char *pin, unsigned iterations, char *out, size_t outlen, char *why,
                   size_t whylen)
{
    if (!pin_valid(pin)) {
        snprintf(why, whylen, "a PIN is %d to %d digits", PIN_MIN_DIGITS, PIN_MAX_DIGITS);
        return false;
    }
    if (iterations < PIN_HASH_MIN_ITERATIONS || iterations > PIN_HASH_MAX_ITERATIONS) {
        snprintf(why, whylen, "iterations must be between %d and %d", PIN_HASH_MIN_ITERATIONS,
                 PIN_HASH_MAX_ITERATIONS);
        return false;
    }
    unsigned char salt[SALT_LEN], hash[HASH_LEN];
    if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt) {
        snprintf(why, whylen, "no random bytes for the salt");
        return false;
    }
    if (!derive(pin, salt, iterations, hash)) {
        snprintf(why, whylen, "the hash could not be computed");
        return false;
    }
    char salt_hex[2 * SALT_LEN + 1], hash_hex[2 * HASH_LEN + 1];
    to_hex(salt, SALT_LEN, salt_hex);
    to_hex(hash, HASH_LEN, hash_hex);
    int n = snprintf(out, outlen, PREFIX "%u:%s:%s", iterations, salt_hex, hash_hex);
    if (n < 0 || (size_t)n >= outlen) {
        snprintf(why, whylen, "no room for the hash");
        return false;
    }
    return true;
}

bool pin_hash_verify(const char *text, const char *pin)
{
    struct parsed p;
    const char *why;
    unsigned char got[HASH_LEN];
    if (!pin_valid(pin) || !parse(text, &p, &why) || !derive(pin, p.salt, p.iterations, got))
        return false;
    unsigned char diff = 0;
    for (int i = 0; i < HASH_LEN; i++)
        diff |= (unsigned char)(got[i] ^ p.hash[i]);
    return diff == 0;
}
