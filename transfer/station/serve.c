/*
 * serve.c - verb serve: Lightweight CMP over HTTP (RFC 6712, RFC 9483 §6)
 * for the devices of the station's segment (docs/cmp.md).
 *
 * HTTP is libmicrohttpd's (Debian libmicrohttpd12): one thread per
 * connection, so that a slow device delays nobody else; at most
 * --max-connections at once; a connection idle for --timeout seconds is
 * closed; a request body over --max-request bytes is refused with a CMP
 * error before it is read (Content-Length) or as soon as it passes the
 * cap.  Only POST with Content-Type application/pkixcmp is CMP; anything
 * else gets a plain HTTP error.  Every CMP reply is HTTP 200 with exactly
 * "application/pkixcmp" (OpenSSL compares the whole string): CMP errors
 * travel inside it.
 *
 * serve never waits for the CA: a certificate request is checked, kept on
 * disk (cmp_state.c) and answered "waiting"; `request` carries it to the
 * CA and `accept` brings the answer, which the device's next poll gets.
 * One log line on stderr per message (no secrets).  SIGTERM or SIGINT
 * stops it cleanly: the daemon stops accepting, running handlers finish,
 * and every transaction is already on disk.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>

#include "cmp.h"
#include "secret.h"
#include "station.h"
#include "text.h"

typedef struct serve_state {
	st_cmp_ctx cmp;
	size_t max_request;
	pthread_mutex_t lock;          /* one message judged at a time */
	int lock_fd;                   /* DIR/cmp.lock: against request/accept */
} serve_state;

typedef struct conn {
	pc_buf body;
	bool too_big, answered;
	char peer[INET6_ADDRSTRLEN + 8];
} conn;

static const char mime[] = "application/pkixcmp";

static void log_line(const char *peer, const st_cmp_log *l)
{
	char when[PC_TIME_TEXT_MAX];

	pc_time_text(time(NULL), when);
	/* everything quoted from a request went through the escaper */
	flockfile(stderr);
	fprintf(stderr, "%s cmp %s %s txid=%s -> %s %s failInfo=%s: ", when, peer, l->body, l->txid,
	    l->reply[0] ? l->reply : "-", l->outcome[0] ? l->outcome : "-", l->fail);
	pc_text_fputs(stderr, l->msg);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static void log_http(const char *peer, const char *what)
{
	st_cmp_log l;

	memset(&l, 0, sizeof l);
	snprintf(l.body, sizeof l.body, "-");
	snprintf(l.txid, sizeof l.txid, "-");
	snprintf(l.outcome, sizeof l.outcome, "http");
	snprintf(l.fail, sizeof l.fail, "none");
	snprintf(l.msg, sizeof l.msg, "%s", what);
	log_line(peer, &l);
}

static enum MHD_Result send_bytes(struct MHD_Connection *mc, unsigned status, const char *type,
    const void *p, size_t n)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http_error(struct MHD_Connection *mc, conn *k, unsigned status,
    const char *text)
{
	log_http(k->peer, text);
	k->answered = true;
	return send_bytes(mc, status, "text/plain", text, strlen(text));
}

/* The CMP error for a body that was never read. */
static enum MHD_Result cmp_refuse(serve_state *s, struct MHD_Connection *mc, conn *k, int fail,
    const char *text)
{
	pc_buf out = PC_BUF_INIT;
	pc_err e;
	st_cmp_log l;
	enum MHD_Result ret;

	memset(&l, 0, sizeof l);
	snprintf(l.body, sizeof l.body, "-");
	snprintf(l.txid, sizeof l.txid, "-");
	snprintf(l.reply, sizeof l.reply, "error");
	snprintf(l.outcome, sizeof l.outcome, "refused");
	snprintf(l.fail, sizeof l.fail, "%s", pkix_cmp_fail_name((pkix_cmp_fail)fail));
	snprintf(l.msg, sizeof l.msg, "%s", text);
	log_line(k->peer, &l);
	k->answered = true;
	if (st_cmp_refuse(&s->cmp, fail, text, &out, &e) != PC_OK) {
		pc_buf_free(&out);
		return send_bytes(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "error", 5);
	}
	ret = send_bytes(mc, MHD_HTTP_OK, mime, out.p, out.len);
	pc_buf_free(&out);
	return ret;
}

static void peer_of(struct MHD_Connection *mc, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	if (ci != NULL && ci->client_addr != NULL)
		(void)getnameinfo(ci->client_addr, ci->client_addr->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), host, sizeof host,
		    port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(out, cap, "%s:%s", host, port);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size,
    void **con_cls)
{
	serve_state *s = cls;
	conn *k = *con_cls;
	const char *ct, *cl;

	if (k == NULL) {
		if ((k = calloc(1, sizeof *k)) == NULL)
			return MHD_NO;
		peer_of(mc, k->peer, sizeof k->peer);
		*con_cls = k;
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return http_error(mc, k, MHD_HTTP_METHOD_NOT_ALLOWED, "CMP over HTTP is POST "
			    "(RFC 6712 §3.3)\n");
		ct = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (ct == NULL || strcasecmp(ct, mime) != 0)
			return http_error(mc, k, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be "
			    "application/pkixcmp (RFC 6712 §3.4)\n");
		cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > s->max_request) {
			char msg[128];
			snprintf(msg, sizeof msg, "request of %s bytes, more than %zu", cl, s->max_request);
			return cmp_refuse(s, mc, k, PKIX_CMP_FI_BAD_REQUEST, msg);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!k->answered && !k->too_big) {
			if (k->body.len + *upload_size > s->max_request)
				k->too_big = true;
			else
				pc_buf_append(&k->body, upload, *upload_size);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (k->answered)
		return MHD_YES;
	if (k->too_big) {
		char msg[128];
		snprintf(msg, sizeof msg, "request larger than %zu bytes", s->max_request);
		return cmp_refuse(s, mc, k, PKIX_CMP_FI_BAD_REQUEST, msg);
	}
	if (!pc_buf_ok(&k->body))
		return cmp_refuse(s, mc, k, PKIX_CMP_FI_SYSTEM_FAILURE, "out of memory");
	{
		pc_buf out = PC_BUF_INIT;
		st_cmp_log l;
		pc_err e = { PC_OK, "" };
		pc_rc rc;
		enum MHD_Result ret;

		pthread_mutex_lock(&s->lock);
		(void)flock(s->lock_fd, LOCK_EX);
		rc = st_cmp_handle(&s->cmp, k->body.p ? k->body.p : (const uint8_t *)"", k->body.len,
		    &out, &l, &e);
		(void)flock(s->lock_fd, LOCK_UN);
		pthread_mutex_unlock(&s->lock);
		if (rc != PC_OK)
			snprintf(l.msg, sizeof l.msg, "no reply could be made: %s", e.msg);
		log_line(k->peer, &l);
		k->answered = true;
		if (rc != PC_OK) {
			pc_buf_free(&out);
			return send_bytes(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "error\n", 6);
		}
		ret = send_bytes(mc, MHD_HTTP_OK, mime, out.p, out.len);
		pc_buf_free(&out);
		return ret;
	}
	(void)url;
	(void)version;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	conn *k = *con_cls;

	(void)cls;
	(void)mc;
	if (k == NULL)
		return;
	/* a connection cut off, or too slow, before its request was complete:
	 * there is nobody to answer, but the log says so */
	if (!k->answered || why == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ||
	    why == MHD_REQUEST_TERMINATED_CLIENT_ABORT)
		log_http(k->peer, why == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ?
		    "connection timed out before the request was complete" :
		    why == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "client closed the connection early" :
		    "connection ended without a request");
	pc_buf_free(&k->body);
	free(k);
	*con_cls = NULL;
}

/* libmicrohttpd's external logger: FMT is its own format string. */
__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	fputs("plantca-station: serve: http: ", stderr);
	pc_text_fputs(stderr, msg);
	fputc('\n', stderr);
}

/* ADDR:PORT, [V6ADDR]:PORT; numeric only. */
PC_CHECK static pc_rc parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sl,
    pc_err *e)
{
	char host[INET6_ADDRSTRLEN + 2], *port;
	struct addrinfo hints, *ai = NULL;
	const char *colon = strrchr(spec, ':');
	size_t hl;

	if (colon == NULL || colon == spec || colon[1] == '\0')
		return pc_fail(e, PC_E_USAGE, "--listen '%s': expected ADDR:PORT", spec);
	hl = (size_t)(colon - spec);
	if (hl >= sizeof host)
		return pc_fail(e, PC_E_USAGE, "--listen '%s': address too long", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	port = (char *)colon + 1;
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		return pc_fail(e, PC_E_USAGE, "--listen '%s': not a numeric address and port", spec);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return PC_OK;
}

pc_rc st_serve(const st_args *a, pc_err *e)
{
	const st_opts *o = &a->o;
	serve_state s;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	pc_secret pass = { NULL, 0 };
	st_conf conf;
	char path[PATH_MAX], prompt[PATH_MAX + 32], ra_cn[4 * ST_CN_MAX + 4];
	sigset_t set;
	int sig = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_ERROR_LOG;
	pc_rc rc;

	if (o->listen == NULL)
		return pc_fail(e, PC_E_USAGE, "serve: --listen ADDR:PORT is required");
	/* from here every exit goes through out: */
	memset(&s, 0, sizeof s);
	s.lock_fd = -1;
	pthread_mutex_init(&s.lock, NULL);
	PC_TRY_OUT(parse_listen(o->listen, &ss, &sl, e));
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s.max_request = o->max_request ? o->max_request : ST_CMP_REQUEST_DEFAULT;
	/* a directory that is no station says so before a passphrase is asked */
	PC_TRY_OUT(st_conf_load(a->dir, &conf, e));
	PC_TRY_OUT(st_path_join(path, a->dir, "ra.key", e));
	snprintf(prompt, sizeof prompt, "Passphrase for %s", path);
	PC_TRY_OUT(pc_secret_read(&pass, o->pass_file, prompt, e));
	rc = st_cmp_open(&s.cmp, a->dir, &pass, e);
	pc_secret_free(&pass);
	PC_TRY_OUT(rc);
	s.cmp.profile = o->cmp_profile ? o->cmp_profile : "ldevid";
	s.cmp.check_after = o->check_after ? o->check_after : ST_CHECK_AFTER_DEFAULT;
	s.cmp.expire = (uint64_t)(o->expire_hours ? o->expire_hours : ST_EXPIRE_DEFAULT) * 3600;
	PC_TRY_OUT(st_tx_lock_open(a->dir, &s.lock_fd, e));
	/* the signals wait for sigwait below; every thread inherits the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout ? o->timeout : ST_TIMEOUT_DEFAULT),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->max_conn ? o->max_conn : ST_CONN_DEFAULT),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		rc = pc_fail(e, PC_E_IO, "serve: cannot listen on %s (in use, or not an address of "
		    "this machine?)", o->listen);
		goto out;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("plantca-station serve: segment %s, listening on %s (port %u), RA '%s', profile %s, "
	    "checkAfter %us\n", s.cmp.segment, o->listen, di ? (unsigned)di->port : 0,
	    pc_text_quote(ra_cn, sizeof ra_cn, s.cmp.ra_certs.v[0].cn,
	    strlen(s.cmp.ra_certs.v[0].cn)), s.cmp.profile, s.cmp.check_after);
	fflush(stdout);
	(void)sigwait(&set, &sig);
	MHD_stop_daemon(d);
	fprintf(stderr, "plantca-station: serve: stopped by signal %d; every transaction is kept "
	    "in %s/cmp\n", sig, a->dir);
	rc = PC_OK;
out:
	pthread_mutex_destroy(&s.lock);
	st_tx_lock_close(&s.lock_fd);
	st_cmp_close(&s.cmp);
	return rc;
}
