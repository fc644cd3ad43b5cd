/*
 * cmp_conf.c - a device's refusal of the certificate it was given (a
 * certConf whose statusInfo is a rejection, RFC 4210 §5.3.18, RFC 9483
 * §4.1.1), reported by its station in the next request bundle as member
 * cmp-TXID.certconf (docs/cmp.md "When the device refuses").
 *
 * As for every CMP message, the CA does not take the station's word: the
 * device's own signed certConf is read and its protection checked again,
 * its signer must be the certificate that opened the transaction
 * (recorded at the import of the request: "cmp.tx." TXID, "cmp.req." ID),
 * the transaction must have been issued a certificate, and certHash must
 * be that certificate's.  Then the refusal is recorded ("cmp.conf." TXID:
 * once, ever; an audit event cmp.certconf; a report of it again is
 * refused, and audited) and the certificate revoked
 * with reason cessationOfOperation, so that a certificate its device
 * refused is not left valid and unknown.  A report that fails a check is
 * recorded as refused in the audit trail with the reason and changes
 * nothing else; it does not refuse the bundle's other members.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "cmp.h"
#include "crl.h"
#include "pem.h"
#include "text.h"

enum { CRL_REASON_CESSATION_OF_OPERATION = 5 };   /* RFC 5280 §5.3.1 */

static const char conf_suffix[] = ".certconf";

/* "cmp-TXID.certconf": TXID (lowercase hex) into txid. */
static bool conf_member(const char *name, char txid[65])
{
	size_t n = strlen(name), s = sizeof conf_suffix - 1, k;

	if (n <= 4 + s || n - 4 - s > 64 || strncmp(name, "cmp-", 4) != 0 ||
	    strcmp(name + n - s, conf_suffix) != 0)
		return false;
	memcpy(txid, name + 4, n - 4 - s);
	txid[n - 4 - s] = '\0';
	for (k = 0; txid[k] != '\0'; k++)
		if (!((txid[k] >= '0' && txid[k] <= '9') || (txid[k] >= 'a' && txid[k] <= 'f')))
			return false;
	return k % 2 == 0;
}

static bool store_trouble(pc_rc rc)
{
	return rc == PC_E_STORE_CORRUPT || rc == PC_E_NOMEM || rc == PC_E_INTERNAL || rc == PC_E_IO ||
	    rc == PC_E_STORE || rc == PC_E_AUDIT;
}

/* The checks above; *id and serial: the request and the certificate refused.
 * A refusal is PC_E_INPUT (or _SIGNATURE, _NOTFOUND, _STATE) with the reason. */
PC_CHECK static pc_rc judge(store_txn *t, const char *segment, const tr_member *m,
    const char *txid, const char *what, uint64_t *id, uint8_t serial[PKIX_SERIAL_LEN],
    char sx[2 * (PKIX_SERIAL_LEN + 1) + 1], char *text, size_t text_cap, pc_err *e)
{
	pkix_cmp_msg msg;
	pkix_cmp_fail f;
	pkix_cert signer, issued;
	ca_cmp_info info;
	ca_request r;
	ca_cert_rec cr;
	pc_reader cv;
	char key[96], hex[65], fp[PC_FINGERPRINT_MAX];
	uint8_t h[64];
	bool found;
	pc_rc rc;

	PC_TRY(pkix_cmp_parse(m->data, m->len, what, &msg, &f, e));
	if (msg.body != PKIX_CMP_CERTCONF || !msg.conf_rejected)
		return pc_fail(e, PC_E_INPUT, "%s: not a certConf that rejects a certificate", what);
	pc_hex_str(hex, sizeof hex, msg.txid, msg.txid_len, 0);
	if (msg.txid_len > 32 || strcmp(hex, txid) != 0)
		return pc_fail(e, PC_E_INPUT, "%s: its transactionID is not the member's", what);
	PC_TRY(pkix_cmp_verify(&msg, what, &signer, &f, e));
	snprintf(key, sizeof key, "cmp.tx.%s", txid);
	PC_TRY(ca_meta_get_u64(t, key, id, &found, e));
	if (!found)
		return pc_fail(e, PC_E_NOTFOUND, "%s: transaction %s was never imported here", what, txid);
	PC_TRY(ca_cmp_info_get(t, *id, &info, e));
	pc_fingerprint(signer.der, signer.len, fp);
	if (strcmp(fp, info.signer_fp) != 0)
		return pc_fail(e, PC_E_SIGNATURE, "%s: not signed by the certificate that opened "
		    "transaction %s (request %" PRIu64 ")", what, txid, *id);
	PC_TRY(ca_request_get(t, *id, &r, e));
	rc = strcmp(r.segment, segment) != 0 ? pc_fail(e, PC_E_INPUT, "%s: request %" PRIu64
	    " came from segment %s", what, *id, r.segment) :
	    strcmp(r.status, "issued") != 0 || !r.has_serial ? pc_fail(e, PC_E_STATE, "%s: request %"
	    PRIu64 " is %s, not issued", what, *id, r.status) : PC_OK;
	if (rc == PC_OK)
		memcpy(serial, r.serial, PKIX_SERIAL_LEN);
	ca_request_free(&r);
	PC_TRY(rc);
	PC_TRY(store_get(t, STORE_CERTS, serial, PKIX_SERIAL_LEN, &cv, e));
	PC_TRY(ca_cert_rec_decode(cv, &cr, e));
	/* certHash: the hash of the certificate's own signature algorithm
	 * (RFC 4210 §5.3.18; the hashAlg of cmp2021 is not read here) */
	rc = pkix_cert_parse(cr.der, cr.der_len, "the issued certificate", &issued, e);
	if (rc == PC_OK && issued.sigalg == NULL)
		rc = pc_fail(e, PC_E_INTERNAL, "%s: the issued certificate's algorithm is unknown", what);
	if (rc == PC_OK && issued.sigalg->hash == PKIX_HASH_NONE)
		rc = pkix_hash_once(PKIX_SHA512, cr.der, cr.der_len, h, e);  /* EdDSA: SHA-512 */
	else if (rc == PC_OK)
		rc = pkix_hash_once(issued.sigalg->hash, cr.der, cr.der_len, h, e);
	if (rc == PC_OK && (msg.cert_hash_len > sizeof h ||
	    msg.cert_hash_len != pkix_hash_len(issued.sigalg->hash == PKIX_HASH_NONE ?
	    PKIX_SHA512 : issued.sigalg->hash) || memcmp(msg.cert_hash, h, msg.cert_hash_len) != 0))
		rc = pc_fail(e, PC_E_INPUT, "%s: certHash is not the hash of the certificate issued "
		    "to request %" PRIu64, what, *id);
	if (rc == PC_OK)
		memcpy(sx, issued.serial_hex, sizeof issued.serial_hex);
	ca_cert_rec_free(&cr);
	snprintf(text, text_cap, "%s", msg.text);
	return rc;
}

pc_rc ca_cmp_conf_import(store_txn *t, const tr_bundle *b, const char *segment, time_t now,
    size_t *revoked, size_t *recorded, size_t *refused, pc_err *e)
{
	size_t i;

	*revoked = *recorded = *refused = 0;
	for (i = 0; i < b->nmembers; i++) {
		const tr_member *m = &b->members[i];
		char txid[65], what[TR_NAME_MAX * 2 + 8], detail[900], obj[40], text[PKIX_CMP_TEXT_MAX];
		char sx[2 * (PKIX_SERIAL_LEN + 1) + 1];
		uint8_t serial[PKIX_SERIAL_LEN], idk[8];
		uint64_t id = 0;
		pc_err why = { PC_OK, "" };
		pc_buf sc = PC_BUF_INIT;
		pc_rc rc;

		if (!conf_member(m->name, txid))
			continue;
		snprintf(what, sizeof what, "%s/%s", b->name, m->name);
		text[0] = '\0';
		rc = judge(t, segment, m, txid, what, &id, serial, sx, text, sizeof text, &why);
		if (rc != PC_OK) {
			if (store_trouble(rc)) {
				*e = why;
				return rc;
			}
			(*refused)++;
			PC_TRY(audit_append(t, now, "cmp.certconf", m->name, "refused", why.msg, e));
			continue;
		}
		/* recorded once: a station that reports it again changes nothing */
		snprintf(obj, sizeof obj, "request %" PRIu64, id);
		{
			char key[96];
			snprintf(key, sizeof key, "cmp.conf.%s", txid);
			ca_id_key(id, idk);
			rc = store_put(t, STORE_META, key, strlen(key), idk, sizeof idk, true, e);
		}
		if (rc == PC_E_EXISTS) {
			/* refused, and audited as such: the report is not lost
			 * from sight, and the count says it did nothing */
			(*refused)++;
			snprintf(detail, sizeof detail, "%s: the refusal of transaction %s (request %"
			    PRIu64 ") was recorded before; nothing changed", what, txid, id);
			PC_TRY(audit_append(t, now, "cmp.certconf", m->name, "refused", detail, e));
			continue;
		}
		PC_TRY(rc);
		rc = ca_revoke_serial(t, serial, CRL_REASON_CESSATION_OF_OPERATION, now, &sc, &why);
		pc_buf_free(&sc);
		if (rc != PC_OK && store_trouble(rc)) {
			*e = why;
			return rc;
		}
		snprintf(detail, sizeof detail, "certificate %s, transaction %s: the device refused it "
		    "in its certConf ('%.300s'); %s", sx, txid, text, rc == PC_OK ?
		    "revoked, reason cessationOfOperation" : why.msg);
		if (rc == PC_OK)
			(*revoked)++;
		else
			(*recorded)++;
		PC_TRY(audit_append(t, now, "cmp.certconf", obj, rc == PC_OK ? "revoked" : "recorded",
		    detail, e));
	}
	return PC_OK;
}
