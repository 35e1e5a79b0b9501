/*
 * pin.c - PBKDF2-HMAC-SHA256 PIN hashes (pin.h), with mbedTLS's PKCS#5 and the kernel's
 * random bytes for the salt, and the count of wrong PINs that locks them.
 */
#include "pin.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>

#define SALT_BYTES 16
#define HASH_BYTES 32

const char *pin_status_reason(enum pin_status st)
{
    switch (st) {
    case PIN_OK: return "ok";
    case PIN_WRONG: return "wrong PIN";
    case PIN_NOT_PIN: return "a PIN is 4 to 12 digits";
    case PIN_BAD_HASH: return "not a PIN hash (pbkdf2:ITERATIONS:SALT_HEX:HASH_HEX)";
    case PIN_FAILED: return "the PIN could not be hashed";
    }
    return "?";
}

bool pin_acceptable(const char *pin)
{
    size_t n = pin ? strlen(pin) : 0;
    if (n < PIN_MIN_DIGITS || n > PIN_MAX_DIGITS)
        return false;
    for (size_t i = 0; i < n; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return false;
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Reads exactly len bytes of lowercase hex from s up to its end or a ':'; *end after it. */
static bool read_hex(const char *s, unsigned char *out, size_t len, const char **end)
{
    for (size_t i = 0; i < len; i++) {
        int hi = hex_value(s[2 * i]);
        int lo = hi < 0 ? -1 : hex_value(s[2 * i + 1]);
        if (lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *end = s + 2 * len;
    return true;
}

static void write_hex(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

/* Splits "pbkdf2:ITER:SALT:HASH". */
static bool parse(const char *stored, unsigned *iterations, unsigned char salt[SALT_BYTES],
                  unsigned char hash[HASH_BYTES])
{
    if (stored == NULL || strncmp(stored, "pbkdf2:", 7) != 0)
        return false;
    const char *p = stored + 7;
    unsigned long iter = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
        iter = iter * 10 + (unsigned long)(*p - '0');
    if (digits == 0 || *p != ':' || iter < PIN_ITERATIONS_MIN || iter > PIN_ITERATIONS_MAX)
        return false;
    if (!read_hex(p + 1, salt, SALT_BYTES, &p) || *p != ':')
        return false;
    if (!read_hex(p + 1, hash, HASH_BYTES, &p) || *p != '\0')
        return false;
    *iterations = (unsigned)iter;
    return true;
}

bool pin_hash_well_formed(const char *stored)
{
    unsigned iterations;
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    return parse(stored, &iterations, salt, hash);
}

static bool derive(const char *pin, const unsigned char salt[SALT_BYTES], unsigned iterations,
                   unsigned char out[HASH_BYTES])
{
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    bool ok = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) == 0 &&
              mbedtls_pkcs5_pbkdf2_hmac(&md, (const unsigned char *)pin, strlen(pin), salt,
                                        SALT_BYTES, iterations, HASH_BYTES, out) == 0;
    mbedtls_md_free(&md);
    return ok;
}

enum pin_status pin_hash(const char *pin, unsigned iterations, char *out, size_t outlen)
{
    if (!pin_acceptable(pin))
        return PIN_NOT_PIN;
    if (iterations < PIN_ITERATIONS_MIN || iterations > PIN_ITERATIONS_MAX || outlen < PIN_HASH_MAX)
        return PIN_FAILED;
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt ||
        !derive(pin, salt, iterations, hash))
        return PIN_FAILED;
    char salt_hex[2 * SALT_BYTES + 1], hash_hex[2 * HASH_BYTES + 1];
    write_hex(salt, SALT_BYTES, salt_hex);
    write_hex(hash, HASH_BYTES, hash_hex);
    snprintf(out, outlen, "pbkdf2:%u:%s:%s", iterations, salt_hex, hash_hex);
    return PIN_OK;
}

enum pin_status pin_verify(const char *pin, const char *stored)
{
    unsigned iterations;
    unsigned char salt[SALT_BYTES], want[HASH_BYTES], got[HASH_BYTES];
    if (!parse(stored, &iterations, salt, want))
        return PIN_BAD_HASH;
    if (!pin_acceptable(pin))
        return PIN_WRONG; /* told apart from a right PIN only, never from a wrong one */
    if (!derive(pin, salt, iterations, got))
        return PIN_FAILED;
    unsigned char diff = 0;
    for (size_t i = 0; i < HASH_BYTES; i++)
        diff |= (unsigned char)(got[i] ^ want[i]);
    return diff == 0 ? PIN_OK : PIN_WRONG;
}

int64_t pin_tries_locked_for(const struct pin_tries *t, int64_t now)
{
    return t->locked_until > now ? t->locked_until - now : 0;
}

int pin_tries_wrong(struct pin_tries *t, int64_t now, int64_t lock_ms)
{
    if (++t->wrong < PIN_TRIES)
        return PIN_TRIES - t->wrong;
    t->wrong = 0;
    t->locked_until = now + lock_ms;
    return 0;
}

void pin_tries_right(struct pin_tries *t)
{
    t->wrong = 0;
}

void pin_tries_resume(struct pin_tries *t, int64_t until_wall_ms, int64_t now_wall_ms, int64_t now,
                      int64_t lock_ms)
{
    if (until_wall_ms <= now_wall_ms)
        return;
    int64_t left = until_wall_ms - now_wall_ms;
    t->locked_until = now + (left > lock_ms ? lock_ms : left);
}
