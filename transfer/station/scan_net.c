/*
 * scan_net.c - the network side of `plantca-station scan`: a bounded
 * pool of worker threads, each endpoint probed with a connect timeout and
 * an overall deadline, every read bounded.
 *
 * What is sent (docs/discovery.md, "What a scan sends"):
 *   tls, mqtts  a TLS ClientHello and the rest of the handshake, done by
 *               OpenSSL's libssl; after the handshake nothing at all (no
 *               application data, no MQTT CONNECT, no close_notify): the
 *               socket is closed.
 *   opc.tcp     Hello, OpenSecureChannel (None), GetEndpoints,
 *               CloseSecureChannel (opcua.c).
 * The TLS library is set to accept anything a device may still speak
 * (TLS 1.0 up, every cipher, security level 0) because we only look;
 * the certificates it returns are read by the PKIX layer, never trusted
 * on libssl's word.  libssl bounds the certificate message
 * (SSL_CTX_set_max_cert_list, ST_TLS_CERTS_MAX).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "station.h"

/* ---------------------------------------------------------- deadlines */

typedef struct conn {
	int fd;
	struct timespec deadline;
	bool timed_out, closed;
	unsigned timeout_ms;
} conn;

static struct timespec after_ms(unsigned ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Milliseconds until the deadline, 0 when it passed. */
static int ms_left(const struct timespec *d)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(d->tv_sec - now.tv_sec) * 1000 + (d->tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

/* Wait for fd to be readable (POLLIN) or writable; false on timeout. */
static bool wait_fd(conn *c, short ev)
{
	struct pollfd p = { c->fd, ev, 0 };
	int left, r;

	for (;;) {
		if ((left = ms_left(&c->deadline)) == 0) {
			c->timed_out = true;
			return false;
		}
		r = poll(&p, 1, left);
		if (r > 0)
			return true;
		if (r == 0) {
			c->timed_out = true;
			return false;
		}
		if (errno != EINTR)
			return false;
	}
}

PC_CHECK static pc_rc conn_read(void *ctx, uint8_t *p, size_t n, pc_err *e)
{
	conn *c = ctx;
	size_t got = 0;

	while (got < n) {
		ssize_t r;
		if (!wait_fd(c, POLLIN))
			return pc_fail(e, PC_E_IO, c->timed_out ? "no complete answer within %u ms" :
			    "poll failed", c->timeout_ms);
		r = recv(c->fd, p + got, n - got, 0);
		if (r > 0) {
			got += (size_t)r;
		} else if (r == 0) {
			c->closed = true;
			return pc_fail(e, PC_E_INPUT, "the server closed the connection");
		} else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			return pc_fail(e, PC_E_INPUT, "receive: %s", strerror(errno));
		}
	}
	return PC_OK;
}

PC_CHECK static pc_rc conn_write(void *ctx, const uint8_t *p, size_t n, pc_err *e)
{
	conn *c = ctx;
	size_t put = 0;

	while (put < n) {
		ssize_t r;
		if (!wait_fd(c, POLLOUT))
			return pc_fail(e, PC_E_IO, c->timed_out ? "no complete answer within %u ms" :
			    "poll failed", c->timeout_ms);
		r = send(c->fd, p + put, n - put, MSG_NOSIGNAL);
		if (r > 0)
			put += (size_t)r;
		else if (r < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return pc_fail(e, PC_E_INPUT, "send: %s", strerror(errno));
	}
	return PC_OK;
}

/* Printable ASCII for the report's reason field. */
static void set_reason(st_scan_job *j, sr_result res, const char *msg)
{
	size_t i, k = 0;

	j->result = res;
	for (i = 0; msg[i] != '\0' && k < SR_REASON_MAX; i++) {
		unsigned char ch = (unsigned char)msg[i];
		if (k == 0 && ch == ' ')
			continue;
		j->reason[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	while (k > 0 && j->reason[k - 1] == ' ')
		k--;
	j->reason[k] = '\0';
}

/* A TCP connection within the connect timeout (and the deadline). */
static bool tcp_connect(const st_scan_cfg *cfg, st_scan_job *j, conn *c)
{
	struct timespec cdl = after_ms(cfg->connect_ms);
	int err = 0, one = 1;
	socklen_t el = sizeof err;
	char msg[128];

	c->fd = socket(j->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(msg, sizeof msg, "socket: %s", strerror(errno));
		set_reason(j, SR_ERROR, msg);
		return false;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, (const struct sockaddr *)&j->addr, j->addr_len) != 0) {
		if (errno != EINPROGRESS) {
			err = errno;
		} else {
			conn cc = *c;
			cc.deadline = cdl;
			if (!wait_fd(&cc, POLLOUT)) {
				snprintf(msg, sizeof msg, "no connection within %u ms", cfg->connect_ms);
				set_reason(j, SR_UNREACHABLE, msg);
				return false;
			}
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
				err = errno;
		}
	}
	if (err == 0)
		return true;
	snprintf(msg, sizeof msg, "connect: %s", strerror(err));
	set_reason(j, err == ECONNREFUSED ? SR_REFUSED : SR_UNREACHABLE, msg);
	return false;
}

/* ------------------------------------------------------------------ TLS */

static SSL_CTX *tls_ctx;

static bool tls_init(void)
{
	tls_ctx = SSL_CTX_new(TLS_client_method());
	if (tls_ctx == NULL)
		return false;
	/* we look, we do not trust: everything a device may still offer */
	SSL_CTX_set_security_level(tls_ctx, 0);
	(void)SSL_CTX_set_min_proto_version(tls_ctx, TLS1_VERSION);
	(void)SSL_CTX_set_cipher_list(tls_ctx, "ALL:@SECLEVEL=0");
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_max_cert_list(tls_ctx, ST_TLS_CERTS_MAX);
	SSL_CTX_set_options(tls_ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET |
	    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
	return true;
}

static void tls_chain(SSL *s, st_scan_job *j)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(s);
	int i, n = chain ? sk_X509_num(chain) : 0;

	for (i = 0; i < n && j->ncerts < SR_CHAIN_MAX; i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(sk_X509_value(chain, i), &der);
		if (len <= 0)
			continue;
		if ((size_t)len > SR_CERT_MAX) {
			OPENSSL_free(der);
			continue;
		}
		if ((j->certs[j->ncerts] = malloc((size_t)len)) != NULL) {
			memcpy(j->certs[j->ncerts], der, (size_t)len);
			j->cert_len[j->ncerts++] = (size_t)len;
		}
		OPENSSL_free(der);
	}
}

static void probe_tls(const st_scan_cfg *cfg, st_scan_job *j, conn *c)
{
	SSL *s = SSL_new(tls_ctx);
	char msg[SR_REASON_MAX + 1];

	if (s == NULL || SSL_set_fd(s, c->fd) != 1) {
		set_reason(j, SR_ERROR, "TLS: out of memory");
		SSL_free(s);
		return;
	}
	if (j->sni)
		(void)SSL_set_tlsext_host_name(s, j->host);
	SSL_set_connect_state(s);
	for (;;) {
		int r, err;
		ERR_clear_error();
		r = SSL_do_handshake(s);
		if (r == 1)
			break;
		err = SSL_get_error(s, r);
		if ((err == SSL_ERROR_WANT_READ && wait_fd(c, POLLIN)) ||
		    (err == SSL_ERROR_WANT_WRITE && wait_fd(c, POLLOUT)))
			continue;
		tls_chain(s, j);
		if (c->timed_out) {
			snprintf(msg, sizeof msg, "TLS: no complete handshake within %u ms", cfg->timeout_ms);
			set_reason(j, SR_TIMEOUT, msg);
		} else {
			unsigned long code = ERR_peek_error();
			const char *why = code ? ERR_reason_error_string(code) : NULL;
			snprintf(msg, sizeof msg, "TLS handshake failed: %s", why ? why :
			    err == SSL_ERROR_SYSCALL ? "the server closed the connection" : "no reason given");
			set_reason(j, SR_ERROR, msg);
		}
		SSL_free(s);
		return;
	}
	snprintf(j->tls_version, sizeof j->tls_version, "%s", SSL_get_version(s));
	tls_chain(s, j);
	j->result = SR_OK;
	/* nothing after the handshake: no data, no close_notify */
	SSL_set_quiet_shutdown(s, 1);
	SSL_free(s);
}

/* -------------------------------------------------------------- OPC UA */

static void probe_opcua(const st_scan_cfg *cfg, st_scan_job *j, conn *c)
{
	st_io io = { conn_read, conn_write, c };
	char url[SR_HOST_MAX + 32], msg[SR_REASON_MAX + 1];
	/* OPC UA DateTime: 100 ns intervals since 1601-01-01 (OPC 10000-6 §5.2.2.5) */
	int64_t now = ((int64_t)time(NULL) + 11644473600LL) * 10000000LL;
	pc_err e;
	sr_endpoint ep;

	memset(&ep, 0, sizeof ep);
	ep.kind = SR_OPCUA;
	snprintf(ep.host, sizeof ep.host, "%s", j->host);
	ep.port = j->port;
	sr_endpoint_url(&ep, url, sizeof url);
	if ((j->ua = calloc(1, sizeof *j->ua)) == NULL) {
		set_reason(j, SR_ERROR, "out of memory");
		return;
	}
	if (st_ua_probe(&io, url, now, cfg->timeout_ms, j->ua, &e) == PC_OK) {
		j->result = SR_OK;
		return;
	}
	free(j->ua);
	j->ua = NULL;
	snprintf(msg, sizeof msg, "OPC UA: %.*s", SR_REASON_MAX - 8, e.msg);
	set_reason(j, c->timed_out ? SR_TIMEOUT : SR_ERROR, msg);
}

/* -------------------------------------------------------------- workers */

void st_scan_job_free(st_scan_job *j)
{
	size_t i;

	for (i = 0; i < j->ncerts; i++)
		free(j->certs[i]);
	j->ncerts = 0;
	if (j->ua != NULL) {
		st_ua_result_free(j->ua);
		free(j->ua);
		j->ua = NULL;
	}
}

static void probe(const st_scan_cfg *cfg, st_scan_job *j)
{
	conn c;

	memset(&c, 0, sizeof c);
	c.fd = -1;
	c.timeout_ms = cfg->timeout_ms;
	c.deadline = after_ms(cfg->timeout_ms);
	if (!j->resolved) {
		set_reason(j, SR_UNREACHABLE, "host name does not resolve");
		return;
	}
	if (tcp_connect(cfg, j, &c)) {
		if (j->kind == SR_OPCUA)
			probe_opcua(cfg, j, &c);
		else
			probe_tls(cfg, j, &c);
	}
	if (c.fd >= 0)
		close(c.fd);
}

typedef struct pool {
	st_scan_job *jobs;
	size_t n, next, done, answered;
	const st_scan_cfg *cfg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} pool;

static void *worker(void *arg)
{
	pool *p = arg;

	for (;;) {
		size_t i;
		pthread_mutex_lock(&p->mu);
		i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->mu);
		if (i == p->n)
			return NULL;
		probe(p->cfg, &p->jobs[i]);
		pthread_mutex_lock(&p->mu);
		p->done++;
		p->answered += p->jobs[i].result == SR_OK;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

pc_rc st_scan_run(st_scan_job *jobs, size_t n, const st_scan_cfg *cfg, pc_err *e)
{
	pthread_t th[ST_SCAN_CONCURRENCY_MAX];
	size_t nth = cfg->concurrency < n ? cfg->concurrency : n, i, started = 0;
	struct timespec begin;
	pool p;
	pc_rc rc = PC_OK;

	if (n == 0)
		return PC_OK;
	if (!tls_init())
		return pc_fail(e, PC_E_INTERNAL, "TLS: cannot set up libssl");
	memset(&p, 0, sizeof p);
	p.jobs = jobs;
	p.n = n;
	p.cfg = cfg;
	pthread_mutex_init(&p.mu, NULL);
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&p.cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	clock_gettime(CLOCK_MONOTONIC, &begin);
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, &p) == 0)
			started++;
	if (started == 0) {
		rc = pc_fail(e, PC_E_INTERNAL, "cannot start a scan thread");
	} else {
		/* progress on stderr every few seconds while a long scan runs */
		struct timespec next = begin;
		next.tv_sec += ST_SCAN_PROGRESS_S;
		pthread_mutex_lock(&p.mu);
		while (p.done < n) {
			if (pthread_cond_timedwait(&p.cv, &p.mu, &next) == ETIMEDOUT) {
				if (cfg->progress)
					fprintf(stderr, "plantca-station: scan: %zu of %zu endpoints done, %zu "
					    "answered\n", p.done, n, p.answered);
				next.tv_sec += ST_SCAN_PROGRESS_S;
			}
		}
		pthread_mutex_unlock(&p.mu);
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
	return rc;
}
