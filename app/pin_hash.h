/*
 * pin_hash.h - a supervisor's PIN kept as a salted, slow hash, never as itself.
 *
 * The config holds "pbkdf2-sha256:ITERATIONS:SALT_HEX:HASH_HEX" (PBKDF2-HMAC-SHA256, a
 * 16-byte random salt, a 32-byte hash), made by `posterm --hash-pin`. A PIN is short, so
 * the hash is slow on purpose (PIN_HASH_ITERATIONS by default): a stolen config costs an
 * attacker that many rounds per guess. Still, a 4-digit PIN has only 10,000 values: the
 * attempt limit on the terminal (refund_guard.h) is what protects it there, and a longer PIN
 * is what protects a copied config.
 */
#ifndef POSTERM_PIN_HASH_H
#define POSTERM_PIN_HASH_H

#include <stdbool.h>
#include <stddef.h>

#define PIN_HASH_ITERATIONS     100000
#define PIN_HASH_MIN_ITERATIONS 10000
#define PIN_HASH_MAX_ITERATIONS 10000000
#define PIN_MIN_DIGITS          4
#define PIN_MAX_DIGITS          12
#define PIN_HASH_TEXT_MAX       160 /* the longest hash text, with its NUL */

/* True when pin is PIN_MIN_DIGITS to PIN_MAX_DIGITS digits. */
bool pin_valid(const char *pin);

/* Whether text is a hash pin_hash_make writes (the iterations within range, the salt and
 * hash of their lengths); false with a sentence in why otherwise. */
bool pin_hash_parse_ok(const char *text, char *why, size_t whylen);

/* Hashes pin (pin_valid) with a fresh random salt into out. False with a sentence in why when
 * the PIN is not one, or no random bytes or no hash could be had. */
bool pin_hash_make(const char *pin, unsigned iterations, char *out, size_t outlen, char *why,
                   size_t whylen);

/* True when pin hashes to text under text's salt and iterations (compared in constant time).
 * False for a text that is no hash. Takes as long as the hash's iterations. */
bool pin_hash_verify(const char *text, const char *pin);

#endif
