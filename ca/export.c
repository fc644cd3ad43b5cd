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
#include "checkpoint.h"
#include "cmp.h"
#include "text.h"
#include "der.h"
#include "format.h"
#include "home.h"
#include "json.h"
#include "minisign_key.h"
#include "pem.h"
#include "records.h"
#include "transfer.h"

enum { RESPONSE_DAYS = 30 };   /* a response bundle expires after this */

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
PC_CHECK static pc_rc export_cmp(store_txn *t, const char *segment, const ca_request_list *all,
    member_set *ms, size_t *nans, pc_err *e)
{
	ca_mfr_list ml;
	pc_buf b = PC_BUF_INIT;
	size_t i;
	pc_rc rc;

	*nans = 0;
	memset(&ml, 0, sizeof ml);
	rc = ca_mfrs_load(t, segment, &ml, e);
	for (i = 0; rc == PC_OK && i < ml.n; i++)
		pc_buf_append(&b, ml.v[i].pem, ml.v[i].pem_len);
	ca_mfr_list_free(&ml);
	if (rc == PC_OK)
		rc = member_add(ms, "manufacturers.pem", &b, e);
	for (i = 0; rc == PC_OK && i < all->n; i++) {
		const ca_request *r = &all->v[i];
		ca_cmp_info info;
		char mname[TR_NAME_MAX + 1], hex[2 * PKIX_SERIAL_LEN + 1];
		bool issued = strcmp(r->status, "issued") == 0;
		if (r->exported || !ca_cmp_member(r->member) ||
		    (!issued && strcmp(r->status, "rejected") != 0 && strcmp(r->status, "revoked") != 0))
			continue;
		if (ca_cmp_info_get(t, r->id, &info, e) != PC_OK)
			continue;                 /* never judged as far as its transaction */
		b.len = 0;
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
		rc = member_add(ms, mname, &b, e);
		(*nans)++;
	}
	pc_buf_free(&b);
	return rc;
}

pc_rc ca_export(ca_ctx *c, const char *segment, const char *dir, pc_err *e)
{
	ca_station_list_t sl;
	ca_request_list rl, all;
	member_set ms;
	size_t nans = 0;
	store_txn *t = NULL;
	ca_rec root, ica;
	tr_meta meta;
	tr_pubkey tpub;
	hsm_key *tk = NULL;
	pc_buf tar = PC_BUF_INIT, sig = PC_BUF_INIT, b = PC_BUF_INIT;
	char *turi = NULL, *ca_name = NULL, name[TR_NAME_MAX + 1], key[128], comment[TR_COMMENT_MAX];
	char **replies = NULL;
	size_t i, j, nreply = 0, ncerts = 0;
	uint64_t seq = 0;
	time_t crl_next[2] = { 0, 0 };
	size_t nfw = 0;
	struct stat st;
	pc_rc rc;

	memset(&sl, 0, sizeof sl);
	memset(&rl, 0, sizeof rl);
	memset(&all, 0, sizeof all);
	memset(&ms, 0, sizeof ms);
	memset(&root, 0, sizeof root);
	memset(&ica, 0, sizeof ica);
	memset(&meta, 0, sizeof meta);
	if (!segment || !dir)
		return pc_fail(e, PC_E_USAGE, "usage: plantca export SEGMENT DIR");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return pc_fail(e, PC_E_USAGE, "%s: not a directory", dir);

	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = ca_stations_load(t, &sl, e);
	for (i = 0; rc == PC_OK && i < sl.n; i++)
		if (strcmp(sl.v[i].segment, segment) == 0) {
			ca_name = sl.v[i].ca;
			break;
		}
	if (rc == PC_OK && ca_name == NULL)
		rc = pc_fail(e, PC_E_NOTFOUND, "segment '%s' has no enrolled station", segment);
	if (rc == PC_OK)
		rc = ca_rec_get(t, "root", &root, e);
	if (rc == PC_OK)
		rc = ca_rec_get(t, ca_name, &ica, e);
	if (rc == PC_OK) {
		rl.status = "issued";
		rl.segment = segment;
		rc = ca_requests_load(t, &rl, e);
	}
	snprintf(key, sizeof key, "%s%s", META_EXPORT_SEQ, segment);
	if (rc == PC_OK) {
		bool found;
		rc = ca_meta_get_u64(t, key, &seq, &found, e);
	}
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, "transfer.key_uri", &turi, e);
	if (rc == PC_OK)
		rc = ca_meta_get_fixed(t, META_TRANSFER_KEYID, tpub.keyid, CA_KEYID_LEN, e);
	/* firmware signatures queued for this segment */
	if (rc == PC_OK) {
		struct fw_collect fc = { &ms, 0 };
		rc = ca_firmware_pending(c, t, segment, fw_collect, &fc, e);
		nfw = fc.n;
	}
	/* the certificates not yet delivered */
	for (i = 0; rc == PC_OK && i < rl.n; i++) {
		pc_reader val;
		ca_cert_rec cr;
		char hex[2 * PKIX_SERIAL_LEN + 1], mname[64];
		if (rl.v[i].exported || !rl.v[i].has_serial)
			continue;
		rc = store_get(t, STORE_CERTS, rl.v[i].serial, PKIX_SERIAL_LEN, &val, e);
		if (rc == PC_OK)
			rc = ca_cert_rec_decode(val, &cr, e);
		if (rc != PC_OK)
			break;
		ca_serial_hex(rl.v[i].serial, PKIX_SERIAL_LEN, hex);
		snprintf(mname, sizeof mname, "%s.crt", hex);
		b.len = 0;
		pc_pem_encode(&b, "CERTIFICATE", cr.der, cr.der_len);
		ca_cert_rec_free(&cr);
		rc = member_add(&ms, mname, &b, e);
		ncerts++;
		/* in-reply-to: each ca_request bundle once */
		for (j = 0; j < nreply; j++)
			if (strcmp(replies[j], rl.v[i].bundle) == 0)
				break;
		if (rc == PC_OK && j == nreply) {
			char **nr = realloc(replies, (nreply + 2) * sizeof *nr);
			if (nr == NULL) {
				rc = pc_fail(e, PC_E_NOMEM, "out of memory");
				break;
			}
			replies = nr;
			replies[nreply++] = rl.v[i].bundle;
			replies[nreply] = NULL;
		}
	}
	if (rc == PC_OK) {
		all.segment = segment;
		rc = ca_requests_load(t, &all, e);
	}
	if (rc == PC_OK)
		rc = export_cmp(t, segment, &all, &ms, &nans, e);
	store_abort(t);
	t = NULL;
	if (rc != PC_OK)
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
			if ((rc = member_add(&ms, mname, &b, e)) != PC_OK)
				goto out;
			crl_next[i] = nu;
		}
	}

	/* chain.pem: issuing CA then root; trust.pem: root then issuing CA */
	b.len = 0;
	pc_pem_encode(&b, "CERTIFICATE", ica.cert, ica.cert_len);
	pc_pem_encode(&b, "CERTIFICATE", root.cert, root.cert_len);
	if ((rc = member_add(&ms, "chain.pem", &b, e)) != PC_OK)
		goto out;
	pc_pem_encode(&b, "CERTIFICATE", root.cert, root.cert_len);
	pc_pem_encode(&b, "CERTIFICATE", ica.cert, ica.cert_len);
	if ((rc = member_add(&ms, "trust.pem", &b, e)) != PC_OK)
		goto out;
	{
		const uint8_t *certs[2] = { root.cert, ica.cert };
		size_t lens[2] = { root.cert_len, ica.cert_len };
		if (pkix_p7b_build(certs, lens, 2, &b, e) != PC_OK || (rc = member_add(&ms, "trust.p7b", &b, e)) != PC_OK) {
			rc = rc ? rc : pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < ms.n; i++) {
		ms.v[i].data = ms.bufs[i].p;
		ms.v[i].len = ms.bufs[i].len;
	}

	/* the HSM: transfer key */
	if ((rc = ca_hsm_ready(c, e)) != PC_OK || (rc = ca_key_for(c, "#transfer", turi, &tk, e)) != PC_OK)
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
		if ((rc = ca_checkpoint(c, true, &made, &cp, &found, e)) != PC_OK)
			goto out;
		if (found) {
			b.len = 0;
			tr_checkpoint_format(&cp, &b);
			if ((rc = member_add(&ms, TR_CHECKPOINT_MEMBER, &b, e)) != PC_OK)
				goto out;
		}
		for (i = 0; i < ms.n; i++) {
			ms.v[i].data = ms.bufs[i].p;
			ms.v[i].len = ms.bufs[i].len;
		}
	}
	meta.version = TR_FORMAT_VERSION;
	meta.kind = TR_RESPONSE;
	snprintf(meta.segment, sizeof meta.segment, "%s", segment);
	tr_keyid_text(tpub.keyid, meta.sender);
	meta.sequence = seq + 1;
	meta.created = time(NULL);
	meta.expires = meta.created + (time_t)RESPONSE_DAYS * PC_DAY;
	meta.in_reply_to = replies;
	meta.nreply = nreply;
	tr_bundle_name(TR_RESPONSE, segment, meta.sequence, name, sizeof name);
	/* an export that died after writing its files but before recording
	 * them left NAME.tar (and .minisig) under this sequence: they may have
	 * left the machine, so they stay, and this export takes the next
	 * sequence that is free in DIR */
	for (i = 0; i < 1000; i++) {
		char tp[PATH_MAX + TR_NAME_MAX + 16];
		struct stat ts;
		snprintf(tp, sizeof tp, "%s/%s.tar", dir, name);
		if (lstat(tp, &ts) != 0) {
			snprintf(tp, sizeof tp, "%s/%s.tar.minisig", dir, name);
			if (lstat(tp, &ts) != 0)
				break;
		}
		fprintf(stderr, "plantca: export %s: %s/%s.tar is from an export that was interrupted "
		    "before it was recorded; it stays, this one is sequence %" PRIu64 "\n", segment, dir,
		    name, meta.sequence + 1);
		meta.sequence++;
		tr_bundle_name(TR_RESPONSE, segment, meta.sequence, name, sizeof name);
	}
	if ((rc = tr_bundle_build(&meta, ms.v, ms.n, &tar, e)) != PC_OK)
		goto out;
	tr_trusted_comment(&meta, name, comment, sizeof comment);
	if ((rc = tr_minisig_make(tar.p, tar.len, &tpub, comment, ca_token_ed25519_sign, tk, &sig, e)) != PC_OK)
		goto out;
	if ((rc = tr_bundle_write(dir, name, &tar, &sig, e)) != PC_OK)
		goto out;

	/* recorded after the files exist: a crash in between re-exports the
	 * same certificates under the next sequence number, never loses them */
	if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
		goto out;
	for (i = 0; rc == PC_OK && i < all.n; i++) {
		ca_request r;
		/* answered CMP requests, whatever the answer, are delivered once */
		if (all.v[i].exported || !ca_cmp_member(all.v[i].member) ||
		    (strcmp(all.v[i].status, "rejected") != 0 && strcmp(all.v[i].status, "revoked") != 0))
			continue;
		rc = ca_request_get(t, all.v[i].id, &r, e);
		if (rc == PC_OK) {
			r.exported = meta.sequence;
			rc = ca_request_put(t, &r, false, e);
			ca_request_free(&r);
		}
	}
	for (i = 0; rc == PC_OK && i < rl.n; i++) {
		ca_request r;
		if (rl.v[i].exported || !rl.v[i].has_serial)
			continue;
		rc = ca_request_get(t, rl.v[i].id, &r, e);
		if (rc == PC_OK) {
			r.exported = meta.sequence;
			rc = ca_request_put(t, &r, false, e);
			ca_request_free(&r);
		}
	}
	if (rc == PC_OK && nfw > 0)
		rc = ca_firmware_pending_clear(c, t, segment, e);
	if (rc == PC_OK) {
		uint8_t k8[8];
		ca_id_key(meta.sequence, k8);
		rc = store_put(t, STORE_META, key, strlen(key), k8, 8, false, e);
	}
	if (rc == PC_OK) {
		char ek[128];
		b.len = 0;
		/* the CRLs as delivered: what the plant will run on until next time */
		const uint64_t crl_as_delivered[2] = { (uint64_t)crl_next[0], (uint64_t)crl_next[1] };
		snprintf(ek, sizeof ek, "%s%s", META_EXPORT, segment);
		rc = ca_export_rec_encode(&b, (uint64_t)meta.created, meta.sequence, name,
		    crl_as_delivered, e);
		if (rc == PC_OK)
			rc = store_put(t, STORE_META, ek, strlen(ek), b.p, b.len, false, e);
	}
	if (rc == PC_OK) {
		char detail[300];
		snprintf(detail, sizeof detail, "segment %s, sequence %" PRIu64 ", %zu certificate(s), "
		    "%zu firmware signature(s), to %s", segment, meta.sequence, ncerts, nfw, dir);
		rc = audit_append(t, time(NULL), "export", name, "ok", detail, e);
	}
	if ((rc = store_end(&t, rc, e)) != PC_OK) {
		pc_wrap(e, "%s/%s.tar was written but not recorded; the next export repeats it", dir, name);
		goto out;
	}
	if (c->json) {
		printf("{\"bundle\":\"%s/%s.tar\",\"segment\":", dir, name);
		json_str(stdout, segment);
		printf(",\"sequence\":%" PRIu64 ",\"certificates\":%zu}\n", meta.sequence, ncerts);
	} else {
		printf("%s/%s.tar (+ .minisig): segment %s, sequence %" PRIu64 ", %zu certificate(s), "
		    "%zu firmware signature(s), %zu CMP answer(s), chain, trust.pem, trust.p7b\n", dir,
		    name, segment, meta.sequence, ncerts, nfw, nans);
	}
out:
	store_abort(t);
	free(replies);
	free(turi);
	ca_rec_free(&root);
	ca_rec_free(&ica);
	member_set_free(&ms);
	pc_buf_free(&tar);
	pc_buf_free(&sig);
	pc_buf_free(&b);
	ca_request_list_free(&rl);
	ca_request_list_free(&all);
	ca_station_list_free(&sl);
	return rc;
}
