/*
 * export.c - `plantca export`: the signed response bundle for a segment
 * (new certificates, chain, trust store, CRLs, queued firmware
 * signatures, the latest signed audit checkpoint), signed by the CA
 * transfer key.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit.h"
#include "cagen.h"
#include "checkpoint.h"
#include "cmp.h"
#include "text.h"
#include "der.h"
#include "format.h"
#include "home.h"
#include "json.h"
#include "keyroll.h"
#include "minisign_key.h"
#include "pem.h"
#include "records.h"
#include "rootgen.h"
#include "transfer.h"

enum {
	RESPONSE_DAYS = 30,        /* a response bundle expires after this */
	CA_EXPORT_GENS_MAX = 8,    /* replaced generations of one CA still signing CRLs */
};

typedef struct member_set {
	tr_member *v;
	pc_buf *bufs;     /* owned bytes behind v[i].data */
	size_t n, cap;
} member_set;

PC_CHECK static pc_rc member_add(member_set *m, const char *name, pc_buf *bytes, pc_err *e)
{
	{
		size_t cv = m->cap, cb = m->cap;   /* parallel arrays, one capacity */
		if (!pc_grow(&m->v, &cv, m->n, sizeof *m->v, 16) ||
		    !pc_grow(&m->bufs, &cb, m->n, sizeof *m->bufs, 16))
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		m->cap = cv;
	}
	if (!pc_buf_ok(bytes))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	m->bufs[m->n] = *bytes;
	*bytes = (pc_buf)PC_BUF_INIT;
	snprintf(m->v[m->n].name, sizeof m->v[m->n].name, "%s", name);
	m->n++;
	return PC_OK;
}

static void member_set_free(member_set *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		pc_buf_free(&m->bufs[i]);
	free(m->v);
	free(m->bufs);
	memset(m, 0, sizeof m[0]);
}

/* A queued firmware signature becomes member "firmware-NAME.p7s", NAME
 * from the officer's file name reduced to the member-name alphabet. */
struct fw_collect {
	member_set *ms;
	size_t n;
};

PC_CHECK static pc_rc fw_collect(void *ctx, const char *name, const uint8_t *sig, size_t len, pc_err *e)
{
	struct fw_collect *fc = ctx;
	char base[64], mname[TR_NAME_MAX + 1];
	const char *slash = strrchr(name, '/');
	size_t i, k = 0;
	pc_buf b = PC_BUF_INIT;

	name = slash ? slash + 1 : name;
	for (i = 0; name[i] && k < 40; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '-' || ch == '_'))
			ch = '_';
		base[k++] = ch;
	}
	base[k] = '\0';
	if (k > 4 && strcmp(base + k - 4, ".p7s") == 0)
		base[k - 4] = '\0';
	snprintf(mname, sizeof mname, "firmware-%zu-%s.p7s", ++fc->n, base[0] ? base : "sig");
	pc_buf_append(&b, sig, len);
	return member_add(fc->ms, mname, &b, e);
}

/* The CMP side of a response (docs/cmp.md): manufacturers.pem, the
 * manufacturers accepted for the segment (empty: none), and one
 * cmp-TXID.answer per CMP request the CA has decided and not yet
 * answered: issued (with the serial, whose SERIAL.crt is in the same
 * bundle), rejected (with the reason), revoked (a device's rr). */
PC_CHECK static pc_rc export_mfrs(store_txn *t, const char *segment, member_set *ms, pc_err *e)
{
	ca_mfr_list ml;
	pc_buf b = PC_BUF_INIT;
	size_t i;
	pc_rc rc;

	memset(&ml, 0, sizeof ml);
	rc = ca_mfrs_load(t, segment, &ml, e);
	for (i = 0; rc == PC_OK && i < ml.n; i++)
		pc_buf_append(&b, ml.v[i].pem, ml.v[i].pem_len);
	ca_mfr_list_free(&ml);
	if (rc == PC_OK)
		rc = member_add(ms, "manufacturers.pem", &b, e);
	pc_buf_free(&b);
	return rc;
}

/* r's CMP answer into ms if it has one to deliver; *added says so. */
PC_CHECK static pc_rc export_cmp_answer(store_txn *t, const ca_request *r, member_set *ms,
    bool *added, pc_err *e)
{
	ca_cmp_info info;
	pc_buf b = PC_BUF_INIT;
	char mname[TR_NAME_MAX + 1], hex[2 * PKIX_SERIAL_LEN + 1];
	bool issued = strcmp(r->status, "issued") == 0;

	*added = false;
	if (r->exported || !ca_cmp_member(r->member) ||
	    (!issued && strcmp(r->status, "rejected") != 0 && strcmp(r->status, "revoked") != 0))
		return PC_OK;
	{
		bool found;
		PC_TRY(ca_cmp_info_find(t, r->id, &info, &found, e));
		if (!found)
			return PC_OK;         /* never judged as far as its transaction */
	}
	pc_buf_printf(&b, "transaction: %s\nstatus: %s\n", info.txid, r->status);
	if (issued && r->has_serial) {
		ca_serial_hex(r->serial, PKIX_SERIAL_LEN, hex);
		pc_buf_printf(&b, "serial: %s\n", hex);
	} else if (!issued && r->reason != NULL && r->reason[0] != '\0') {
		char *safe = pc_text_escape_str(r->reason);
		/* one line of printable text: the escaper leaves no control */
		pc_buf_printf(&b, "reason: %.380s\n", safe ? safe : "rejected");
		free(safe);
	}
	snprintf(mname, sizeof mname, "cmp-%s.answer", info.txid);
	*added = true;
	return member_add(ms, mname, &b, e);
}

/* What an export gathers from the segment's requests, a page at a time:
 * the serials of the certificates not yet delivered (read from the store
 * again only when written), the ids to mark delivered, the request
 * bundles answered, the CMP answers (into `tail`). */
typedef struct export_plan {
	uint8_t (*serials)[PKIX_SERIAL_LEN];
	size_t ncerts, cap_certs;
	uint64_t *mark;
	size_t nmark, cap_mark;
	char **replies;               /* NULL-terminated, each once */
	size_t nreply, cap_reply;
	size_t nans;
} export_plan;

static void export_plan_free(export_plan *p)
{
	size_t i;

	for (i = 0; i < p->nreply; i++)
		free(p->replies[i]);
	free(p->replies);
	free(p->serials);
	free(p->mark);
	memset(p, 0, sizeof *p);
}

PC_CHECK static pc_rc plan_mark(export_plan *p, uint64_t id, pc_err *e)
{
	if (!pc_grow(&p->mark, &p->cap_mark, p->nmark, sizeof *p->mark, 256))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	p->mark[p->nmark++] = id;
	return PC_OK;
}

PC_CHECK static pc_rc plan_reply(export_plan *p, const char *bundle, pc_err *e)
{
	size_t j;

	/* in-reply-to: each request bundle once (a handful per export) */
	for (j = 0; j < p->nreply; j++)
		if (strcmp(p->replies[j], bundle) == 0)
			return PC_OK;
	if (!pc_grow(&p->replies, &p->cap_reply, p->nreply + 1, sizeof *p->replies, 8) ||
	    (p->replies[p->nreply] = strdup(bundle)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	p->replies[++p->nreply] = NULL;
	return PC_OK;
}

/* The segment's requests, page by page: certificates and CMP answers
 * still to deliver. */
PC_CHECK static pc_rc export_gather(ca_ctx *c, const char *segment, export_plan *p, member_set *tail,
    pc_err *e)
{
	ca_request_list l;
	store_txn *t;
	size_t i;
	pc_rc rc = PC_OK;

	memset(&l, 0, sizeof l);
	l.segment = segment;
	l.unexported = true;        /* the index: not every request of the store */
	l.page = CA_ISSUE_GROUP;
	do {
		PC_TRY(store_begin(c->st, false, &t, e));
		rc = ca_requests_load(t, &l, e);
		for (i = 0; rc == PC_OK && i < l.n; i++) {
			const ca_request *r = &l.v[i];
			bool answered = false;
			if (r->exported)
				continue;
			if (strcmp(r->status, "issued") == 0 && r->has_serial) {
				pc_reader rv;
				pc_rc gr = store_get(t, STORE_REVOCATIONS, r->serial, PKIX_SERIAL_LEN, &rv, e);
				/* revoked before it was ever delivered: never sent (the
				 * station would refuse the whole bundle for it), marked
				 * handled so that no later export carries it */
				if (gr == PC_OK) {
					rc = plan_mark(p, r->id, e);
					continue;
				}
				if (gr != PC_E_NOTFOUND) {
					rc = gr;
					break;
				}
				if (!pc_grow(&p->serials, &p->cap_certs, p->ncerts, sizeof *p->serials, 256)) {
					rc = pc_fail(e, PC_E_NOMEM, "out of memory");
					break;
				}
				memcpy(p->serials[p->ncerts++], r->serial, PKIX_SERIAL_LEN);
				rc = plan_mark(p, r->id, e);
				if (rc == PC_OK)
					rc = plan_reply(p, r->bundle, e);
				if (rc == PC_OK)
					rc = export_cmp_answer(t, r, tail, &answered, e);
				p->nans += answered;
				continue;
			}
			rc = export_cmp_answer(t, r, tail, &answered, e);
			p->nans += answered;
			/* answered CMP requests, whatever the answer, are delivered once */
			if (rc == PC_OK && answered)
				rc = plan_mark(p, r->id, e);
		}
		store_abort(t);
		ca_request_list_free(&l);
		store_release_pages(c->st);
	} while (rc == PC_OK && l.more);
	return rc;
}

/* The members of the bundle in order: head (firmware signatures), the
 * certificates, tail (manufacturers, CMP answers, CRLs, chain, trust
 * store); a certificate is read from the store when it is asked for. */
typedef struct export_src {
	member_set *head, *tail;
	const export_plan *plan;
	store *st;
	store_txn *t;
	pc_buf scratch;
	size_t asked;
} export_src;

PC_CHECK static pc_rc export_member(void *ctx, size_t i, tr_member *m, pc_err *e)
{
	export_src *x = ctx;
	pc_reader val;
	ca_cert_rec cr;
	char hex[2 * PKIX_SERIAL_LEN + 1];
	const uint8_t *serial;

	if (i < x->head->n) {
		*m = x->head->v[i];
		return PC_OK;
	}
	i -= x->head->n;
	if (i >= x->plan->ncerts) {
		*m = x->tail->v[i - x->plan->ncerts];
		return PC_OK;
	}
	serial = x->plan->serials[i];
	/* Random lookups, and the kernel maps up to 64 KiB of the file around
	 * each page touched: let go of them often, or a batch of lookups
	 * would hold a sizeable part of the store in memory. */
	if (++x->asked % 256 == 0)
		store_release_pages(x->st);
	PC_TRY(store_get(x->t, STORE_CERTS, serial, PKIX_SERIAL_LEN, &val, e));
	PC_TRY(ca_cert_rec_decode(val, &cr, e));
	x->scratch.len = 0;
	pc_pem_encode(&x->scratch, "CERTIFICATE", cr.der, cr.der_len);
	ca_cert_rec_free(&cr);
	if (!pc_buf_ok(&x->scratch))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	ca_serial_hex(serial, PKIX_SERIAL_LEN, hex);
	snprintf(m->name, sizeof m->name, "%s.crt", hex);
	m->data = x->scratch.p;
	m->len = x->scratch.len;
	return PC_OK;
}

enum { EXPORT_MARK_CHUNK = 2048 };   /* requests marked delivered per commit */

/* The requests delivered by this export, marked with its sequence, from
 * plan->mark[from] on, in one write transaction; `first` also records the
 * export itself (sequence, export record, audit event, firmware queue). */
PC_CHECK static pc_rc export_record(ca_ctx *c, const char *segment, const export_plan *plan,
    size_t from, size_t to, bool first, const tr_meta *meta, const char *name, const char *dir,
    const time_t crl_next[2], size_t ncerts, size_t nfw, const tr_checkpoint *cp, pc_err *e)
{
	store_txn *t;
	pc_buf b = PC_BUF_INIT;
	size_t i;
	pc_rc rc = PC_OK;

	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = from; rc == PC_OK && i < to; i++) {
		if (i % 256 == 255)
			store_release_pages(c->st);
		rc = ca_request_mark_exported(t, plan->mark[i], meta->sequence, e);
	}
	if (first) {
		char key[128], ek[128], detail[300];
		uint8_t k8[8];
		/* the CRLs as delivered: what the plant will run on until next time */
		const uint64_t crl_as_delivered[2] = { (uint64_t)crl_next[0], (uint64_t)crl_next[1] };
		if (rc == PC_OK && nfw > 0)
			rc = ca_firmware_pending_clear(c, t, segment, e);
		snprintf(key, sizeof key, "%s%s", META_EXPORT_SEQ, segment);
		ca_id_key(meta->sequence, k8);
		if (rc == PC_OK)
			rc = store_put(t, STORE_META, key, strlen(key), k8, 8, false, e);
		snprintf(ek, sizeof ek, "%s%s", META_EXPORT, segment);
		if (rc == PC_OK)
			rc = ca_export_rec_encode(&b, (uint64_t)meta->created, meta->sequence, name,
			    crl_as_delivered, e);
		if (rc == PC_OK)
			rc = store_put(t, STORE_META, ek, strlen(ek), b.p, b.len, false, e);
		snprintf(detail, sizeof detail, "segment %s, sequence %" PRIu64 ", %zu certificate(s), "
		    "%zu firmware signature(s), to %s", segment, meta->sequence, ncerts, nfw, dir);
		/* the checkpoint the bundle carries, recorded with the export */
		if (rc == PC_OK && cp != NULL)
			rc = ca_checkpoint_store(t, cp, e);
		if (rc == PC_OK)
			rc = audit_append(t, time(NULL), "export", name, "ok", detail, e);
	}
	pc_buf_free(&b);
	return store_end(&t, rc, e);
}

pc_rc ca_export(ca_ctx *c, const char *segment, const char *dir, pc_err *e)
{
	ca_station_list_t sl;
	member_set head, tail;
	export_plan plan;
	export_src src;
	store_txn *t = NULL;
	ca_rec root, ica;
	ca_gen_list gens;             /* the segment CA's replaced generations still signing CRLs */
	ca_gen_list rgens;            /* the root's (rootgen.h) */
	ca_root_extra rx;             /* old roots, cross-certificates, the CA's previous
	                               * certificate: during a root roll's overlap */
	const uint8_t **xc = NULL;
	size_t *xl = NULL, nx = 0;
	tr_meta meta;
	tr_checkpoint cp_new;
	tr_pubkey tpub;
	hsm_key *tk = NULL;
	pc_buf b = PC_BUF_INIT;
	ca_transfer_plan tplan;
	char *ca_name = NULL, name[TR_NAME_MAX + 1], key[128];
	size_t i, done;
	uint64_t seq = 0;
	time_t crl_next[2] = { 0, 0 };
	size_t nfw = 0;
	struct stat st;
	pc_rc rc;

	memset(&sl, 0, sizeof sl);
	memset(&head, 0, sizeof head);
	memset(&tail, 0, sizeof tail);
	memset(&plan, 0, sizeof plan);
	memset(&src, 0, sizeof src);
	memset(&root, 0, sizeof root);
	memset(&ica, 0, sizeof ica);
	memset(&gens, 0, sizeof gens);
	memset(&rgens, 0, sizeof rgens);
	memset(&rx, 0, sizeof rx);
	memset(&cp_new, 0, sizeof cp_new);
	memset(&meta, 0, sizeof meta);
	memset(&tplan, 0, sizeof tplan);
	if (!segment || !dir)
		return pc_fail(e, PC_E_USAGE, "usage: plantca export SEGMENT DIR");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return pc_fail(e, PC_E_USAGE, "%s: not a directory", dir);

	/* the token first: it completes interrupted work before anything is read */
	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = ca_stations_load(t, &sl, e);
	for (i = 0; rc == PC_OK && i < sl.n; i++)
		if (strcmp(sl.v[i].segment, segment) == 0) {
			ca_name = sl.v[i].ca;
			break;
		}
	if (rc == PC_OK && ca_name == NULL)
		rc = pc_fail(e, PC_E_NOTFOUND, "segment '%s' has no enrolled station", segment);
	store_abort(t);
	t = NULL;
	if (rc != PC_OK || (rc = ca_hsm_ready(c, e)) != PC_OK)
		goto out;

	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	rc = ca_rec_get(t, "root", &root, e);
	if (rc == PC_OK)
		rc = ca_rec_get(t, ca_name, &ica, e);
	if (rc == PC_OK)
		rc = ca_gens_load(t, ca_name, &gens, e);
	/* a retired generation is left out: nothing it issued is valid */
	for (i = 0; rc == PC_OK && i < gens.n;) {
		if (gens.v[i].retired) {
			ca_rec_free(&gens.v[i]);
			memmove(&gens.v[i], &gens.v[i + 1], (gens.n - i - 1) * sizeof gens.v[0]);
			gens.n--;
		} else {
			i++;
		}
	}
	if (rc == PC_OK)
		rc = ca_gens_load(t, "root", &rgens, e);
	if (rc == PC_OK)
		rc = ca_root_extras(t, time(NULL), &rx, e);
	if (rc == PC_OK) {
		pkix_cert xv;
		pc_err xe;
		xc = calloc(rx.n + 1 + gens.n, sizeof *xc);
		xl = calloc(rx.n + 1 + gens.n, sizeof *xl);
		if (xc == NULL || xl == NULL)
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		/* the CA's certificate from the previous root, while it is valid,
		 * and the same for each replaced generation (newest first) that
		 * a root roll re-certified */
		for (i = 0; rc == PC_OK && i <= gens.n; i++) {
			const ca_rec *g = i == 0 ? &ica : &gens.v[gens.n - i];
			if (g->xcert && pkix_cert_parse(g->xcert, g->xcert_len, "xcert", &xv, &xe) == PC_OK &&
			    xv.not_after > time(NULL)) {
				xc[nx] = g->xcert;
				xl[nx++] = g->xcert_len;
			}
		}
		for (i = 0; rc == PC_OK && i < rx.n; i++) {
			xc[nx] = rx.v[i].p;
			xl[nx++] = rx.v[i].len;
		}
	}
	if (rc == PC_OK && gens.n > CA_EXPORT_GENS_MAX)
		rc = pc_fail(e, PC_E_STATE, "CA '%s' has %zu replaced key generations still signing "
		    "CRLs, more than the %d a response carries; run plantca crl once their "
		    "certificates have expired", ca_name, gens.n, CA_EXPORT_GENS_MAX);
	snprintf(key, sizeof key, "%s%s", META_EXPORT_SEQ, segment);
	if (rc == PC_OK) {
		bool found;
		rc = ca_meta_get_u64(t, key, &seq, &found, e);
	}
	/* the transfer key the segment's stations hold (keyroll.c) */
	if (rc == PC_OK && (rc = ca_transfer_plan_get(t, segment, &sl, &tplan, e)) == PC_OK)
		memcpy(tpub.keyid, tplan.keyid, CA_KEYID_LEN);
	/* firmware signatures queued for this segment */
	if (rc == PC_OK) {
		struct fw_collect fc = { &head, 0 };
		rc = ca_firmware_pending(c, t, segment, fw_collect, &fc, e);
		nfw = fc.n;
	}
	if (rc == PC_OK)
		rc = export_mfrs(t, segment, &tail, e);
	store_abort(t);
	t = NULL;
	/* the certificates not yet delivered and the CMP answers */
	if (rc != PC_OK || (rc = export_gather(c, segment, &plan, &tail, e)) != PC_OK)
		goto out;

	/* the current CRLs of the segment's CA and of the root, as PEM */
	{
		const char *cas[2] = { ca_name, "root" };
		for (i = 0; i < 2; i++) {
			uint8_t *der = NULL;
			size_t dl = 0;
			time_t tu, nu;
			char mname[CA_NAME_MAX + 8];
			rc = ca_crl_current(c, cas[i], &der, &dl, &tu, &nu, e);
			if (rc == PC_E_NOTFOUND) {
				rc = PC_OK;
				fprintf(stderr, "plantca: export %s: CA %s has no CRL yet (plantca crl --ca %s); "
				    "the bundle carries none for it\n", segment, cas[i], cas[i]);
				continue;
			}
			if (rc != PC_OK)
				goto out;
			if (nu <= time(NULL))
				fprintf(stderr, "plantca: export %s: warning: the CRL of CA %s expired at its "
				    "nextUpdate; issue a new one (plantca crl --ca %s)\n", segment, cas[i], cas[i]);
			b.len = 0;
			pc_pem_encode(&b, "X509 CRL", der, dl);
			free(der);
			snprintf(mname, sizeof mname, "%s.crl", cas[i]);
			if ((rc = member_add(&tail, mname, &b, e)) != PC_OK)
				goto out;
			crl_next[i] = nu;
		}
		/* each replaced generation's own CRL, NAME.genGEN.crl; the
		 * root's after the CA's */
		for (i = 0; i < gens.n + rgens.n; i++) {
			uint8_t *der = NULL;
			size_t dl = 0;
			time_t tu, nu;
			const ca_rec *gr = i < gens.n ? &gens.v[i] : &rgens.v[i - gens.n];
			const char *gname = i < gens.n ? ca_name : "root";
			uint64_t g = ca_gen_no(gr);
			char mname[CA_NAME_MAX + 32];
			if (gr->retired)
				continue;
			rc = ca_crl_current_gen(c, gname, g, &der, &dl, &tu, &nu, e);
			if (rc == PC_E_NOTFOUND) {
				rc = PC_OK;
				fprintf(stderr, "plantca: export %s: CA %s generation %" PRIu64 " has no CRL "
				    "yet (plantca crl); the bundle carries none for it\n", segment, gname, g);
				continue;
			}
			if (rc != PC_OK)
				goto out;
			b.len = 0;
			pc_pem_encode(&b, "X509 CRL", der, dl);
			free(der);
			snprintf(mname, sizeof mname, "%s.gen%" PRIu64 ".crl", gname, g);
			if ((rc = member_add(&tail, mname, &b, e)) != PC_OK)
				goto out;
			if (crl_next[i < gens.n ? 0 : 1] == 0 || nu < crl_next[i < gens.n ? 0 : 1])
				crl_next[i < gens.n ? 0 : 1] = nu;
		}
	}

	/* chain.pem: issuing CA (its generations, newest first) then root;
	 * trust.pem: root then issuing CA (the same); each followed, during
	 * a root roll's overlap, by the CA's certificates from the old root (its
	 * replaced generations' too),
	 * then each old root with NewWithOld and OldWithNew (rootgen.h) */
	b.len = 0;
	pc_pem_encode(&b, "CERTIFICATE", ica.cert, ica.cert_len);
	for (i = gens.n; i-- > 0;)
		pc_pem_encode(&b, "CERTIFICATE", gens.v[i].cert, gens.v[i].cert_len);
	pc_pem_encode(&b, "CERTIFICATE", root.cert, root.cert_len);
	for (i = 0; i < nx; i++)
		pc_pem_encode(&b, "CERTIFICATE", xc[i], xl[i]);
	if ((rc = member_add(&tail, "chain.pem", &b, e)) != PC_OK)
		goto out;
	pc_pem_encode(&b, "CERTIFICATE", root.cert, root.cert_len);
	pc_pem_encode(&b, "CERTIFICATE", ica.cert, ica.cert_len);
	for (i = gens.n; i-- > 0;)
		pc_pem_encode(&b, "CERTIFICATE", gens.v[i].cert, gens.v[i].cert_len);
	for (i = 0; i < nx; i++)
		pc_pem_encode(&b, "CERTIFICATE", xc[i], xl[i]);
	if ((rc = member_add(&tail, "trust.pem", &b, e)) != PC_OK)
		goto out;
	{
		enum { NC_MAX = 2 + CA_EXPORT_GENS_MAX + 64 };
		const uint8_t *certs[NC_MAX] = { root.cert, ica.cert };
		size_t lens[NC_MAX] = { root.cert_len, ica.cert_len }, nc = 2;
		for (i = gens.n; i-- > 0 && nc < NC_MAX;) {
			certs[nc] = gens.v[i].cert;
			lens[nc++] = gens.v[i].cert_len;
		}
		for (i = 0; i < nx && nc < NC_MAX; i++) {
			certs[nc] = xc[i];
			lens[nc++] = xl[i];
		}
		if (pkix_p7b_build(certs, lens, nc, &b, e) != PC_OK || (rc = member_add(&tail, "trust.p7b", &b, e)) != PC_OK) {
			rc = rc ? rc : pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < head.n; i++) {
		head.v[i].data = head.bufs[i].p;
		head.v[i].len = head.bufs[i].len;
	}
	for (i = 0; i < tail.n; i++) {
		tail.v[i].data = tail.bufs[i].p;
		tail.v[i].len = tail.bufs[i].len;
	}

	/* the CA's new transfer key announced, endorsed by the one signing */
	if (tplan.announce) {
		b.len = 0;
		pc_buf_str(&b, tplan.pub);
		if ((rc = member_add(&tail, TR_TRANSFER_KEY_MEMBER, &b, e)) != PC_OK)
			goto out;
		pc_buf_str(&b, tplan.sig);
		if ((rc = member_add(&tail, TR_TRANSFER_KEY_MEMBER TR_ENDORSEMENT_SUFFIX, &b, e)) != PC_OK)
			goto out;
		for (i = 0; i < tail.n; i++) {
			tail.v[i].data = tail.bufs[i].p;
			tail.v[i].len = tail.bufs[i].len;
		}
	}
	/* the HSM: transfer key */
	if ((rc = ca_key_for(c, tplan.cache, tplan.uri, &tk, e)) != PC_OK)
		goto out;
	{
		size_t sl_len;
		const uint8_t *spki = hsm_key_spki(tk, &sl_len);
		if (sl_len != 44) {
			rc = pc_fail(e, PC_E_STORE_CORRUPT, "the CA transfer key is not Ed25519");
			goto out;
		}
		memcpy(tpub.pk, spki + 12, CA_PK_LEN);
	}
	/* the chain head signed by the audit key, now: the plant keeps it and
	 * can later prove the CA's trail still holds what it was shown */
	{
		tr_checkpoint cp;
		bool made, found;
		if ((rc = ca_checkpoint(c, true, false, &made, &cp, &found, e)) != PC_OK)
			goto out;
		if (made)
			cp_new = cp;          /* stored by export_record, with the export */
		if (found) {
			b.len = 0;
			tr_checkpoint_format(&cp, &b);
			if ((rc = member_add(&tail, TR_CHECKPOINT_MEMBER, &b, e)) != PC_OK)
				goto out;
		}
		for (i = 0; i < tail.n; i++) {
			tail.v[i].data = tail.bufs[i].p;
			tail.v[i].len = tail.bufs[i].len;
		}
	}
	meta.version = TR_FORMAT_VERSION;
	meta.kind = TR_RESPONSE;
	snprintf(meta.segment, sizeof meta.segment, "%s", segment);
	tr_keyid_text(tpub.keyid, meta.sender);
	meta.sequence = seq + 1;
	meta.created = time(NULL);
	meta.expires = meta.created + (time_t)RESPONSE_DAYS * PC_DAY;
	meta.in_reply_to = plan.replies;
	meta.nreply = plan.nreply;
	if (tplan.announce)
		snprintf(meta.transfer_key, sizeof meta.transfer_key, "%s", tplan.newid);
	for (i = 0; i < tplan.nkeys; i++)
		memcpy(meta.station_keys[i], tplan.station_keys[i], sizeof meta.station_keys[i]);
	meta.nstation_keys = tplan.nkeys;
	tr_bundle_name(TR_RESPONSE, segment, meta.sequence, name, sizeof name);
	/* an export that died after writing its files but before recording
	 * them left NAME.tar and NAME.tar.minisig under this sequence: they
	 * may have left the machine, so they stay, and this export takes the
	 * next sequence that is free in DIR.  A NAME.tar alone (the export
	 * died before the signature) is no bundle, accepted nowhere: the
	 * writer replaces it under the same sequence (tr_bundle_stream). */
	for (i = 0; i < 1000; i++) {
		char tp[PATH_MAX + TR_NAME_MAX + 16], sp[PATH_MAX + TR_NAME_MAX + 24];
		struct stat ts;
		snprintf(tp, sizeof tp, "%s/%s.tar", dir, name);
		snprintf(sp, sizeof sp, "%s/%s.tar.minisig", dir, name);
		/* NAME.tar is written first (a lone NAME.tar.minisig is not
		 * ours: the writer refuses it) */
		if (lstat(tp, &ts) != 0 || lstat(sp, &ts) != 0)
			break;
		fprintf(stderr, "plantca: export %s: %s/%s.tar is from an export that was interrupted "
		    "before it was recorded; it stays, this one is sequence %" PRIu64 "\n", segment, dir,
		    name, meta.sequence + 1);
		meta.sequence++;
		tr_bundle_name(TR_RESPONSE, segment, meta.sequence, name, sizeof name);
	}
	/* streamed into DIR: the certificates are read from the store as they
	 * are written, so memory does not grow with the bundle */
	src.head = &head;
	src.tail = &tail;
	src.plan = &plan;
	src.st = c->st;
	if ((rc = store_begin(c->st, false, &src.t, e)) != PC_OK)
		goto out;
	rc = tr_bundle_stream(dir, name, &meta, head.n + plan.ncerts + tail.n, export_member, &src,
	    &tpub, ca_token_ed25519_sign, tk, e);
	store_abort(src.t);
	src.t = NULL;
	if (rc != PC_OK)
		goto out;

	/* Recorded after the files exist: a crash in between re-exports the
	 * same certificates under the next sequence number, never loses them.
	 * The export itself and the first requests in one transaction, the
	 * other requests in pieces (a transaction's changed pages stay in
	 * memory until it commits); a crash between the pieces delivers the
	 * requests not yet marked once more in the next bundle, which the
	 * station accepts like any certificate it already holds. */
	for (done = 0; rc == PC_OK && (done == 0 || done < plan.nmark);) {
		size_t to = plan.nmark - done > EXPORT_MARK_CHUNK ? done + EXPORT_MARK_CHUNK : plan.nmark;
		rc = export_record(c, segment, &plan, done, to, done == 0, &meta, name, dir, crl_next,
		    plan.ncerts, nfw, cp_new.seq ? &cp_new : NULL, e);
		done = to == 0 ? 1 : to;
	}
	if (rc != PC_OK) {
		pc_wrap(e, "%s/%s.tar was written but not all of it recorded; the next export repeats "
		    "what is missing", dir, name);
		goto out;
	}
	if (c->json) {
		printf("{\"bundle\":\"%s/%s.tar\",\"segment\":", dir, name);
		json_str(stdout, segment);
		printf(",\"sequence\":%" PRIu64 ",\"certificates\":%zu}\n", meta.sequence, plan.ncerts);
	} else {
		printf("%s/%s.tar (+ .minisig): segment %s, sequence %" PRIu64 ", %zu certificate(s), "
		    "%zu firmware signature(s), %zu CMP answer(s), chain, trust.pem, trust.p7b\n", dir,
		    name, segment, meta.sequence, plan.ncerts, nfw, plan.nans);
	}
out:
	store_abort(t);
	store_abort(src.t);
	pc_buf_free(&src.scratch);
	ca_transfer_plan_free(&tplan);
	ca_rec_free(&root);
	ca_rec_free(&ica);
	ca_gen_list_free(&gens);
	ca_gen_list_free(&rgens);
	ca_root_extra_free(&rx);
	free(xc);
	free(xl);
	member_set_free(&head);
	member_set_free(&tail);
	export_plan_free(&plan);
	pc_buf_free(&b);
	ca_station_list_free(&sl);
	return rc;
}
