/*
 * crl.c - revocation and CRLs (RFC 5280 §5).  See crl.h.
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
#include "der.h"
#include "file.h"
#include "json.h"
#include "pem.h"
#include "rec.h"
#include "ca_int.h"

/* record types and fields (common/rec.h); never reorder, only add */
enum { REC_REVOCATION = 'R', REC_CRL = 'L' };
enum { RV_F_REASON = 1, RV_F_TIME, RV_F_CA };
enum { L_F_NUMBER = 1, L_F_THIS, L_F_NEXT, L_F_DER, L_F_ENTRIES, L_F_SHA256, L_F_SIZE };

#define META_CRL_DAYS "crl.days."

/* RFC 5280 §5.3.1.  certificateHold (6) and removeFromCRL (8) are left out:
 * plantca never suspends, a revocation is final. */
static const struct {
	const char *name;
	unsigned code;
} reasons[] = {
	{ "unspecified", 0 },
	{ "keyCompromise", 1 },
	{ "cACompromise", 2 },
	{ "affiliationChanged", 3 },
	{ "superseded", 4 },
	{ "cessationOfOperation", 5 },
	{ "privilegeWithdrawn", 9 },
};

const char *ca_reason_name(unsigned code)
{
	size_t i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].code == code)
			return reasons[i].name;
	return NULL;
}

static pc_rc reason_parse(const char *name, unsigned *code, pc_err *e)
{
	size_t i;

	if (name == NULL)
		return pc_fail(e, PC_E_USAGE, "revoke needs --reason (keyCompromise, cACompromise, "
		    "affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn or "
		    "unspecified)");
	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (strcmp(reasons[i].name, name) == 0) {
			*code = reasons[i].code;
			return PC_OK;
		}
	return pc_fail(e, PC_E_USAGE, "--reason '%s': not one of keyCompromise, cACompromise, "
	    "affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn, "
	    "unspecified (RFC 5280 §5.3.1 names)", name);
}

/* ------------------------------------------------------------- records */

void ca_revocation_encode(pc_buf *b, const ca_revocation *r)
{
	pc_rec_begin(b, REC_REVOCATION, 1);
	pc_rec_u64(b, RV_F_REASON, r->reason);
	pc_rec_u64(b, RV_F_TIME, r->when);
	pc_rec_str(b, RV_F_CA, r->ca);
}

pc_rc ca_revocation_decode(pc_reader val, ca_revocation *r, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;
	bool reason = false, when = false, ca = false;

	memset(r, 0, sizeof *r);
	if (!pc_rec_open(&val, REC_REVOCATION, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "revocation record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case RV_F_REASON: reason = pc_rec_val_u64(f, &r->reason); break;
		case RV_F_TIME: when = pc_rec_val_u64(f, &r->when); break;
		case RV_F_CA:
			if (pc_reader_left(&f) >= 1 && pc_reader_left(&f) <= CA_NAME_MAX) {
				memcpy(r->ca, f.p + f.off, pc_reader_left(&f));
				r->ca[pc_reader_left(&f)] = '\0';
				ca = true;
			}
			break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !reason || !when || !ca || r->reason > 10 ||
	    ca_reason_name((unsigned)r->reason) == NULL)
		return pc_fail(e, PC_E_STORE_CORRUPT, "revocation record is truncated or malformed");
	return PC_OK;
}

pc_rc ca_revocation_get(store_txn *t, const uint8_t serial[PKIX_SERIAL_LEN],
    ca_revocation *r, pc_err *e)
{
	pc_reader v;

	PC_TRY(store_get(t, STORE_REVOCATIONS, serial, PKIX_SERIAL_LEN, &v, e));
	return ca_revocation_decode(v, r, e);
}

/* The current CRL of a CA: its number and dates in the store, its DER in
 * HOME/crl/current/NAME.NUMBER.der, pinned by the SHA-256 in the record.
 * (A CRL of a million entries is 51 MB: kept in LMDB it would be copied
 * into the write transaction's dirty pages and held there twice over.)
 * Records of the first format carried the DER itself (L_F_DER). */
typedef struct crl_rec {
	uint64_t number, this_update, next_update, entries, size;
	const uint8_t *der;       /* L_F_DER records only: into the store */
	size_t der_len;
	uint8_t sha256[32];
	bool has_sha256;
} crl_rec;

static void crl_encode(pc_buf *b, const crl_rec *r)
{
	pc_rec_begin(b, REC_CRL, 1);
	pc_rec_u64(b, L_F_NUMBER, r->number);
	pc_rec_u64(b, L_F_THIS, r->this_update);
	pc_rec_u64(b, L_F_NEXT, r->next_update);
	pc_rec_u64(b, L_F_ENTRIES, r->entries);
	pc_rec_bytes(b, L_F_SHA256, r->sha256, sizeof r->sha256);
	pc_rec_u64(b, L_F_SIZE, r->size);
}

static pc_rc crl_file_path(const char *home, const char *ca, uint64_t number, char *out,
    size_t n, pc_err *e)
{
	int w = snprintf(out, n, "%s/crl/current/%s.%" PRIu64 ".der", home, ca, number);

	if (w < 0 || (size_t)w >= n)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", home);
	return PC_OK;
}

static pc_rc crl_decode(pc_reader val, crl_rec *r, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;
	bool num = false, th = false, nx = false;

	memset(r, 0, sizeof *r);
	if (!pc_rec_open(&val, REC_CRL, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "CRL record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case L_F_NUMBER: num = pc_rec_val_u64(f, &r->number); break;
		case L_F_THIS: th = pc_rec_val_u64(f, &r->this_update); break;
		case L_F_NEXT: nx = pc_rec_val_u64(f, &r->next_update); break;
		case L_F_ENTRIES: (void)pc_rec_val_u64(f, &r->entries); break;
		case L_F_DER: r->der = f.p + f.off; r->der_len = pc_reader_left(&f); break;
		case L_F_SIZE: (void)pc_rec_val_u64(f, &r->size); break;
		case L_F_SHA256:
			if ((r->has_sha256 = pc_reader_left(&f) == sizeof r->sha256))
				memcpy(r->sha256, f.p + f.off, sizeof r->sha256);
			break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !num || !th || !nx || (r->der == NULL && !r->has_sha256))
		return pc_fail(e, PC_E_STORE_CORRUPT, "CRL record is truncated or malformed");
	return PC_OK;
}

pc_rc ca_crl_current(ca_ctx *c, const char *ca_name, uint8_t **der, size_t *len,
    time_t *this_update, time_t *next_update, pc_err *e)
{
	store_txn *t;
	pc_reader v;
	crl_rec r;
	pc_rc rc;

	*der = NULL;
	*len = 0;
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_get(t, STORE_CRLS, ca_name, strlen(ca_name), &v, e);
	if (rc == PC_E_NOTFOUND)
		rc = pc_fail(e, PC_E_NOTFOUND, "CA '%s' has no CRL yet (run plantca crl)", ca_name);
	if (rc == PC_OK)
		rc = crl_decode(v, &r, e);
	if (rc == PC_OK && r.der != NULL) {
		/* a first-format record: the DER is in the store, copy it out
		 * before the transaction ends */
		*der = malloc(r.der_len ? r.der_len : 1);
		if (*der == NULL)
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		else
			memcpy(*der, r.der, r.der_len);
		*len = r.der_len;
	}
	store_abort(t);
	if (rc != PC_OK)
		return rc;
	if (r.der == NULL) {
		char path[PATH_MAX];
		uint8_t h[32];
		PC_TRY(crl_file_path(c->home, ca_name, r.number, path, sizeof path, e));
		PC_TRY(pc_file_read(path, (size_t)r.size, der, len, e));
		crypto_hash_sha256(h, *der, *len);
		if (*len != r.size || sodium_memcmp(h, r.sha256, sizeof h) != 0) {
			free(*der);
			*der = NULL;
			*len = 0;
			return pc_fail(e, PC_E_STORE_CORRUPT, "%s: does not match the SHA-256 the store "
			    "recorded for CRL %" PRIu64 " of CA '%s'", path, r.number, ca_name);
		}
	}
	if (this_update)
		*this_update = (time_t)r.this_update;
	if (next_update)
		*next_update = (time_t)r.next_update;
	return PC_OK;
}

/* ---------------------------------------------------------------- revoke */

static pc_rc revoke_one(store_txn *t, const uint8_t serial[PKIX_SERIAL_LEN], unsigned reason,
    time_t now, pc_buf *scratch, pc_err *e)
{
	char hex[2 * PKIX_SERIAL_LEN + 1], when[32], detail[1200];
	ca_cert_rec cr;
	ca_revocation rv;
	pc_reader v;
	pc_rc rc;

	ca_serial_hex(serial, PKIX_SERIAL_LEN, hex);
	rc = store_get(t, STORE_CERTS, serial, PKIX_SERIAL_LEN, &v, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_NOTFOUND, "serial %s: no such certificate", hex);
	PC_TRY(rc);
	PC_TRY(ca_cert_rec_decode(v, &cr, e));
	rc = ca_revocation_get(t, serial, &rv, e);
	if (rc == PC_OK) {
		ca_iso_time(rv.when, when);
		rc = pc_fail(e, PC_E_STATE, "serial %s: already revoked on %s (%s)", hex, when,
		    ca_reason_name((unsigned)rv.reason));
		goto out;
	}
	if (rc != PC_E_NOTFOUND)
		goto out;
	if ((time_t)cr.na < now) {
		/* RFC 5280 §5: a CRL lists unexpired certificates; an expired one is
		 * already refused by every relying party */
		ca_iso_time(cr.na, when);
		rc = pc_fail(e, PC_E_STATE, "serial %s: expired on %s; expired certificates are "
		    "not revoked", hex, when);
		goto out;
	}
	if (strlen(cr.ca) > CA_NAME_MAX) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "serial %s: issuing CA name too long", hex);
		goto out;
	}
	memset(&rv, 0, sizeof rv);
	rv.reason = reason;
	rv.when = (uint64_t)now;
	strcpy(rv.ca, cr.ca);
	scratch->len = 0;
	ca_revocation_encode(scratch, &rv);
	rc = pc_buf_ok(scratch) ? store_put(t, STORE_REVOCATIONS, serial, PKIX_SERIAL_LEN,
	    scratch->p, scratch->len, true, e) : pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK) {
		snprintf(detail, sizeof detail, "reason %s; %s by CA %s; %s", ca_reason_name(reason),
		    cr.kind, cr.ca, cr.subject);
		rc = audit_append(t, now, "revoke", hex, "ok", detail, e);
	}
out:
	ca_cert_rec_free(&cr);
	return rc;
}

/* Serials from a file: one per line, blank lines and '#' comments skipped.
 * Every line is parsed before anything is revoked. */
static pc_rc read_serial_file(const char *path, uint8_t **serials, size_t **lines, size_t *n,
    pc_err *e)
{
	uint8_t *buf = NULL, *s = NULL;
	size_t len = 0, off = 0, lineno = 0, cap = 0, *ln = NULL;
	pc_rc rc = PC_OK;

	*n = 0;
	PC_TRY(pc_file_read(path, CA_REVOKE_FILE_MAX, &buf, &len, e));
	while (off < len && rc == PC_OK) {
		const uint8_t *p = buf + off, *nl = memchr(p, '\n', len - off);
		size_t l = nl ? (size_t)(nl - p) : len - off;
		char text[CA_REVOKE_LINE_MAX + 1];
		size_t a = 0, b = l;

		off += l + (nl ? 1 : 0);
		lineno++;
		while (a < b && (p[a] == ' ' || p[a] == '\t'))
			a++;
		while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r'))
			b--;
		if (a == b || p[a] == '#')
			continue;
		if (b - a > CA_REVOKE_LINE_MAX) {
			rc = pc_fail(e, PC_E_LIMIT, "%s:%zu: line longer than %d characters", path,
			    lineno, CA_REVOKE_LINE_MAX);
			break;
		}
		memcpy(text, p + a, b - a);
		text[b - a] = '\0';
		if (strlen(text) != b - a) {
			rc = pc_fail(e, PC_E_INPUT, "%s:%zu: NUL byte in line", path, lineno);
			break;
		}
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 256;
			uint8_t *ns = realloc(s, nc * PKIX_SERIAL_LEN);
			size_t *nln;
			if (ns == NULL) {
				rc = pc_fail(e, PC_E_NOMEM, "out of memory");
				break;
			}
			s = ns;
			nln = realloc(ln, nc * sizeof *ln);
			if (nln == NULL) {
				rc = pc_fail(e, PC_E_NOMEM, "out of memory");
				break;
			}
			ln = nln;
			cap = nc;
		}
		rc = ca_serial_parse(text, s + *n * PKIX_SERIAL_LEN, e);
		if (rc != PC_OK) {
			pc_wrap(e, "%s:%zu", path, lineno);
			rc = PC_E_INPUT;
			e->rc = rc;
			break;
		}
		ln[(*n)++] = lineno;
	}
	free(buf);
	if (rc == PC_OK && *n == 0)
		rc = pc_fail(e, PC_E_INPUT, "%s: no serials in file", path);
	if (rc != PC_OK) {
		free(s);
		free(ln);
		*n = 0;
		return rc;
	}
	*serials = s;
	*lines = ln;
	return PC_OK;
}

pc_rc ca_revoke(ca_ctx *c, const char *serial_text, const char *from_file,
    const char *reason_name, pc_err *e)
{
	uint8_t one[PKIX_SERIAL_LEN], *serials = one;
	size_t n = 1, i, *lines = NULL;
	unsigned reason = 0;
	store_txn *t;
	pc_buf scratch = PC_BUF_INIT;
	time_t now = time(NULL);
	char hex[2 * PKIX_SERIAL_LEN + 1], when[32];
	pc_rc rc = PC_OK;

	if ((serial_text == NULL) == (from_file == NULL))
		return pc_fail(e, PC_E_USAGE, "revoke takes one SERIAL or --from-file FILE");
	PC_TRY(reason_parse(reason_name, &reason, e));
	if (from_file)
		PC_TRY(read_serial_file(from_file, &serials, &lines, &n, e));
	else if (ca_serial_parse(serial_text, one, e) != PC_OK)
		return e->rc;

	if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
		goto out;
	for (i = 0; i < n && rc == PC_OK; i++) {
		rc = revoke_one(t, serials + i * PKIX_SERIAL_LEN, reason, now, &scratch, e);
		if (rc != PC_OK && from_file)
			pc_wrap(e, "%s:%zu", from_file, lines[i]);
	}
	if (rc != PC_OK) {
		store_abort(t);
		if (from_file)
			pc_wrap(e, "nothing revoked");
		goto out;
	}
	if ((rc = store_commit(t, e)) != PC_OK)
		goto out;

	ca_iso_time((uint64_t)now, when);
	if (c->json) {
		printf("{\"reason\":\"%s\",\"time\":\"%s\",\"revoked\":[", ca_reason_name(reason), when);
		for (i = 0; i < n; i++) {
			ca_serial_hex(serials + i * PKIX_SERIAL_LEN, PKIX_SERIAL_LEN, hex);
			printf("%s\"%s\"", i ? "," : "", hex);
		}
		printf("]}\n");
	} else if (n == 1) {
		ca_serial_hex(serials, PKIX_SERIAL_LEN, hex);
		printf("revoked %s (%s) at %s; publish it with plantca crl\n", hex,
		    ca_reason_name(reason), when);
	} else {
		printf("revoked %zu certificates (%s) at %s; publish them with plantca crl\n", n,
		    ca_reason_name(reason), when);
	}
out:
	if (serials != one)
		free(serials);
	free(lines);
	pc_buf_free(&scratch);
	return rc;
}

/* ------------------------------------------------------------------- crl */

static const uint8_t OID_CRL_NUMBER[] = { 0x55, 0x1d, 0x14 };  /* 2.5.29.20 */
static const uint8_t OID_AKI[] = { 0x55, 0x1d, 0x23 };         /* 2.5.29.35 */

struct entries_ctx {
	const char *ca;
	store *st;
	pc_der *d;
	uint64_t n;
	uint64_t scanned;         /* every record visited, this CA's or not */
	time_t tcache;            /* revocation times repeat: encode each once */
	uint8_t tenc[24];
	size_t tlen;
};

/* One revokedCertificates entry, written in one append: entries are many,
 * so no container is opened per entry (RFC 5280 §5.1.2.6):
 *   SEQUENCE { userCertificate INTEGER, revocationDate Time,
 *              crlEntryExtensions { reasonCode, non-critical } OPTIONAL } */
static pc_rc entry_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct entries_ctx *x = ctx;
	ca_revocation rv;
	const uint8_t *s;
	uint8_t out[96];
	size_t slen, o = 0, body;

	(void)stop;
	if (pc_reader_left(&key) != PKIX_SERIAL_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "revocation key is not a 20-byte serial");
	/* the scan touches every revocation page once: let go of them as we go */
	if (++x->scanned % 4096 == 0)
		store_release_pages(x->st);
	PC_TRY(ca_revocation_decode(val, &rv, e));
	if (strcmp(rv.ca, x->ca) != 0)
		return PC_OK;
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
	body = 2 + slen + (s[0] & 0x80 ? 1 : 0) + x->tlen + (rv.reason ? 14 : 0);
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
		/* Extensions { Extension { reasonCode 2.5.29.21, OCTET STRING
		 * { ENUMERATED } } }, non-critical: BOOLEAN DEFAULT FALSE omitted */
		static const uint8_t ext[] = { DER_SEQUENCE, 12, DER_SEQUENCE, 10, DER_OID, 3,
		    0x55, 0x1d, 0x15, DER_OCTET_STRING, 3, DER_ENUMERATED, 1 };
		memcpy(out + o, ext, sizeof ext);
		o += sizeof ext;
		out[o++] = (uint8_t)rv.reason;
	}
	pc_der_raw(x->d, out, o);
	x->n++;
	return PC_OK;
}

static pc_rc crl_days_get(store_txn *t, const char *ca, unsigned *days, pc_err *e)
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
	l = pc_reader_left(&v);
	if (l == 0 || l >= sizeof text)
		return pc_fail(e, PC_E_STORE_CORRUPT, "%s: malformed", key);
	memcpy(text, v.p + v.off, l);
	text[l] = '\0';
	*days = (unsigned)strtoul(text, NULL, 10);
	if (*days == 0 || *days > CA_CRL_DAYS_MAX)
		return pc_fail(e, PC_E_STORE_CORRUPT, "%s: malformed", key);
	return PC_OK;
}

static pc_rc crl_days_put(store_txn *t, const char *ca, unsigned days, pc_err *e)
{
	char key[sizeof META_CRL_DAYS + CA_NAME_MAX], text[16];

	snprintf(key, sizeof key, "%s%s", META_CRL_DAYS, ca);
	snprintf(text, sizeof text, "%u", days);
	return ca_meta_put_str(t, key, text, e);
}

typedef struct crl_made {
	pc_der d;                 /* the whole CertificateList */
	crl_rec r;
	uint64_t overrode;        /* clock override: thisUpdate of the CRL before, else 0 */
} crl_made;

/* Build, sign, check and store the next CRL of one CA, in one write
 * transaction (the CRL number and the CRL commit together). */
static pc_rc crl_make(ca_ctx *c, const char *name, unsigned set_days, const char *override_reason,
    crl_made *m, pc_err *e)
{
	store_txn *t = NULL;
	ca_rec ca;
	crl_rec last;
	hsm_key *k;
	pc_reader v;
	pc_buf sig = PC_BUF_INIT, rb = PC_BUF_INIT;
	uint8_t kid[PKIX_KEYID_LEN];
	const uint8_t *alg, *tbs;
	size_t alg_len, tbs_at, tbs_len;
	unsigned days = 0;
	uint64_t nrev = 0;
	time_t now = time(NULL);
	char thisu[32], nextu[32], detail[300], cpath[PATH_MAX], cdir[PATH_MAX];
	struct entries_ctx x;
	pc_rc rc;

	memset(&ca, 0, sizeof ca);
	memset(&last, 0, sizeof last);
	pc_der_init(&m->d);
	PC_TRY(store_begin(c->st, true, &t, e));
	if ((rc = ca_rec_get(t, name, &ca, e)) != PC_OK)
		goto out;
	rc = store_get(t, STORE_CRLS, name, strlen(name), &v, e);
	if (rc == PC_OK)
		rc = crl_decode(v, &last, e);
	else if (rc == PC_E_NOTFOUND)
		rc = PC_OK;
	if (rc != PC_OK)
		goto out;
	/* air-gapped workstations have no time service: a clock set back would
	 * publish a CRL older than one already out there */
	ca_iso_time(last.this_update, thisu);
	ca_iso_time((uint64_t)now, nextu);
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
	if ((rc = ca_key_for(c, name, ca.key_uri, &k, e)) != PC_OK)
		goto out;
	if (pkix_keyid(ca.v.spki, ca.v.spki_len, kid) != PC_OK) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': certificate has a malformed key", name);
		goto out;
	}
	alg = hsm_key_sigalg(k, &alg_len);
	m->r.number = last.number + 1;
	m->r.this_update = (uint64_t)now;
	m->r.next_update = (uint64_t)now + (uint64_t)days * 86400;

	/* one buffer for everything, sized once from the number of revocations
	 * (about 55 bytes an entry) so it rarely has to grow */
	if ((rc = store_count(t, STORE_REVOCATIONS, &nrev, e)) != PC_OK)
		goto out;
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
	x.st = c->st;
	x.d = &m->d;
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
	pc_der_oid(&m->d, OID_AKI, sizeof OID_AKI);
	pc_der_begin(&m->d, DER_OCTET_STRING);
	pc_der_begin(&m->d, DER_SEQUENCE);
	pc_der_tlv(&m->d, DER_CTX | 0, kid, sizeof kid);
	pc_der_end(&m->d);
	pc_der_end(&m->d);
	pc_der_end(&m->d);
	pc_der_begin(&m->d, DER_SEQUENCE);              /* cRLNumber (§5.2.3) */
	pc_der_oid(&m->d, OID_CRL_NUMBER, sizeof OID_CRL_NUMBER);
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
	if ((rc = crl_file_path(c->home, name, m->r.number, cpath, sizeof cpath, e)) != PC_OK)
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
	crl_encode(&rb, &m->r);
	if (!pc_buf_ok(&rb)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = store_put(t, STORE_CRLS, name, strlen(name), rb.p, rb.len, false, e)) != PC_OK)
		goto out;
	pc_buf_free(&rb);   /* the store holds its own copy now */
	ca_iso_time(m->r.this_update, thisu);
	ca_iso_time(m->r.next_update, nextu);
	snprintf(detail, sizeof detail, "CRL number %" PRIu64 "; %" PRIu64 " entries; "
	    "thisUpdate %s; nextUpdate %s (%u days)", m->r.number, m->r.entries, thisu, nextu, days);
	if ((rc = audit_append(t, now, "crl", name, "ok", detail, e)) != PC_OK)
		goto out;
	rc = store_commit(t, e);
	t = NULL;
	if (rc == PC_OK && last.number > 0 &&
	    crl_file_path(c->home, name, last.number, cpath, sizeof cpath, NULL) == PC_OK)
		(void)unlink(cpath);     /* the previous CRL's file: superseded now */
out:
	store_abort(t);
	ca_rec_free(&ca);
	pc_buf_free(&sig);
	pc_buf_free(&rb);
	if (rc != PC_OK)
		pc_der_free(&m->d);
	return rc;
}

static pc_rc afile_out(void *ctx, const void *p, size_t n, pc_err *e)
{
	return pc_afile_write(ctx, p, n, e);
}

static pc_rc stdout_out(void *ctx, const void *p, size_t n, pc_err *e)
{
	(void)ctx;
	return fwrite(p, 1, n, stdout) == n ? PC_OK : pc_fail(e, PC_E_IO, "stdout: write failed");
}

/* Written in pieces: a CRL of a million entries is 51 MB of DER and 69 MB
 * of PEM, and the PEM is never held in memory whole. */
static pc_rc crl_output(const crl_made *m, const char *path, bool der, pc_err *e)
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

static void crl_report(ca_ctx *c, const char *name, const crl_made *m, const char *path,
    bool first)
{
	char th[32], nx[32];
	FILE *out = path ? stdout : stderr;   /* the CRL itself may be on stdout */

	ca_iso_time(m->r.this_update, th);
	ca_iso_time(m->r.next_update, nx);
	if (c->json && path) {
		printf("%s{\"ca\":", first ? "" : ",");
		json_str(stdout, name);
		printf(",\"number\":%" PRIu64 ",\"entries\":%" PRIu64 ",\"this_update\":\"%s\","
		    "\"next_update\":\"%s\",\"file\":", m->r.number, m->r.entries, th, nx);
		json_str(stdout, path);
		printf("}");
	} else if (!c->json) {
		fprintf(out, "CRL %" PRIu64 " of CA '%s': %" PRIu64 " revoked, next update %s%s%s\n",
		    m->r.number, name, m->r.entries, nx, path ? ", " : "", path ? path : "");
	}
}

struct names {
	char **v;
	size_t n, cap;
};

static pc_rc name_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct names *l = ctx;

	(void)val;
	(void)stop;
	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 8;
		char **nv = realloc(l->v, nc * sizeof *nv);
		if (nv == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n] = ca_strdup_reader(key);
	if (l->v[l->n] == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	l->n++;
	return PC_OK;
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
		memset(&m, 0, sizeof m);
		PC_TRY(ca_hsm_ready(c, e));
		PC_TRY(crl_make(c, o->ca, o->next_update_days,
		    o->clock_override ? o->override_reason : NULL, &m, e));
		rc = crl_output(&m, o->out_file, o->der, e);
		if (rc == PC_OK && m.overrode) {
			char was[32], now[32];
			ca_iso_time(m.overrode, was);
			ca_iso_time(m.r.this_update, now);
			fprintf(stderr, "plantca: CA '%s': clock override: CRL %" PRIu64 " has thisUpdate "
			    "%s, before the %s of CRL %" PRIu64 " (recorded in the audit trail)\n", o->ca,
			    m.r.number, now, was, m.r.number - 1);
		}
		if (rc == PC_OK) {
			crl_report(c, o->ca, &m, o->out_file, true);
			if (c->json && o->out_file)
				printf("\n");
		}
		pc_der_free(&m.d);
		return rc;
	}

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_scan(t, STORE_CAS, NULL, 0, false, name_visit, &l, e);
	store_abort(t);
	if (rc == PC_OK && snprintf(dir, sizeof dir, "%s/crl", c->home) >= (int)sizeof dir)
		rc = pc_fail(e, PC_E_USAGE, "%s: path too long", c->home);
	if (rc == PC_OK)
		rc = pc_mkdir(dir, 0755, e);
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
			crl_report(c, l.v[i], &m, path, i == 0);
		pc_der_free(&m.d);
	}
	if (rc == PC_OK && c->json)
		printf("]\n");
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	return rc;
}
