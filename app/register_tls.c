/*
 * register_tls.c - the register API's TLS server (register_tls.h), mbedTLS on non-blocking
 * sockets of its caller's.
 */
#include "register_tls.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

/* The most one write hands mbedTLS: a record's worth, well within its buffer. */
#define WRITE_CHUNK 4096

struct register_tls {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt cert, client_ca;
    mbedtls_pk_context key;
    mbedtls_ssl_config conf;
};

struct register_tls_session {
    mbedtls_ssl_context ssl;
    int fd;
    short wants;          /* POLLIN / POLLOUT: what the last call waits for */
    size_t write_pending; /* a write refused for now: its length, to be asked again as it was */
};

static void reason(int rc, const char *what, char *err, size_t errlen)
{
    char text[160];
    mbedtls_strerror(rc, text, sizeof text);
    snprintf(err, errlen, "%s: %s", what, text);
}

bool register_tls_open(struct register_tls **out, const char *cert_file, const char *key_file,
                       const char *client_ca_file, char *err, size_t errlen)
{
    *out = NULL;
    struct register_tls *t = calloc(1, sizeof *t);
    if (t == NULL) {
        snprintf(err, errlen, "the register API's TLS: out of memory");
        return false;
    }
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_x509_crt_init(&t->cert);
    mbedtls_x509_crt_init(&t->client_ca);
    mbedtls_pk_init(&t->key);
    mbedtls_ssl_config_init(&t->conf);
    static const unsigned char personal[] = "posterm register api";
    int rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, personal,
                                   sizeof personal - 1);
    char what[320];
    if (rc != 0) {
        reason(rc, "the register API's TLS: no random numbers", err, errlen);
        goto fail;
    }
    if ((rc = mbedtls_x509_crt_parse_file(&t->cert, cert_file)) != 0) {
        snprintf(what, sizeof what, "api.tls_cert %s", cert_file);
        reason(rc, what, err, errlen);
        goto fail;
    }
#if MBEDTLS_VERSION_MAJOR >= 3
    rc = mbedtls_pk_parse_keyfile(&t->key, key_file, NULL, mbedtls_ctr_drbg_random, &t->drbg);
#else
    rc = mbedtls_pk_parse_keyfile(&t->key, key_file, NULL);
#endif
    if (rc != 0) {
        snprintf(what, sizeof what, "api.tls_key %s", key_file);
        reason(rc, what, err, errlen);
        goto fail;
    }
    if ((rc = mbedtls_x509_crt_parse_file(&t->client_ca, client_ca_file)) != 0) {
        snprintf(what, sizeof what, "api.tls_client_ca %s", client_ca_file);
        reason(rc, what, err, errlen);
        goto fail;
    }
    rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                     MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc == 0)
        rc = mbedtls_ssl_conf_own_cert(&t->conf, &t->cert, &t->key);
    if (rc != 0) {
        snprintf(what, sizeof what, "api.tls_cert %s with api.tls_key %s", cert_file, key_file);
        reason(rc, what, err, errlen);
        goto fail;
    }
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->client_ca, NULL);
    /* A register proves who it is, or it is not heard. */
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 at least */
    *out = t;
    return true;
fail:
    register_tls_close(t);
    return false;
}

void register_tls_close(struct register_tls *t)
{
    if (t == NULL)
        return;
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_pk_free(&t->key);
    mbedtls_x509_crt_free(&t->client_ca);
    mbedtls_x509_crt_free(&t->cert);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    free(t);
}

/* The socket as mbedTLS sees it: never waiting, never SIGPIPE. */
static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct register_tls_session *s = ctx;
    ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct register_tls_session *s = ctx;
    ssize_t n = recv(s->fd, buf, len, MSG_DONTWAIT);
    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return MBEDTLS_ERR_SSL_WANT_READ;
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

struct register_tls_session *register_tls_accept(struct register_tls *t, int fd)
{
    struct register_tls_session *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->fd = fd;
    s->wants = POLLIN;
    mbedtls_ssl_init(&s->ssl);
    if (mbedtls_ssl_setup(&s->ssl, &t->conf) != 0) {
        mbedtls_ssl_free(&s->ssl);
        free(s);
        return NULL;
    }
    mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, NULL);
    return s;
}

void register_tls_end(struct register_tls_session *s)
{
    if (s == NULL)
        return;
    (void)mbedtls_ssl_close_notify(&s->ssl); /* one try: a client not reading misses it */
    mbedtls_ssl_free(&s->ssl);
    free(s);
}

/* True (and wants set) when rc only says "not now". */
static bool waiting(struct register_tls_session *s, int rc)
{
    if (rc == MBEDTLS_ERR_SSL_WANT_READ)
        s->wants = POLLIN;
    else if (rc == MBEDTLS_ERR_SSL_WANT_WRITE)
        s->wants = POLLOUT;
    else
        return false;
    return true;
}

enum register_tls_step register_tls_handshake(struct register_tls_session *s, char *why,
                                              size_t whylen)
{
    int rc = mbedtls_ssl_handshake(&s->ssl);
    if (rc == 0) {
        s->wants = POLLIN;
        return REGISTER_TLS_READY;
    }
    if (waiting(s, rc))
        return REGISTER_TLS_WAITING;
    uint32_t flags = mbedtls_ssl_get_verify_result(&s->ssl);
    if (rc == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE || rc == MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED ||
        (flags != 0 && flags != (uint32_t)-1)) {
        char info[200] = "";
        if (flags != 0 && flags != (uint32_t)-1)
            mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
        info[strcspn(info, "\n")] = '\0';
        snprintf(why, whylen, "the register's certificate: %s",
                 info[0]                                       ? info
                 : rc == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE ? "none was sent"
                                                               : "not verified");
    } else {
        reason(rc, "the TLS handshake", why, whylen);
    }
    return REGISTER_TLS_REFUSED;
}

ssize_t register_tls_read(struct register_tls_session *s, char *buf, size_t n)
{
    int rc = mbedtls_ssl_read(&s->ssl, (unsigned char *)buf, n);
    if (rc > 0) {
        s->wants = POLLIN;
        return rc;
    }
    if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
        return 0;
    return waiting(s, rc) ? -1 : -2;
}

ssize_t register_tls_write(struct register_tls_session *s, const char *buf, size_t n)
{
    size_t len = s->write_pending ? s->write_pending : n < WRITE_CHUNK ? n : WRITE_CHUNK;
    int rc = mbedtls_ssl_write(&s->ssl, (const unsigned char *)buf, len);
    if (rc > 0) {
        s->write_pending = 0;
        s->wants = POLLIN;
        return rc;
    }
    if (waiting(s, rc)) {
        s->write_pending = len;
        return -1;
    }
    return -2;
}

short register_tls_events(const struct register_tls_session *s)
{
    return s->wants;
}

bool register_tls_buffered(const struct register_tls_session *s)
{
    return mbedtls_ssl_get_bytes_avail(&s->ssl) > 0;
}
