/*
 * register_tls.h - TLS for the cash register API's TCP clients (api.listen): an mbedTLS server
 * that requires a client certificate signed by api.tls_client_ca, on non-blocking sockets,
 * for the loop's one poll() (register_api.c).
 *
 * What it promises:
 * - Nothing here waits: every call does what the socket allows now and says what it waits
 *   for (register_tls_events), so a client stalled mid-handshake or not reading holds no one.
 * - A client without a certificate, or with one no CA of api.tls_client_ca signed, never gets
 *   past the handshake: not one byte of a request is read from it.
 * - A write refused for now is taken up again exactly as asked (mbedTLS needs the same bytes
 *   again): the caller only keeps its queue's head unchanged until it is written.
 */
#ifndef POSTERM_REGISTER_TLS_H
#define POSTERM_REGISTER_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct register_tls;         /* the server's certificate, key and the registers' CA */
struct register_tls_session; /* one client's connection */

/* Reads the three PEM files. false with err saying which file and why. */
bool register_tls_open(struct register_tls **out, const char *cert_file, const char *key_file,
                       const char *client_ca_file, char *err, size_t errlen);
void register_tls_close(struct register_tls *t);

/* A session on the accepted, non-blocking fd (which stays the caller's to close). NULL when out
 * of memory. */
struct register_tls_session *register_tls_accept(struct register_tls *t, int fd);
/* Says goodbye if it can without waiting, and frees the session. NULL is fine. */
void register_tls_end(struct register_tls_session *s);

enum register_tls_step {
    REGISTER_TLS_READY,   /* the handshake is done: the client's certificate was verified */
    REGISTER_TLS_WAITING, /* more is needed from (or for) the client: poll register_tls_events */
    REGISTER_TLS_REFUSED, /* the handshake failed: why says how (no certificate, ...) */
};

/* Takes the handshake as far as the socket allows. */
enum register_tls_step register_tls_handshake(struct register_tls_session *s, char *why,
                                              size_t whylen);

/* Bytes of the client's request: > 0 read, 0 the client closed, -1 nothing now, -2 broken. */
ssize_t register_tls_read(struct register_tls_session *s, char *buf, size_t n);
/* Sends from buf (n bytes waiting): > 0 written, -1 not now, -2 broken. After -1 the same
 * buf must be given again (its first bytes unchanged, n no smaller). */
ssize_t register_tls_write(struct register_tls_session *s, const char *buf, size_t n);

/* POLLIN / POLLOUT: what the session waits for now; 0 when it waits for nothing. */
short register_tls_events(const struct register_tls_session *s);
/* True when decrypted bytes wait inside the session: poll() cannot see them. */
bool register_tls_buffered(const struct register_tls_session *s);

#endif
