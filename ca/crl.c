/*
 * crl.c - `plantca crl`: v2 CRLs (RFC 5280 §5) built by our DER writer,
 * signed in the token, checked, stored and written.  See crl.h.
 */
#include "crl.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "backup.h"
#include "cagen.h"
#include "der.h"
#include "file.h"
#include "format.h"
#include "text.h"
#include "home.h"
#include "json.h"
#include "pem.h"
#include "records.h"

#define META_CRL_DAYS "crl.days."

/* Write the OID `id` of the table (pkix/oids.def). */
static void der_oid_id(pc_der *d, pkix_oid id)
{
	size_t n;
	const uint8_t *o = pkix_oid_bytes(id, &n);

	pc_der_oid(d, o, n);
}

/* The reasonCode entry extension: SEQUENCE(2) { SEQUENCE(2) { OID(2 + 3),
 * OCTET STRING(2) { ENUMERATED(2 + 1) } } } */
enum { REASON_OID_LEN = 3, REASON_EXT_LEN = 2 + 2 + 2 + REASON_OID_LEN + 2 + 2 + 1 };

struct entries_ctx {
	const char *ca;
	store_txn *t;
	const uint8_t *kid;       /* a CA with key generations: only the certificates
	                           * whose authorityKeyIdentifier is this key's */
	bool current;             /* this is the current generation: a revocation whose
	                           * certificate is not in the store is its */
	pc_der *d;
	uint64_t n;
	time_t tcache;            /* revocation times repeat: encode each once */
	uint8_t tenc[24];
	size_t tlen;
};

/* One revokedCertificates entry, written in one append: entries are many,
 * so no container is opened per entry (RFC 5280 §5.1.2.6):
 *   SEQUENCE { userCertificate INTEGER, revocationDate Time,
 *              crlEntryExtensions { reasonCode, non-critical } OPTIONAL } */
PC_CHECK static pc_rc entry_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct entries_ctx *x = ctx;
	ca_revocation rv;
	const uint8_t *s;
	uint8_t out[96];
	size_t slen, o = 0, body;

	(void)stop;
	if (pc_reader_left(&key) != PKIX_SERIAL_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "revocation key is not a 20-byte serial");
	if (ca_revocation_decode(val, &rv, e) != PC_OK) {
		char hex[2 * PKIX_SERIAL_LEN + 1];
		ca_serial_hex(key.p + key.off, PKIX_SERIAL_LEN, hex);
		return pc_wrap(e, "certificate %s", hex);
	}
	if (strcmp(rv.ca, x->ca) != 0)
		return PC_OK;
	if (x->kid != NULL) {
		pc_reader cv;
		ca_cert_rec cr;
		pkix_cert pc;
		pc_err ign;
		bool mine;
		pc_rc rc = store_get(x->t, STORE_CERTS, key.p + key.off, PKIX_SERIAL_LEN, &cv, e);
		if (rc == PC_E_NOTFOUND) {
			if (!x->current)
				return PC_OK;
		} else {
			PC_TRY(rc);
			PC_TRY(ca_cert_rec_decode(cv, &cr, e));
			mine = pkix_cert_parse(cr.der, cr.der_len, "certificate", &pc, &ign) == PC_OK &&
			    pc.aki_len == PKIX_KEYID_LEN && memcmp(pc.aki, x->kid, PKIX_KEYID_LEN) == 0;
			ca_cert_rec_free(&cr);
			if (!mine)
				return PC_OK;
		}
	}
	if (x->tlen == 0 || x->tcache != (time_t)rv.when) {
		pc_der t;
		pc_der_init(&t);
		pc_der_time(&t, (time_t)rv.when);
		if (!pc_der_ok(&t) || t.b.len > sizeof x->tenc) {
			pc_der_free(&t);
			return pc_fail(e, PC_E_STORE_CORRUPT, "revocation time out of range");
		}
		memcpy(x->tenc, t.b.p, t.b.len);
		x->tlen = t.b.len;
		x->tcache = (time_t)rv.when;
		pc_der_free(&t);
	}
	/* INTEGER from the big-endian magnitude: minimal, positive (X.690 §8.3) */
	s = key.p + key.off;
	slen = PKIX_SERIAL_LEN;
	while (slen > 1 && s[0] == 0) {
		s++;
		slen--;
	}
	body = 2 + slen + (s[0] & 0x80 ? 1 : 0) + x->tlen + (rv.reason ? REASON_EXT_LEN : 0);
	out[o++] = DER_SEQUENCE;
	out[o++] = (uint8_t)body;        /* < 128: at most 2+21+17+14 */
	out[o++] = DER_INTEGER;
	out[o++] = (uint8_t)(slen + (s[0] & 0x80 ? 1 : 0));
	if (s[0] & 0x80)
		out[o++] = 0;
	memcpy(out + o, s, slen);
	o += slen;
	memcpy(out + o, x->tenc, x->tlen);
	o += x->tlen;
	if (rv.reason) {
		/* Extensions { Extension { reasonCode, OCTET STRING { ENUMERATED } } },
		 * non-critical: BOOLEAN DEFAULT FALSE omitted */
		size_t ol;
		const uint8_t *oid = pkix_oid_bytes(PKIX_OID_EXT_CRL_REASON, &ol);
		if (ol != REASON_OID_LEN)
			return pc_fail(e, PC_E_INTERNAL, "reasonCode OID of %zu bytes", ol);
		out[o++] = DER_SEQUENCE;
		out[o++] = (uint8_t)(REASON_EXT_LEN - 2);
		out[o++] = DER_SEQUENCE;
		out[o++] = (uint8_t)(REASON_EXT_LEN - 4);
		out[o++] = DER_OID;
		out[o++] = (uint8_t)ol;
		memcpy(out + o, oid, ol);
		o += ol;
		out[o++] = DER_OCTET_STRING;
		out[o++] = 3;
		out[o++] = DER_ENUMERATED;
		out[o++] = 1;
		out[o++] = (uint8_t)rv.reason;
	}
	pc_der_raw(x->d, out, o);
	x->n++;
	return PC_OK;
}

PC_CHECK static pc_rc crl_days_get(store_txn *t, const char *ca, unsigned *days, pc_err *e)
{
	char key[sizeof META_CRL_DAYS + CA_NAME_MAX], text[16];
	pc_reader v;
	size_t l;
	pc_rc rc;

	snprintf(key, sizeof key, "%s%s", META_CRL_DAYS, ca);
	rc = store_get(t, STORE_META, key, strlen(key), &v, e);
	if (rc == PC_E_NOTFOUND) {
		*days = strcmp(ca, "root") == 0 ? CA_CRL_DAYS_ROOT : CA_CRL_DAYS_CA;
		return PC_OK;
	}
	PC_TRY(rc);
	/* decimal digits, as crl_days_put writes them, and nothing else */
	l = pc_reader_left(&v);
	if (l == 0 || l >= sizeof text)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: %zu bytes, expected 1 to %zu digits",
		    key, l, sizeof text - 1);
	memcpy(text, v.p + v.off, l);
	text[l] = '\0';
	if (strspn(text, "0123456789") != l)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: not a decimal number", key);
	*days = (unsigned)strtoul(text, NULL, 10);
	if (*days == 0 || *days > CA_CRL_DAYS_MAX)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: %s days, not within 1..%d", key, text,
		    CA_CRL_DAYS_MAX);
	return PC_OK;
}

PC_CHECK static pc_rc crl_days_put(store_txn *t, const char *ca, unsigned days, pc_err *e)
{
	char key[sizeof META_CRL_DAYS + CA_NAME_MAX], text[16];

	snprintf(key, sizeof key, "%s%s", META_CRL_DAYS, ca);
	snprintf(text, sizeof text, "%u", days);
	return ca_meta_put_str(t, key, text, e);
}

typedef struct crl_made {
	pc_der d;                 /* the whole CertificateList */
	ca_crl_rec r;
	uint64_t overrode;        /* clock override: thisUpdate of the CRL before, else 0 */
	uint64_t gen;             /* a replaced key generation (cagen.h), 0: the current */
	bool final;               /* that generation's final CRL: it is retired now */
	bool override_if_needed;  /* a generation of `crl --ca NAME --clock-override`: the
	                           * override applies only if its last CRL is ahead */
} crl_made;

/* Build, sign, check and store the next CRL of one CA (of its replaced
 * key generation m->gen if that is not 0), in one write transaction (the
 * CRL number and the CRL commit together). */
PC_CHECK static pc_rc crl_make(ca_ctx *c, const char *name, unsigned set_days, const char *override_reason,
    crl_made *m, pc_err *e)
{
	store_txn *t = NULL;
	ca_rec ca;
	ca_crl_rec last;
	hsm_key *k;
	pc_reader v;
	pc_buf sig = PC_BUF_INIT, rb = PC_BUF_INIT;
	uint8_t kid[PKIX_KEYID_LEN];
	const uint8_t *alg, *tbs;
	size_t alg_len, tbs_at, tbs_len;
	unsigned days = 0;
	uint64_t nrev = 0;
	time_t now = time(NULL);
	char thisu[32], nextu[32], detail[400], cpath[PATH_MAX], cdir[PATH_MAX];
	char stem[CA_NAME_MAX + 24];
	pc_buf gkey = PC_BUF_INIT;
	struct entries_ctx x;
	uint64_t shared = 0;
	pc_rc rc;

	memset(&ca, 0, sizeof ca);
	memset(&last, 0, sizeof last);
	pc_der_init(&m->d);
	ca_gen_stem(name, m->gen, stem, sizeof stem);
	ca_gen_key(&gkey, META_CAGEN_CRL, name, m->gen);
	if (!pc_buf_ok(&gkey)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	PC_TRY_OUT(store_begin(c->st, true, &t, e));
	if ((rc = m->gen ? ca_gen_get(t, name, m->gen, &ca, e) : ca_rec_get(t, name, &ca, e)) != PC_OK)
		goto out;
	if (m->gen && ca.retired) {
		rc = pc_fail(e, PC_E_STATE, "CA '%s' generation %" PRIu64 " is retired: it signed its "
		    "final CRL", name, m->gen);
		goto out;
	}
	rc = m->gen ? store_get(t, STORE_META, gkey.p, gkey.len, &v, e) :
	    store_get(t, STORE_CRLS, name, strlen(name), &v, e);
	if (rc == PC_OK && (rc = ca_crl_rec_decode(v, &last, e)) != PC_OK)
		pc_wrap(e, "CA '%s'", stem);
	else if (rc == PC_E_NOTFOUND)
		rc = PC_OK;
	if (rc != PC_OK)
		goto out;
	/* the generations of `crl --ca NAME --clock-override`: only those whose
	 * last CRL is dated ahead of the clock need it */
	if (override_reason != NULL && m->override_if_needed &&
	    (last.number == 0 || now >= (time_t)last.this_update))
		override_reason = NULL;
	/* air-gapped workstations have no time service: a clock set back would
	 * publish a CRL older than one already out there */
	pc_time_text(last.this_update, thisu);
	pc_time_text((uint64_t)now, nextu);
	if (last.number > 0 && now < (time_t)last.this_update && override_reason == NULL) {
		rc = pc_fail(e, PC_E_STATE, "CA '%s': the clock (%s) is earlier than the last CRL's "
		    "thisUpdate (%s, CRL number %" PRIu64 "); set the workstation clock right, "
		    "nothing was signed.  If the clock is right and that CRL was signed with the "
		    "clock ahead: plantca crl --ca %s --clock-override --reason TEXT", name, nextu,
		    thisu, last.number, name);
		goto out;
	}
	/* the override is deliberate: only where there is something to override */
	if (override_reason != NULL && (last.number == 0 || now >= (time_t)last.this_update)) {
		rc = pc_fail(e, PC_E_STATE, "CA '%s': --clock-override: the clock (%s) is not earlier "
		    "than the last CRL's thisUpdate (%s); nothing to override, nothing was signed",
		    name, nextu, last.number ? thisu : "none");
		goto out;
	}
	/* With the override, thisUpdate goes back to the clock (RFC 5280 §5.1.2.4
	 * wants the issue date) while the CRL number still goes up (§5.2.3:
	 * relying parties order CRLs by number), so the new CRL supersedes
	 * the one dated in the future. */
	if (override_reason != NULL) {
		char od[CA_CRL_OVERRIDE_REASON_MAX + 300];
		m->overrode = last.this_update;
		snprintf(od, sizeof od, "clock %s is earlier than thisUpdate %s of CRL number %" PRIu64
		    "; CRL number %" PRIu64 " signed with thisUpdate %s; reason: %s", nextu, thisu,
		    last.number, last.number + 1, nextu, override_reason);
		if ((rc = audit_append(t, now, "crl.clock-override", name, "ok", od, e)) != PC_OK)
			goto out;
	}
	if (last.number >= INT64_MAX) {
		rc = pc_fail(e, PC_E_STATE, "CA '%s': CRL numbers exhausted", name);
		goto out;
	}
	if (set_days) {
		if ((rc = crl_days_put(t, name, set_days, e)) != PC_OK)
			goto out;
		days = set_days;
	} else if ((rc = crl_days_get(t, name, &days, e)) != PC_OK) {
		goto out;
	}
	if ((rc = ca_key_for(c, stem, ca.key_uri, &k, e)) != PC_OK)
		goto out;
	if (pkix_keyid(ca.v.spki, ca.v.spki_len, kid) != PC_OK) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': certificate has a malformed key", name);
		goto out;
	}
	alg = hsm_key_sigalg(k, &alg_len);
	/* after a restore (ca/backup.c) the number starts above the time in
	 * microseconds: above every number made before, even after the backup */
	{
		uint64_t floor = 0;
		bool found;
		if ((rc = ca_meta_get_u64(t, META_CRL_FLOOR, &floor, &found, e)) != PC_OK)
			goto out;
		m->r.number = last.number + 1 > floor ? last.number + 1 : floor;
		/* the generations of one name share one sequence (cagen.h) */
		if ((rc = ca_gen_crl_max(t, name, &shared, e)) != PC_OK)
			goto out;
		if (shared + 1 > m->r.number)
			m->r.number = shared + 1;
	}
	m->r.this_update = (uint64_t)now;
	m->r.next_update = (uint64_t)now + (uint64_t)days * PC_DAY;

	/* one buffer for everything, sized once from the number of revocations
	 * (about 55 bytes an entry) so it rarely has to grow */
	if ((rc = store_count(t, STORE_REVOCATIONS, &nrev, e)) != PC_OK)
		goto out;
	/* a hint only: when it cannot be had, the first append that needs it
	 * fails the writer, which pc_der_ok reports */
	(void)pc_buf_reserve(&m->d.b, (size_t)nrev * 56 + 4096);

	pc_der_begin(&m->d, DER_SEQUENCE);              /* CertificateList */
	tbs_at = m->d.b.len;
	pc_der_begin(&m->d, DER_SEQUENCE);              /* TBSCertList */
	pc_der_u64(&m->d, 1);                           /* version v2 */
	pc_der_raw(&m->d, alg, alg_len);                /* signature */
	pc_der_raw(&m->d, ca.v.subject, ca.v.subject_len); /* issuer, byte for byte */
	pc_der_time(&m->d, now);
	pc_der_time(&m->d, (time_t)m->r.next_update);
	pc_der_begin(&m->d, DER_SEQUENCE);              /* revokedCertificates */
	memset(&x, 0, sizeof x);
	x.ca = name;
	x.d = &m->d;
	x.t = t;
	x.current = m->gen == 0;
	if (m->gen || ca_gen_no(&ca) > 1)
		x.kid = kid;
	/* keys are 20-byte big-endian serials: key order is numeric order, and
	 * the database keeps them unique */
	if ((rc = store_scan(t, STORE_REVOCATIONS, NULL, 0, false, entry_visit, &x, e)) != PC_OK)
		goto out;
	m->r.entries = x.n;
	if (x.n == 0)
		pc_der_cancel(&m->d);                   /* §5.1.2.6: absent when empty */
	else
		pc_der_end(&m->d);
	pc_der_begin(&m->d, DER_CTX_CONS | 0);          /* crlExtensions */
	pc_der_begin(&m->d, DER_SEQUENCE);
	pc_der_begin(&m->d, DER_SEQUENCE);              /* AKI (§5.2.1) */
	der_oid_id(&m->d, PKIX_OID_EXT_AKI);
	pc_der_begin(&m->d, DER_OCTET_STRING);
	pc_der_begin(&m->d, DER_SEQUENCE);
	pc_der_tlv(&m->d, DER_CTX | 0, kid, sizeof kid);
	pc_der_end(&m->d);
	pc_der_end(&m->d);
	pc_der_end(&m->d);
	pc_der_begin(&m->d, DER_SEQUENCE);              /* cRLNumber (§5.2.3) */
	der_oid_id(&m->d, PKIX_OID_EXT_CRL_NUMBER);
	pc_der_begin(&m->d, DER_OCTET_STRING);
	pc_der_u64(&m->d, m->r.number);
	pc_der_end(&m->d);
	pc_der_end(&m->d);
	pc_der_end(&m->d);
	pc_der_end(&m->d);
	pc_der_end(&m->d);                              /* TBSCertList */
	if (m->d.failed || !pc_buf_ok(&m->d.b)) {
		rc = pc_fail(e, PC_E_NOMEM, "CA '%s': cannot build the CRL (out of memory)", name);
		goto out;
	}
	tbs = m->d.b.p + tbs_at;
	tbs_len = m->d.b.len - tbs_at;
	if ((rc = hsm_sign(k, tbs, tbs_len, &sig, e)) != PC_OK) {
		pc_wrap(e, "signing the CRL of CA '%s'", name);
		goto out;
	}
	/* hsm_sign checked the signature against the key; check it against the
	 * CA certificate too, so a CRL that relying parties would reject is
	 * never stored */
	if ((rc = hsm_verify_spki(ca.v.spki, ca.v.spki_len, tbs, tbs_len, sig.p, sig.len, e))
	    != PC_OK) {
		pc_wrap(e, "CA '%s': CRL signature does not verify with the CA certificate", name);
		goto out;
	}
	pc_der_raw(&m->d, alg, alg_len);
	pc_der_bits(&m->d, sig.p, sig.len, 0);
	pc_der_end(&m->d);
	if (!pc_der_ok(&m->d)) {
		rc = pc_fail(e, PC_E_NOMEM, "CA '%s': cannot build the CRL (out of memory)", name);
		goto out;
	}
	/* the DER goes to its own file (written and synced before the record
	 * that pins it commits); the store keeps number, dates and SHA-256 */
	crypto_hash_sha256(m->r.sha256, m->d.b.p, m->d.b.len);
	m->r.has_sha256 = true;
	m->r.size = m->d.b.len;
	if ((rc = ca_crl_file_path(c->home, stem, m->r.number, cpath, sizeof cpath, e)) != PC_OK)
		goto out;
	if (snprintf(cdir, sizeof cdir, "%s/crl", c->home) >= (int)sizeof cdir ||
	    (rc = pc_mkdir(cdir, 0755, e)) != PC_OK ||
	    snprintf(cdir, sizeof cdir, "%s/crl/current", c->home) >= (int)sizeof cdir ||
	    (rc = pc_mkdir(cdir, 0755, e)) != PC_OK) {
		rc = rc ? rc : pc_fail(e, PC_E_USAGE, "%s: path too long", c->home);
		goto out;
	}
	if ((rc = pc_file_write_atomic(cpath, m->d.b.p, m->d.b.len, 0644, false, e)) != PC_OK)
		goto out;
	if ((rc = ca_crl_rec_encode(&rb, &m->r, e)) != PC_OK)
		goto out;
	if ((rc = m->gen ? store_put(t, STORE_META, gkey.p, gkey.len, rb.p, rb.len, false, e) :
	    store_put(t, STORE_CRLS, name, strlen(name), rb.p, rb.len, false, e)) != PC_OK)
		goto out;
	pc_buf_free(&rb);   /* the store holds its own copy now */
	pc_time_text(m->r.this_update, thisu);
	pc_time_text(m->r.next_update, nextu);
	snprintf(detail, sizeof detail, "CRL number %" PRIu64 "; %" PRIu64 " entries; "
	    "thisUpdate %s; nextUpdate %s (%u days)", m->r.number, m->r.entries, thisu, nextu, days);
	if ((rc = audit_append(t, now, "crl", stem, "ok", detail, e)) != PC_OK)
		goto out;
	/* a replaced generation whose certificates have all expired: this is
	 * its final CRL, and it is retired with it */
	if (m->gen && (time_t)ca.last_na <= now) {
		char fp[PC_FINGERPRINT_MAX];
		ca.retired = (uint64_t)now;
		m->final = true;
		pc_fingerprint(ca.cert, ca.cert_len, fp);
		snprintf(detail, sizeof detail, "generation %" PRIu64 " (SHA-256 %s): every certificate "
		    "it issued has expired; final CRL number %" PRIu64 "; exports no longer carry it",
		    m->gen, fp, m->r.number);
		if ((rc = ca_gen_put(t, &ca, e)) != PC_OK ||
		    (rc = audit_append(t, now, "ca.retire", name, "ok", detail, e)) != PC_OK)
			goto out;
	}
	rc = store_commit(t, e);
	t = NULL;
	if (rc == PC_OK && last.number > 0 &&
	    ca_crl_file_path(c->home, stem, last.number, cpath, sizeof cpath, NULL) == PC_OK)
		(void)unlink(cpath);     /* the previous CRL's file: superseded now */
out:
	store_abort(t);
	pc_buf_free(&gkey);
	ca_rec_free(&ca);
	pc_buf_free(&sig);
	pc_buf_free(&rb);
	if (rc != PC_OK)
		pc_der_free(&m->d);
	return rc;
}

PC_CHECK static pc_rc afile_out(void *ctx, const void *p, size_t n, pc_err *e)
{
	return pc_afile_write(ctx, p, n, e);
}

PC_CHECK static pc_rc stdout_out(void *ctx, const void *p, size_t n, pc_err *e)
{
	(void)ctx;
	return fwrite(p, 1, n, stdout) == n ? PC_OK : pc_fail(e, PC_E_IO, "stdout: write failed");
}

/* Written in pieces: a CRL of a million entries is 51 MB of DER and 69 MB
 * of PEM, and the PEM is never held in memory whole. */
PC_CHECK static pc_rc crl_output(const crl_made *m, const char *path, bool der, pc_err *e)
{
	pc_afile f;
	pc_rc rc;

	if (path == NULL)
		return der ? stdout_out(NULL, m->d.b.p, m->d.b.len, e)
		    : pc_pem_stream("X509 CRL", m->d.b.p, m->d.b.len, stdout_out, NULL, e);
	PC_TRY(pc_afile_open(&f, path, 0644, e));
	rc = der ? pc_afile_write(&f, m->d.b.p, m->d.b.len, e)
	    : pc_pem_stream("X509 CRL", m->d.b.p, m->d.b.len, afile_out, &f, e);
	if (rc != PC_OK) {
		pc_afile_abort(&f);
		return rc;
	}
	return pc_afile_commit(&f, e);
}

/* What one CRL was, per CA and generation: text on `out`, or with json
 * one object of the array on stdout. */
static void crl_report(const char *name, const crl_made *m, const char *path, bool first,
    bool json, FILE *out)
{
	char th[32], nx[32];

	pc_time_text(m->r.this_update, th);
	pc_time_text(m->r.next_update, nx);
	if (json) {
		printf("%s{\"ca\":", first ? "" : ",");
		json_str(stdout, name);
		if (m->gen)
			printf(",\"generation\":%" PRIu64 ",\"final\":%s", m->gen, m->final ? "true" : "false");
		printf(",\"number\":%" PRIu64 ",\"entries\":%" PRIu64 ",\"this_update\":\"%s\","
		    "\"next_update\":\"%s\",\"file\":", m->r.number, m->r.entries, th, nx);
		json_str(stdout, path);
		printf("}");
	} else if (m->gen) {
		fprintf(out, "CRL %" PRIu64 " of CA '%s' generation %" PRIu64 ": %" PRIu64 " revoked, "
		    "next update %s%s%s%s\n", m->r.number, name, m->gen, m->r.entries, nx,
		    path ? ", " : "", path ? path : "", m->final ? "; its final CRL: every "
		    "certificate it issued has expired, the generation is retired" : "");
	} else {
		fprintf(out, "CRL %" PRIu64 " of CA '%s': %" PRIu64 " revoked, next update %s%s%s\n",
		    m->r.number, name, m->r.entries, nx, path ? ", " : "", path ? path : "");
	}
}

static void crl_override_note(const char *stem, const crl_made *m)
{
	char was[32], now[32];

	if (!m->overrode)
		return;
	pc_time_text(m->overrode, was);
	pc_time_text(m->r.this_update, now);
	fprintf(stderr, "plantca: CA '%s': clock override: CRL %" PRIu64 " has thisUpdate %s, "
	    "before the %s of the CRL before it (recorded in the audit trail)\n", stem,
	    m->r.number, now, was);
}

struct names {
	char **v;
	size_t n, cap;
};

PC_CHECK static pc_rc name_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct names *l = ctx;

	(void)val;
	(void)stop;
	if (!pc_grow(&l->v, &l->cap, l->n, sizeof *l->v, 8))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	l->v[l->n] = pc_rec_val_strdup(key);
	if (l->v[l->n] == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	l->n++;
	return PC_OK;
}

/* The CRLs of the replaced key generations of `name` that are not
 * retired yet, into DIR/NAME~GEN.crl (what both `crl` and `crl --ca NAME`
 * sign: a replaced generation signs its CRL until its last certificate
 * has expired).  Reported as JSON objects after the current one, or as
 * text on `out`; override_reason: `--clock-override`, applied to the
 * generations whose last CRL is ahead of the clock. */
PC_CHECK static pc_rc crl_gens(ca_ctx *c, const char *name, const char *dir, bool der,
    const char *override_reason, bool json, FILE *out, pc_err *e)
{
	ca_gen_list gl;
	store_txn *t;
	char path[PATH_MAX], stem[CA_NAME_MAX + 24];
	size_t i;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_gens_load(t, name, &gl, e);
	store_abort(t);
	PC_TRY(rc);
	for (i = 0; i < gl.n && rc == PC_OK; i++) {
		crl_made m;
		if (gl.v[i].retired)
			continue;
		memset(&m, 0, sizeof m);
		m.gen = ca_gen_no(&gl.v[i]);
		m.override_if_needed = true;
		ca_gen_stem(name, m.gen, stem, sizeof stem);
		if (snprintf(path, sizeof path, "%s/%s.crl", dir, stem) >= (int)sizeof path) {
			rc = pc_fail(e, PC_E_USAGE, "%s: path too long", dir);
			break;
		}
		rc = crl_make(c, name, 0, override_reason, &m, e);
		if (rc == PC_OK)
			rc = crl_output(&m, path, der, e);
		if (rc == PC_OK) {
			crl_override_note(stem, &m);
			crl_report(name, &m, path, false, json, out);
		}
		pc_der_free(&m.d);
	}
	ca_gen_list_free(&gl);
	return rc;
}

PC_CHECK static pc_rc crl_dir(ca_ctx *c, char *dir, size_t n, pc_err *e)
{
	if (snprintf(dir, n, "%s/crl", c->home) >= (int)n)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", c->home);
	return pc_mkdir(dir, 0755, e);
}

pc_rc ca_crl(ca_ctx *c, const ca_crl_opts *o, pc_err *e)
{
	struct names l = { NULL, 0, 0 };
	char dir[PATH_MAX], path[PATH_MAX];
	store_txn *t;
	crl_made m;
	size_t i;
	pc_rc rc;

	if (o->ca == NULL && o->out_file)
		return pc_fail(e, PC_E_USAGE, "crl -o FILE needs --ca NAME (without --ca every CA's "
		    "CRL goes to HOME/crl/NAME.crl)");
	if (o->ca == NULL && o->next_update_days)
		return pc_fail(e, PC_E_USAGE, "crl --next-update needs --ca NAME");
	if (o->next_update_days > CA_CRL_DAYS_MAX)
		return pc_fail(e, PC_E_USAGE, "--next-update: at most %d days", CA_CRL_DAYS_MAX);
	if (o->clock_override && o->ca == NULL)
		return pc_fail(e, PC_E_USAGE, "crl --clock-override needs --ca NAME (one CA at a time)");
	if (o->clock_override && (o->override_reason == NULL || o->override_reason[0] == '\0'))
		return pc_fail(e, PC_E_USAGE, "crl --clock-override needs --reason TEXT (it goes into "
		    "the audit trail)");
	if (o->clock_override && strlen(o->override_reason) > CA_CRL_OVERRIDE_REASON_MAX)
		return pc_fail(e, PC_E_USAGE, "crl --reason: at most %d characters",
		    CA_CRL_OVERRIDE_REASON_MAX);
	if (!o->clock_override && o->override_reason != NULL)
		return pc_fail(e, PC_E_USAGE, "crl --reason goes with --clock-override");
	if (o->ca) {
		/* the CA's current generation into FILE or onto stdout, then each
		 * replaced generation still signing CRLs, as plain crl does */
		bool json = c->json && o->out_file;
		FILE *out = o->out_file ? stdout : stderr;   /* the CRL itself may be on stdout */
		memset(&m, 0, sizeof m);
		PC_TRY(ca_hsm_ready(c, e));
		PC_TRY(crl_dir(c, dir, sizeof dir, e));
		PC_TRY(crl_make(c, o->ca, o->next_update_days,
		    o->clock_override ? o->override_reason : NULL, &m, e));
		rc = crl_output(&m, o->out_file, o->der, e);
		if (rc == PC_OK) {
			crl_override_note(o->ca, &m);
			if (json)
				printf("[");
			if (json || !c->json)
				crl_report(o->ca, &m, o->out_file, true, json, out);
		}
		pc_der_free(&m.d);
		if (rc == PC_OK)
			rc = crl_gens(c, o->ca, dir, o->der, o->clock_override ? o->override_reason : NULL,
			    json, out, e);
		if (json)
			printf("]\n");
		return rc;
	}

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_scan(t, STORE_CAS, NULL, 0, false, name_visit, &l, e);
	store_abort(t);
	if (rc == PC_OK)
		rc = crl_dir(c, dir, sizeof dir, e);
	if (rc == PC_OK)
		rc = ca_hsm_ready(c, e);
	if (rc == PC_OK && c->json)
		printf("[");
	for (i = 0; i < l.n && rc == PC_OK; i++) {
		memset(&m, 0, sizeof m);
		if (snprintf(path, sizeof path, "%s/%s.crl", dir, l.v[i]) >= (int)sizeof path) {
			rc = pc_fail(e, PC_E_USAGE, "%s: path too long", dir);
			break;
		}
		rc = crl_make(c, l.v[i], 0, NULL, &m, e);
		if (rc == PC_OK)
			rc = crl_output(&m, path, o->der, e);
		if (rc == PC_OK)
			crl_report(l.v[i], &m, path, i == 0, c->json, stdout);
		pc_der_free(&m.d);
		if (rc == PC_OK)
			rc = crl_gens(c, l.v[i], dir, o->der, NULL, c->json, stdout, e);
	}
	if (rc == PC_OK && c->json)
		printf("]\n");
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	return rc;
}
