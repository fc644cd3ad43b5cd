/*
 * cmp.c - CMP requests from stations, judged again at the CA; see cmp.h.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmp.h"
#include "format.h"
#include "pem.h"
#include "text.h"

bool ca_cmp_member(const char *member)
{
	size_t n = strlen(member);

	return n > 4 && strcmp(member + n - 4, ".cmp") == 0;
}

pc_rc ca_cmp_info_find(store_txn *t, uint64_t id, ca_cmp_info *i, bool *found, pc_err *e)
{
	char key[48];
	pc_reader val;
	pc_rc rc;

	memset(i, 0, sizeof *i);
	*found = false;
	snprintf(key, sizeof key, "cmp.req.%020" PRIu64, id);
	rc = store_get(t, STORE_META, key, strlen(key), &val, e);
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	if (ca_cmp_info_decode(val, i, e) != PC_OK)
		return pc_wrap(e, "%s", key);
	*found = true;
	return PC_OK;
}

pc_rc ca_cmp_info_get(store_txn *t, uint64_t id, ca_cmp_info *i, pc_err *e)
{
	bool found;

	PC_TRY(ca_cmp_info_find(t, id, i, &found, e));
	if (!found)
		return pc_fail(e, PC_E_NOTFOUND, "request %" PRIu64 " is no CMP request", id);
	return PC_OK;
}

pc_rc ca_cmp_info_put(store_txn *t, uint64_t id, const ca_cmp_info *i, pc_err *e)
{
	char key[48], tkey[96];
	uint8_t idk[8];
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	snprintf(key, sizeof key, "cmp.req.%020" PRIu64, id);
	rc = ca_cmp_info_encode(i, &b, e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, key, strlen(key), b.p, b.len, false, e);
	pc_buf_free(&b);
	PC_TRY(rc);
	/* a transaction is imported once, ever (no_overwrite) */
	snprintf(tkey, sizeof tkey, "cmp.tx.%s", i->txid);
	ca_id_key(id, idk);
	rc = store_put(t, STORE_META, tkey, strlen(tkey), idk, sizeof idk, true, e);
	if (rc == PC_E_EXISTS)
		return pc_fail(e, PC_E_REPLAY, "CMP transaction %s was imported before", i->txid);
	return rc;
}

/* ------------------------------------------------------- manufacturers */

enum { REC_MFR = 'W' };
enum { MF_NAME = 1, MF_SEGMENTS, MF_PEM, MF_ADDED };

void ca_mfr_list_free(ca_mfr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ca_mfr_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static bool segment_listed(const char *list, const char *segment)
{
	const char *p = list;
	size_t n;

	if (list[0] == '\0' || segment == NULL)
		return true;
	n = strlen(segment);
	while (*p) {
		size_t l = strcspn(p, ",");
		if (l == n && strncmp(p, segment, n) == 0)
			return true;
		p += l;
		if (*p == ',')
			p++;
	}
	return false;
}

struct mfr_scan { ca_mfr_list *l; const char *segment; };

PC_CHECK static pc_rc mfr_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct mfr_scan *s = ctx;
	ca_mfr m;

	(void)stop;
	if (ca_mfr_decode(val, &m, e) != PC_OK)
		return pc_wrap(e, "%.*s", (int)pc_reader_left(&key), (const char *)key.p + key.off);
	if (!segment_listed(m.segments, s->segment)) {
		ca_mfr_free(&m);
		return PC_OK;
	}
	if (s->l->n == s->l->cap) {
		size_t nc = s->l->cap ? 2 * s->l->cap : 8;
		ca_mfr *nv = realloc(s->l->v, nc * sizeof *nv);
		if (nv == NULL) {
			ca_mfr_free(&m);
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		}
		s->l->v = nv;
		s->l->cap = nc;
	}
	s->l->v[s->l->n++] = m;
	return PC_OK;
}

pc_rc ca_mfrs_load(store_txn *t, const char *segment, ca_mfr_list *l, pc_err *e)
{
	struct mfr_scan s = { l, segment };

	return store_scan(t, STORE_META, "mfr.", 4, false, mfr_visit, &s, e);
}

/* The certificates and CRLs of one manufacturer's PEM. */
typedef struct anchors {
	uint8_t **der; size_t *len; size_t n, cap;
	uint8_t **crl; size_t *crl_len; size_t ncrl, capcrl;
	const char **owner;          /* manufacturer of each certificate */
	const char *cur;
} anchors;

PC_CHECK static pc_rc anchor_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	anchors *a = ctx;

	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 8;
		uint8_t **nd = realloc(a->der, nc * sizeof *nd);
		size_t *nl;
		const char **no;
		if (nd == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		a->der = nd;
		if ((nl = realloc(a->len, nc * sizeof *nl)) == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		a->len = nl;
		if ((no = realloc(a->owner, nc * sizeof *no)) == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		a->owner = no;
		a->cap = nc;
	}
	if ((a->der[a->n] = malloc(len)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memcpy(a->der[a->n], der, len);
	a->len[a->n] = len;
	a->owner[a->n++] = a->cur;
	return PC_OK;
}

PC_CHECK static pc_rc crl_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	anchors *a = ctx;

	if (a->ncrl == a->capcrl) {
		size_t nc = a->capcrl ? 2 * a->capcrl : 8;
		uint8_t **nd = realloc(a->crl, nc * sizeof *nd);
		size_t *nl;
		if (nd == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		a->crl = nd;
		if ((nl = realloc(a->crl_len, nc * sizeof *nl)) == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		a->crl_len = nl;
		a->capcrl = nc;
	}
	if ((a->crl[a->ncrl] = malloc(len)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memcpy(a->crl[a->ncrl], der, len);
	a->crl_len[a->ncrl++] = len;
	return PC_OK;
}

static void anchors_free(anchors *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->der[i]);
	for (i = 0; i < a->ncrl; i++)
		free(a->crl[i]);
	free(a->der);
	free(a->len);
	free(a->owner);
	free(a->crl);
	free(a->crl_len);
	memset(a, 0, sizeof *a);
}

/* ---------------------------------------------------------------- judge */

/* The IDevID's hardware serial: the HardwareModuleName's hwSerialNum (RFC
 * 4108 §5), else the subject's serialNumber. */
static void hw_serial(const pkix_cert *c, char *out, size_t cap)
{
	pc_reader san = c->san;
	pkix_gn_view g;
	const uint8_t *v;
	size_t n;

	out[0] = '\0';
	while (pkix_gn_next(&san, &g)) {
		if (pkix_gn_hw_serial(&g, &v, &n)) {
			pc_text_quote(out, cap, v, n);
			return;
		}
	}
	if (pkix_name_find(c->subject, c->subject_len, PKIX_OID_AT_SERIAL, &v, &n))
		pc_text_quote(out, cap, v, n);
}

/* The request's subject: the template's, with the IDevID's serialNumber
 * appended when the template has none (802.1AR: the LDevID names the same
 * device).  Appended to out as a Name TLV. */
static void subject_of(const pkix_crmf_template *t, const pkix_cert *idevid, pc_buf *out)
{
	static const uint8_t empty[] = { 0x30, 0x00 };
	const uint8_t *name = t->subject ? t->subject : empty, *v;
	size_t nlen = t->subject ? t->subject_len : sizeof empty, n, ol;
	pc_reader r = pc_reader_make(name, nlen), content;
	pc_der d;

	if (idevid == NULL || pkix_name_find(name, nlen, PKIX_OID_AT_SERIAL, &v, &n) ||
	    !pkix_name_find(idevid->subject, idevid->subject_len, PKIX_OID_AT_SERIAL, &v, &n) ||
	    !pc_der_read(&r, DER_SEQUENCE, &content)) {
		pc_buf_append(out, name, nlen);
		return;
	}
	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_raw(&d, content.p + content.off, pc_reader_left(&content));
	pc_der_begin(&d, DER_SET);
	pc_der_begin(&d, DER_SEQUENCE);
	{
		const uint8_t *oid = pkix_oid_bytes(PKIX_OID_AT_SERIAL, &ol);
		pc_der_oid(&d, oid, ol);
	}
	pc_der_tlv(&d, DER_PRINTABLESTRING, v, n);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	if (pc_der_ok(&d))
		pc_buf_append(out, d.b.p, d.b.len);
	else
		out->failed = true;
	pc_der_free(&d);
}

/* A PKCS#10-like view of the message's certificate request. */
PC_CHECK static pc_rc build_csr(const pkix_cmp_msg *m, const pkix_cert *idevid, const char *what,
    pkix_csr *csr, pc_err *e)
{
	pc_buf b = PC_BUF_INIT;
	pkix_pubkey k;
	size_t i;

	memset(csr, 0, sizeof *csr);
	if (m->body == PKIX_CMP_P10CR)
		return pkix_csr_parse(m->p10, m->p10_len, what, csr, e);
	if (m->body != PKIX_CMP_IR && m->body != PKIX_CMP_CR && m->body != PKIX_CMP_KUR)
		return pc_fail(e, PC_E_INTERNAL, "%s: not a certificate request", what);
	if (pkix_crmf_verify_pop(&m->req, what, e) != PC_OK)
		return e->rc == PC_E_SIGNATURE ? (e->rc = PC_E_CSR) : e->rc;
	PC_TRY(pkix_pubkey_parse(m->req.tmpl.spki, m->req.tmpl.spki_len, what, PC_E_CSR, &k, e));
	subject_of(&m->req.tmpl, idevid, &b);
	csr->subject_len = b.len;
	pc_buf_append(&b, m->req.tmpl.spki, m->req.tmpl.spki_len);
	if (!pc_buf_ok(&b)) {
		pc_buf_free(&b);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	csr->der_len = b.len;
	csr->der = pc_buf_steal(&b, &csr->der_len);
	csr->subject = csr->der;
	csr->spki = csr->der + csr->subject_len;
	csr->spki_len = m->req.tmpl.spki_len;
	csr->keytype = k.type;
	csr->bits = k.bits;
	csr->sigalg = m->req.pop_alg;
	for (i = 0; i < m->req.tmpl.nsan; i++)
		csr->san[i] = m->req.tmpl.san[i];
	csr->nsan = m->req.tmpl.nsan;
	if (pkix_name_check(csr->subject, csr->subject_len, what, PC_E_CSR, e) != PC_OK) {
		pkix_csr_free(csr);
		return e->rc;
	}
	return PC_OK;
}

pc_rc ca_cmp_csr(const uint8_t *der, size_t len, const char *what, pkix_csr *csr, pc_err *e)
{
	pkix_cmp_msg m;
	pkix_cmp_fail f;
	pkix_cert signer;

	PC_TRY(pkix_cmp_parse(der, len, what, &m, &f, e));
	PC_TRY(pkix_cmp_verify(&m, what, &signer, &f, e));
	return build_csr(&m, m.body == PKIX_CMP_IR ? &signer : NULL, what, csr, e);
}

/* The IDevID chains to an accepted manufacturer of the segment. */
PC_CHECK static pc_rc idevid_check(store_txn *t, const char *segment, const pkix_cmp_msg *m,
    const pkix_cert *signer, const char *what, char *mfr, size_t mfrcap, pc_err *e)
{
	ca_mfr_list ml;
	anchors a;
	pkix_cert *anc = NULL, *pool = NULL;
	pkix_crl *crls = NULL;
	pkix_chain_opts o;
	pkix_chain ch;
	size_t i, na = 0, np = 0, nc = 0;
	pc_rc rc;

	memset(&ml, 0, sizeof ml);
	memset(&a, 0, sizeof a);
	if ((rc = ca_mfrs_load(t, segment, &ml, e)) != PC_OK)
		goto out;
	for (i = 0; i < ml.n && rc == PC_OK; i++) {
		a.cur = ml.v[i].name;
		rc = pc_pem_decode_all(ml.v[i].pem, ml.v[i].pem_len, "CERTIFICATE", anchor_cb, &a, e);
		if (rc == PC_OK && memmem(ml.v[i].pem, ml.v[i].pem_len, "BEGIN X509 CRL", 14) != NULL)
			rc = pc_pem_decode_all(ml.v[i].pem, ml.v[i].pem_len, "X509 CRL", crl_cb, &a, e);
	}
	if (rc != PC_OK)
		goto out;
	if (a.n == 0) {
		rc = pc_fail(e, PC_E_POLICY, "%s: IDevID: no manufacturer is accepted for segment %s",
		    what, segment);
		goto out;
	}
	anc = calloc(a.n, sizeof *anc);
	pool = calloc(m->nextra + 1, sizeof *pool);
	crls = calloc(a.ncrl + 1, sizeof *crls);
	if (anc == NULL || pool == NULL || crls == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < a.n; i++)
		if (pkix_cert_parse(a.der[i], a.len[i], a.owner[i], &anc[na], e) == PC_OK)
			na++;
	for (i = 1; i < m->nextra; i++)
		if (pkix_cert_parse(m->extra[i], m->extra_len[i], "extraCerts", &pool[np], e) == PC_OK)
			np++;
	for (i = 0; i < a.ncrl; i++)
		if (pkix_crl_parse(a.crl[i], a.crl_len[i], "manufacturer CRL", &crls[nc], e) == PC_OK)
			nc++;
	memset(&o, 0, sizeof o);
	o.anchors = anc;
	o.nanchors = na;
	o.pool = pool;
	o.npool = np;
	o.crls = crls;
	o.ncrls = nc;
	o.now = time(NULL);
	o.role = "IDevID";
	if ((rc = pkix_chain_verify(signer, &o, &ch, e)) != PC_OK) {
		pc_wrap(e, "%s: IDevID does not chain to a manufacturer accepted for segment %s",
		    what, segment);
		goto out;
	}
	if (!(signer->flags & PKIX_CERT_F_AKI)) {
		rc = pc_fail(e, PC_E_SIGNATURE, "%s: IDevID has no authorityKeyIdentifier", what);
		goto out;
	}
	for (i = 0; i < na; i++)
		if (&anc[i] == ch.path[ch.n - 1])
			snprintf(mfr, mfrcap, "%s", a.owner[i]);
out:
	free(crls);
	free(anc);
	free(pool);
	anchors_free(&a);
	ca_mfr_list_free(&ml);
	return rc;
}

/* An LDevID: a certificate of this CA, valid now. */
PC_CHECK static pc_rc ldevid_check(store_txn *t, const pkix_cert *signer, const char *what,
    uint8_t serial[PKIX_SERIAL_LEN], char **profile, pc_err *e)
{
	ca_cert_rec cr;
	pc_reader v;
	const char *st;
	pc_rc rc;

	if (signer->serial_len != PKIX_SERIAL_LEN)
		return pc_fail(e, PC_E_SIGNATURE, "%s: the signer is not a certificate of this CA", what);
	memcpy(serial, signer->serial, PKIX_SERIAL_LEN);
	rc = store_get(t, STORE_CERTS, serial, PKIX_SERIAL_LEN, &v, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_SIGNATURE, "%s: the signer is not a certificate of this CA", what);
	PC_TRY(rc);
	PC_TRY(ca_cert_rec_decode(v, &cr, e));
	if (cr.der_len != signer->len || memcmp(cr.der, signer->der, cr.der_len) != 0)
		rc = pc_fail(e, PC_E_SIGNATURE, "%s: the signer is not the certificate this CA issued "
		    "under its serial", what);
	else if (strcmp((st = ca_cert_status(t, &cr, time(NULL))), "valid") != 0)
		rc = pc_fail(e, strcmp(st, "revoked") == 0 ? PC_E_REVOKED : PC_E_EXPIRED,
		    "%s: the signing certificate is %s", what, st);
	else if (profile != NULL && (*profile = strdup(cr.profile)) == NULL)
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	ca_cert_rec_free(&cr);
	return rc;
}

pc_rc ca_cmp_judge(store_txn *t, const char *segment, const uint8_t *der, size_t len,
    const char *what, ca_cmp_info *info, pkix_csr *csr, char **profile_out, pc_err *e)
{
	pkix_cmp_msg m;
	pkix_cmp_fail f;
	pkix_cert signer;
	pc_buf nb = PC_BUF_INIT;
	uint8_t fp[32];
	char key[160];
	pc_reader v;
	pc_err ign;
	bool idevid = false;

	memset(info, 0, sizeof *info);
	memset(csr, 0, sizeof *csr);
	info->rev_reason = -1;
	PC_TRY(pkix_cmp_parse(der, len, what, &m, &f, e));
	PC_TRY(pkix_cmp_verify(&m, what, &signer, &f, e));
	info->body = m.body;
	if (m.txid_len > 32)
		return pc_fail(e, PC_E_INPUT, "%s: transactionID longer than 32 bytes", what);
	pc_hex_str(info->txid, sizeof info->txid, m.txid, m.txid_len, 0);
	snprintf(key, sizeof key, "cmp.tx.%s", info->txid);
	if (store_get(t, STORE_META, key, strlen(key), &v, &ign) == PC_OK)
		return pc_fail(e, PC_E_REPLAY, "%s: CMP transaction %s was imported before (replayed)",
		    what, info->txid);
	if (pkix_name_to_text(signer.issuer, signer.issuer_len, &nb) == PC_OK)
		pc_text_quote(info->signer_issuer, sizeof info->signer_issuer, nb.p, nb.len);
	pc_buf_free(&nb);
	snprintf(info->signer_serial, sizeof info->signer_serial, "%s", signer.serial_hex);
	pc_fingerprint(signer.der, signer.len, info->signer_fp);
	(void)fp;
	hw_serial(&signer, info->hw_serial, sizeof info->hw_serial);
	switch (m.body) {
	case PKIX_CMP_IR:
		PC_TRY(idevid_check(t, segment, &m, &signer, what, info->manufacturer,
		    sizeof info->manufacturer, e));
		idevid = true;
		break;
	case PKIX_CMP_P10CR:
		if (ldevid_check(t, &signer, what, info->old_serial, NULL, &ign) != PC_OK) {
			PC_TRY(idevid_check(t, segment, &m, &signer, what, info->manufacturer,
			    sizeof info->manufacturer, e));
			idevid = true;
		}
		break;
	case PKIX_CMP_CR:
		PC_TRY(ldevid_check(t, &signer, what, info->old_serial, NULL, e));
		break;
	case PKIX_CMP_KUR:
		PC_TRY(ldevid_check(t, &signer, what, info->old_serial, profile_out, e));
		info->has_old = true;
		break;
	case PKIX_CMP_RR:
		PC_TRY(ldevid_check(t, &signer, what, info->old_serial, NULL, e));
		if (m.rev.serial_len != signer.serial_len ||
		    memcmp(m.rev.serial, signer.serial, signer.serial_len) != 0 ||
		    m.rev.issuer_len != signer.issuer_len ||
		    memcmp(m.rev.issuer, signer.issuer, signer.issuer_len) != 0)
			return pc_fail(e, PC_E_SIGNATURE, "%s: rr is not signed by the certificate it "
			    "revokes (RFC 9483 §4.2)", what);
		info->has_old = true;
		info->rev_reason = m.rev_reason;
		return PC_OK;
	default:
		return pc_fail(e, PC_E_INPUT, "%s: a %s message does not belong in a request bundle",
		    what, pkix_cmp_body_name(m.body, key, sizeof key));
	}
	return build_csr(&m, idevid ? &signer : NULL, what, csr, e);
}
