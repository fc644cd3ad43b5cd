/*
 * scan.c - verb scan: the targets given (and only those) are probed
 * (scan_net.c, opcua.c) or read (dir:), what they presented goes into a
 * scan report (scanreport.h), the findings are judged against the
 * station's root, and shown as a table or --json; -o REPORT writes the
 * report for `request --scan`.  docs/discovery.md is the whole story.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "json.h"
#include "pem.h"
#include "station.h"
#include "text.h"

enum {
	ST_SCAN_RANGE_MAX = 4096,       /* addresses in one range (an IPv4 /20) */
	ST_SCAN_ENDPOINTS_MAX = 16384,  /* network endpoints in one scan */
	ST_SCAN_PORTS_MAX = 16,         /* ports in one target */
	ST_SCAN_DIR_FILES = 4096,       /* files read under one dir: target */
	ST_SCAN_DIR_DEPTH = 4,          /* folders below it */
	ST_SCAN_FILE_MAX = 1024 * 1024, /* bytes in one certificate file */
	ST_EXPIRING_DEFAULT = 30,       /* --expiring default, days */
};

/* ------------------------------------------------------------- targets */

typedef struct targets {
	st_scan_job *jobs;
	size_t n, cap;
	char **dirs;                    /* dir: targets, in order */
	size_t ndirs;
	size_t *order;                  /* the targets' order: job i, or dir (SIZE_MAX - d) */
	size_t norder;
} targets;

static void targets_free(targets *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		st_scan_job_free(&t->jobs[i]);
	free(t->jobs);
	free(t->dirs);
	free(t->order);
	memset(t, 0, sizeof *t);
}

static sr_kind kind_for_port(uint16_t port)
{
	return port == 4840 ? SR_OPCUA : port == 8883 ? SR_MQTTS : SR_TLS;
}

PC_CHECK static pc_rc add_job(targets *t, sr_kind kind, const char *host, uint16_t port,
    const struct sockaddr_storage *a, socklen_t alen, bool sni, pc_err *e)
{
	st_scan_job *j;
	size_t i;

	for (i = 0; i < t->n; i++)      /* the same endpoint twice: probed once */
		if (t->jobs[i].kind == kind && t->jobs[i].port == port &&
		    strcmp(t->jobs[i].host, host) == 0)
			return PC_OK;
	if (t->n >= ST_SCAN_ENDPOINTS_MAX)
		return pc_fail(e, PC_E_LIMIT, "scan: more than %d endpoints in one scan",
		    ST_SCAN_ENDPOINTS_MAX);
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		st_scan_job *v = reallocarray(t->jobs, cap, sizeof *v);
		size_t *o = reallocarray(t->order, cap + t->ndirs + 1, sizeof *o);
		if (v == NULL || o == NULL) {
			free(v == t->jobs ? NULL : v);
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		}
		t->jobs = v;
		t->order = o;
		t->cap = cap;
	}
	j = &t->jobs[t->n];
	memset(j, 0, sizeof *j);
	j->kind = kind;
	snprintf(j->host, sizeof j->host, "%s", host);
	j->port = port;
	j->sni = sni;
	if (a != NULL) {
		j->addr = *a;
		j->addr_len = alen;
		j->resolved = true;
	}
	t->order[t->norder++] = t->n++;
	return PC_OK;
}

static bool parse_port(const char *s, size_t n, uint16_t *port)
{
	uint64_t v;
	char buf[8];

	if (n == 0 || n > 5)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!st_u64_parse(buf, &v) || v == 0 || v > 65535 || (n > 1 && buf[0] == '0'))
		return false;
	*port = (uint16_t)v;
	return true;
}

/* The address of a host name (the first one), or of a literal. */
static bool resolve(const char *host, struct sockaddr_storage *a, socklen_t *alen)
{
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
		return false;
	memcpy(a, res->ai_addr, res->ai_addrlen);
	*alen = res->ai_addrlen;
	freeaddrinfo(res);
	return true;
}

static void set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

/* HOST part: a name, an IPv4 address, [IPv6], each optionally /PREFIX
 * (addresses only): every address of the range, once per port. */
PC_CHECK static pc_rc expand(targets *t, const char *arg, bool have_scheme, sr_kind kind,
    const char *host, const char *prefix, const uint16_t *ports, size_t nports, pc_err *e)
{
	struct sockaddr_storage a;
	socklen_t alen = 0;
	uint8_t addr[16];
	uint64_t plen = 0, count = 1, i;
	size_t k, alen_b;
	int fam;

	if (inet_pton(AF_INET, host, addr) == 1) {
		fam = AF_INET;
		alen_b = 4;
	} else if (inet_pton(AF_INET6, host, addr) == 1) {
		fam = AF_INET6;
		alen_b = 16;
	} else {
		bool ok;
		if (prefix != NULL)
			return pc_fail(e, PC_E_USAGE, "%s: a range needs an address, not a name", arg);
		for (k = 0; host[k] != '\0'; k++)
			if (!st_is_alnum(host[k]) && host[k] != '.' && host[k] != '-' && host[k] != '_')
				return pc_fail(e, PC_E_USAGE, "%s: '%s' is not a host name or address", arg,
				    host);
		if (k == 0 || k > SR_HOST_MAX)
			return pc_fail(e, PC_E_USAGE, "%s: bad host name", arg);
		ok = resolve(host, &a, &alen);
		for (k = 0; k < nports; k++) {
			sr_kind kk = have_scheme ? kind : kind_for_port(ports[k]);
			if (ok)
				set_port(&a, ports[k]);
			PC_TRY(add_job(t, kk, host, ports[k], ok ? &a : NULL, alen, true, e));
		}
		return PC_OK;
	}
	if (prefix != NULL) {
		if (!st_u64_parse(prefix, &plen) || plen > alen_b * 8 || (prefix[0] == '0' && prefix[1]))
			return pc_fail(e, PC_E_USAGE, "%s: prefix /%s is not 0..%zu", arg, prefix,
			    alen_b * 8);
		if (alen_b * 8 - plen > 12)
			return pc_fail(e, PC_E_LIMIT, "%s: /%s holds more than %d addresses (the most "
			    "one range may hold; split it, e.g. into /%zu ranges)", arg, prefix,
			    ST_SCAN_RANGE_MAX, alen_b * 8 - 12);
		count = (uint64_t)1 << (alen_b * 8 - plen);
		for (k = 0; k < alen_b; k++) {          /* the network address */
			size_t bit = k * 8;
			uint8_t mask = bit >= plen ? 0 : plen - bit >= 8 ? 0xff :
			    (uint8_t)(0xff << (8 - (plen - bit)));
			addr[k] &= mask;
		}
	}
	for (i = 0; i < count; i++) {
		uint8_t cur[16];
		char text[INET6_ADDRSTRLEN];
		uint64_t v = i;
		memcpy(cur, addr, alen_b);
		/* network address + i: the host bits are zero, so no carry leaves them */
		for (k = alen_b; k-- > 0 && v > 0;) {
			unsigned sum = cur[k] + (unsigned)(v & 0xff);
			cur[k] = (uint8_t)sum;
			v = (v >> 8) + (sum >> 8);
		}
		/* an IPv4 range's network and broadcast addresses are not hosts */
		if (fam == AF_INET && count >= 4 && (i == 0 || i == count - 1))
			continue;
		inet_ntop(fam, cur, text, sizeof text);
		memset(&a, 0, sizeof a);
		if (fam == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&a;
			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, cur, 4);
			alen = sizeof *s4;
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a;
			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, cur, 16);
			alen = sizeof *s6;
		}
		for (k = 0; k < nports; k++) {
			set_port(&a, ports[k]);
			PC_TRY(add_job(t, have_scheme ? kind : kind_for_port(ports[k]), text, ports[k],
			    &a, alen, false, e));
		}
	}
	return PC_OK;
}

/* [SCHEME://]HOST[/PREFIX][:PORT[,PORT]...] or dir:PATH. */
PC_CHECK static pc_rc parse_target(targets *t, const char *arg, pc_err *e)
{
	static const struct { const char *scheme; sr_kind kind; uint16_t port; } schemes[] = {
		{ "tls://", SR_TLS, 443 }, { "mqtts://", SR_MQTTS, 8883 },
		{ "opc.tcp://", SR_OPCUA, 4840 },
	};
	char host[SR_HOST_MAX + 8], *slash;
	const char *p = arg, *hs, *he, *ports_at;
	uint16_t ports[ST_SCAN_PORTS_MAX];
	size_t nports = 0, k;
	sr_kind kind = SR_TLS;
	bool have_scheme = false;

	if (strncmp(arg, "dir:", 4) == 0) {
		char **d;
		size_t *o;
		if (arg[4] == '\0')
			return pc_fail(e, PC_E_USAGE, "%s: dir: needs a folder", arg);
		d = reallocarray(t->dirs, t->ndirs + 1, sizeof *d);
		if (d == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		t->dirs = d;
		o = reallocarray(t->order, t->cap + t->ndirs + 1, sizeof *o);
		if (o == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		t->order = o;
		t->dirs[t->ndirs] = (char *)(arg + 4);
		t->order[t->norder++] = SIZE_MAX - t->ndirs++;
		return PC_OK;
	}
	for (k = 0; k < 3; k++)
		if (strncmp(arg, schemes[k].scheme, strlen(schemes[k].scheme)) == 0) {
			kind = schemes[k].kind;
			have_scheme = true;
			p += strlen(schemes[k].scheme);
			break;
		}
	if (!have_scheme && strstr(arg, "://") != NULL)
		return pc_fail(e, PC_E_USAGE, "%s: unknown scheme (tls://, mqtts://, opc.tcp://, dir:)",
		    arg);
	if (*p == '[') {
		hs = p + 1;
		if ((he = strchr(hs, ']')) == NULL)
			return pc_fail(e, PC_E_USAGE, "%s: no ']' after the IPv6 address", arg);
		ports_at = he + 1;
	} else {
		hs = p;
		he = strchr(hs, ':');
		if (he == NULL)
			he = hs + strlen(hs);
		ports_at = he;
	}
	if (he == hs || (size_t)(he - hs) >= sizeof host)
		return pc_fail(e, PC_E_USAGE, "%s: no host", arg);
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	slash = strchr(host, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (*ports_at == ':') {
		const char *q = ports_at + 1;
		for (;;) {
			size_t n = strcspn(q, ",");
			if (nports == ST_SCAN_PORTS_MAX)
				return pc_fail(e, PC_E_USAGE, "%s: more than %d ports", arg, ST_SCAN_PORTS_MAX);
			if (!parse_port(q, n, &ports[nports++]))
				return pc_fail(e, PC_E_USAGE, "%s: port '%.*s' is not 1..65535", arg, (int)n, q);
			if (q[n] == '\0')
				break;
			q += n + 1;
		}
	} else if (*ports_at != '\0') {
		return pc_fail(e, PC_E_USAGE, "%s: want HOST:PORT", arg);
	} else if (have_scheme) {
		ports[nports++] = schemes[kind == SR_TLS ? 0 : kind == SR_MQTTS ? 1 : 2].port;
	} else {
		return pc_fail(e, PC_E_USAGE, "%s: no port (HOST:PORT, or a scheme such as tls://)",
		    arg);
	}
	return expand(t, arg, have_scheme, kind, host, slash, ports, nports, e);
}

/* ---------------------------------------------------------- dir: files */

typedef struct dir_walk {
	sr_report *r;
	size_t files, skipped;
} dir_walk;

typedef struct file_certs {
	sr_report *r;
	sr_endpoint *ep;
} file_certs;

PC_CHECK static pc_rc file_cert_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	file_certs *f = ctx;
	pkix_cert c;
	size_t ix;

	if (f->ep->nchain >= SR_CHAIN_MAX || pkix_cert_parse(der, len, "certificate", &c, e) != PC_OK)
		return PC_OK;
	PC_TRY(sr_cert_add(f->r, der, len, &ix, e));
	f->ep->chain[f->ep->nchain++] = ix;
	return PC_OK;
}

/* One file: its certificates (PEM, any number, or one DER) become the
 * endpoint dir:PATH.  What is not a certificate is skipped, unshown: a
 * private key's bytes never reach the report. */
PC_CHECK static pc_rc scan_file(dir_walk *w, const char *path, pc_err *e)
{
	uint8_t *data;
	size_t len;
	sr_endpoint *ep;
	sr_endpoint tmp;
	file_certs f;
	pc_err fe;
	pc_rc rc = PC_OK;

	if (++w->files > ST_SCAN_DIR_FILES)
		return pc_fail(e, PC_E_LIMIT, "%s: more than %d files under one dir: target", path,
		    ST_SCAN_DIR_FILES);
	if (pc_file_read(path, ST_SCAN_FILE_MAX, &data, &len, &fe) != PC_OK) {
		w->skipped++;
		return PC_OK;
	}
	memset(&tmp, 0, sizeof tmp);
	f.r = w->r;
	f.ep = &tmp;
	if (pc_pem_looks_like(data, len)) {
		/* a PEM file with a private key in it is not read further */
		if (memmem(data, len, "PRIVATE KEY-----", 16) == NULL &&
		    pc_pem_decode_all(data, len, "CERTIFICATE", file_cert_cb, &f, &fe) != PC_OK &&
		    fe.rc == PC_E_NOMEM)
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	} else {
		rc = file_cert_cb(&f, data, len, e);
	}
	sodium_memzero(data, len);
	free(data);
	if (rc != PC_OK)
		return rc;
	if (tmp.nchain == 0) {
		w->skipped++;
		return PC_OK;
	}
	PC_TRY(sr_endpoint_add(w->r, SR_DIR, "", 0, path, &ep, e));
	ep->result = SR_OK;
	memcpy(ep->chain, tmp.chain, sizeof tmp.chain);
	ep->nchain = tmp.nchain;
	return PC_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files, in name order, folders below (not through symbolic
 * links; never into one named "private", where OPC UA keeps its key). */
PC_CHECK static pc_rc scan_dir(dir_walk *w, const char *dir, int depth, pc_err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	pc_rc rc = PC_OK;

	if (d == NULL)
		return pc_fail(e, PC_E_IO, "dir:%s: cannot open: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL && rc == PC_OK) {
		char **v;
		if (de->d_name[0] == '.')
			continue;
		if (n >= ST_SCAN_DIR_FILES) {
			rc = pc_fail(e, PC_E_LIMIT, "dir:%s: more than %d entries", dir, ST_SCAN_DIR_FILES);
			break;
		}
		if ((v = reallocarray(names, n + 1, sizeof *v)) == NULL ||
		    (v[n] = strdup(de->d_name)) == NULL) {
			if (v != NULL)
				names = v;
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			break;
		}
		names = v;
		n++;
	}
	closedir(d);
	if (rc == PC_OK && n > 1)
		qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;
		if (rc == PC_OK && st_path_join(path, dir, names[i], e) == PC_OK &&
		    lstat(path, &st) == 0) {
			if (S_ISREG(st.st_mode))
				rc = scan_file(w, path, e);
			else if (S_ISDIR(st.st_mode) && depth < ST_SCAN_DIR_DEPTH &&
			    strcmp(names[i], "private") != 0)
				rc = scan_dir(w, path, depth + 1, e);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* ------------------------------------------------------------ the report */

/* A serverCertificate ByteString: one DER certificate, or a chain of
 * them one after the other (OPC 10000-6 §6.2.3); each into the report.
 * *first SR_NONE when it holds none. */
PC_CHECK static pc_rc ua_certs(sr_report *r, const st_ua_desc *d, size_t *first, pc_err *e)
{
	pc_reader rd = pc_reader_make(d->cert, d->cert_len);
	size_t n = 0;

	*first = SR_NONE;
	while (pc_reader_left(&rd) > 0 && n++ < SR_CHAIN_MAX) {
		const uint8_t *w;
		size_t wl, ix;
		uint8_t tag;
		pc_reader c;
		pc_err ce;
		if (!pc_der_read_any(&rd, &tag, &c, &w, &wl) || tag != DER_SEQUENCE)
			break;
		if (sr_cert_add(r, w, wl, &ix, &ce) != PC_OK) {
			if (ce.rc == PC_E_NOMEM)
				return pc_fail(e, PC_E_NOMEM, "out of memory");
			break;
		}
		if (*first == SR_NONE)
			*first = ix;
	}
	return PC_OK;
}

PC_CHECK static pc_rc job_to_report(sr_report *r, const st_scan_job *j, pc_err *e)
{
	sr_endpoint *ep;
	size_t i, ix;
	pc_err ce;

	PC_TRY(sr_endpoint_add(r, j->kind, j->host, j->port, NULL, &ep, e));
	ep->result = j->result;
	snprintf(ep->reason, sizeof ep->reason, "%s", j->result == SR_OK ? "" : j->reason);
	if (j->kind != SR_OPCUA)
		snprintf(ep->tls_version, sizeof ep->tls_version, "%s", j->tls_version);
	for (i = 0; i < j->ncerts && ep->nchain < SR_CHAIN_MAX; i++)
		if (sr_cert_add(r, j->certs[i], j->cert_len[i], &ix, &ce) == PC_OK)
			ep->chain[ep->nchain++] = ix;
		else if (ce.rc == PC_E_NOMEM)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; j->ua != NULL && i < j->ua->n; i++) {
		const st_ua_desc *d = &j->ua->desc[i];
		sr_ua u;
		memset(&u, 0, sizeof u);
		u.mode = d->mode;
		memcpy(u.policy, d->policy, u.policy_len = d->policy_len);
		memcpy(u.app_uri, d->app_uri, u.app_uri_len = d->app_uri_len);
		PC_TRY(ua_certs(r, d, &u.cert, e));
		PC_TRY(sr_ua_add(ep, &u, e));
	}
	return PC_OK;
}

/* ---------------------------------------------------------------- output */

static void print_results(const sr_report *r, const sr_items *items, bool json)
{
	char t1[PC_TIME_TEXT_MAX], t2[PC_TIME_TEXT_MAX];
	sr_tally t;

	sr_tally_count(r, 0, items, &t);
	if (json) {
		pc_time_text(r->started, t1);
		pc_time_text(r->finished, t2);
		printf("{\"segment\":\"%s\",\"started\":\"%s\",\"finished\":\"%s\",\"endpoints\":[",
		    r->segment, t1, t2);
		sr_print_endpoints(stdout, r, 0, items, true);
		printf("],\"summary\":");
		sr_print_tally(stdout, &t, true);
		printf("}\n");
		return;
	}
	sr_print_endpoints(stdout, r, 0, items, false);
	sr_print_tally(stdout, &t, false);
}

/* ------------------------------------------------------------------ verb */

PC_CHECK static pc_rc limits(const st_opts *o, st_scan_cfg *cfg, unsigned *expiring, pc_err *e)
{
	unsigned t = o->timeout ? o->timeout : ST_SCAN_TIMEOUT_S;
	unsigned c = o->connect_s ? o->connect_s : ST_SCAN_CONNECT_S;

	if (t > ST_SCAN_TIMEOUT_MAX_S || c > t)
		return pc_fail(e, PC_E_USAGE, "scan: --timeout is 1..%d seconds and "
		    "--connect-timeout at most --timeout", ST_SCAN_TIMEOUT_MAX_S);
	cfg->timeout_ms = t * 1000;
	cfg->connect_ms = c * 1000;
	cfg->concurrency = o->concurrency ? o->concurrency : ST_SCAN_CONCURRENCY;
	if (cfg->concurrency > ST_SCAN_CONCURRENCY_MAX)
		return pc_fail(e, PC_E_USAGE, "scan: --concurrency is 1..%d", ST_SCAN_CONCURRENCY_MAX);
	cfg->progress = true;
	*expiring = o->expiring >= 0 ? (unsigned)o->expiring : ST_EXPIRING_DEFAULT;
	return PC_OK;
}

pc_rc st_scan(const st_args *a, pc_err *e)
{
	char path[PATH_MAX];
	st_conf conf;
	st_cert root;
	st_scan_cfg cfg;
	targets t;
	sr_report rep;
	sr_items items;
	sr_judge j;
	pc_buf out = PC_BUF_INIT;
	unsigned expiring = ST_EXPIRING_DEFAULT;
	size_t i, skipped = 0;
	pc_rc rc = PC_OK;

	memset(&t, 0, sizeof t);
	memset(&items, 0, sizeof items);
	memset(&root, 0, sizeof root);
	sr_report_init(&rep);
	if (a->nops == 0)
		return pc_fail(e, PC_E_USAGE, "scan: no targets given");
	PC_TRY_OUT(limits(&a->o, &cfg, &expiring, e));
	PC_TRY_OUT(st_conf_load(a->dir, &conf, e));
	PC_TRY_OUT(st_path_join(path, a->dir, "root.pem", e));
	PC_TRY_OUT(st_root_load(path, &root, e));
	/* every target understood before anything is contacted */
	for (i = 0; rc == PC_OK && i < a->nops; i++)
		rc = parse_target(&t, a->ops[i].path, e);
	if (rc != PC_OK)
		goto out;
	snprintf(rep.segment, sizeof rep.segment, "%s", conf.segment);
	rep.started = time(NULL);
	if ((rc = st_scan_run(t.jobs, t.n, &cfg, e)) != PC_OK)
		goto out;
	for (i = 0; rc == PC_OK && i < t.norder; i++) {
		if (t.order[i] < t.n) {
			rc = job_to_report(&rep, &t.jobs[t.order[i]], e);
		} else {
			dir_walk w = { &rep, 0, 0 };
			rc = scan_dir(&w, t.dirs[SIZE_MAX - t.order[i]], 0, e);
			skipped += w.skipped;
		}
	}
	if (rc != PC_OK)
		goto out;
	rep.finished = time(NULL);
	memset(&j, 0, sizeof j);
	j.anchors = &root.pc;
	j.nanchors = 1;
	j.now = rep.finished;
	j.expiring_days = expiring;
	if ((rc = sr_judge_reports((const sr_report *const[]){ &rep }, 1, &j, &items, e)) != PC_OK)
		goto out;
	if (skipped > 0)
		fprintf(stderr, "plantca-station: scan: %zu files under dir: targets hold no "
		    "certificate (skipped)\n", skipped);
	if (a->o.media != NULL) {
		sr_format(&rep, &out);
		if (!pc_buf_ok(&out)) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = pc_file_write_atomic(a->o.media, out.p, out.len, 0644, false, e)) != PC_OK)
			goto out;
	}
	print_results(&rep, &items, a->o.json);
	if (a->o.media != NULL && !a->o.json)
		printf("report: %s (plantca-station request %s --scan %s ...)\n", a->o.media, a->dir,
		    a->o.media);
out:
	pc_buf_free(&out);
	sr_items_free(&items);
	sr_report_free(&rep);
	targets_free(&t);
	st_cert_free(&root);
	return rc;
}
