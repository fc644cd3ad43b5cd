/*
 * accept.c - verb accept: a response bundle signed by the CA transfer key,
 * checked in full, then installed into PKI_DIR (layout.c) and recorded in
 * station.conf.
 *
 * Trust: a response bundle is untrusted until tr_bundle_read() verified its
 * signature over the bytes it then parses.  Even signed, certificates and
 * CRLs are parsed with bounds and cross-checked before the first byte is
 * written: each certificate's serial against its member name; every CA
 * certificate (chain.pem, trust.pem, trust.p7b), device certificate and CRL
 * signature-verified up to the station's own root (verify.c); trust.p7b
 * parsed strictly (pkix/cms.h pkix_p7b_parse) and holding exactly trust.pem's
 * certificates; the certificates of firmware-*.p7s checked by the firmware
 * verifier against the same root.  Nothing is written that was not parsed
 * and checked, and a device certificate file is replaced only by a
 * certificate of the same identity (st_layout_check_replacements).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "fault.h"
#include "file.h"
#include "fwverify.h"
#include "json.h"
#include "pem.h"
#include "station.h"
#include "text.h"

typedef struct accept_state {
	st_pki pki;
	const tr_member *chain_m, *trust_m, *p7_m;
	const tr_member **fw;          /* firmware-*.p7s members, nfw of them */
	char (*fw_names)[TR_NAME_MAX + 1];
	size_t nfw;
	const tr_member *mfg_m;        /* manufacturers.pem: the IDevID anchors for serve */
	st_certs mfg;
	st_answer *answers;            /* cmp-TXID.answer members */
	size_t nanswers;
	tr_checkpoint checkpoint;      /* audit-checkpoint.txt, checked */
	bool has_checkpoint;
} accept_state;

static void accept_free(accept_state *a)
{
	st_pki_free(&a->pki);
	free(a->fw);
	free(a->fw_names);
	st_certs_free(&a->mfg);
	free(a->answers);
	memset(a, 0, sizeof *a);
}

/* ---------------------------------------------------------- member names */

static bool serial_member(const char *name)
{
	size_t i;

	if (strlen(name) != ST_SERIAL_HEX + 4 || !st_has_suffix(name, ".crt"))
		return false;
	for (i = 0; i < ST_SERIAL_HEX; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

/* NAME.crl with NAME a CA name ([A-Za-z0-9][A-Za-z0-9._-]{0,63}); the
 * validated stem is copied out. */
static bool crl_member(const char *name, char stem[ST_FILE_STEM_MAX + 1])
{
	size_t n = strlen(name), i;

	if (!st_has_suffix(name, ".crl") || n - 4 == 0 || n - 4 > ST_FILE_STEM_MAX ||
	    !st_is_alnum(name[0]))
		return false;
	for (i = 0; i < n - 4; i++)
		if (!st_is_alnum(name[i]) && name[i] != '-' && name[i] != '_' && name[i] != '.')
			return false;
	memcpy(stem, name, n - 4);
	stem[n - 4] = '\0';
	return true;
}

/* firmware-NAME.p7s; the validated name is copied out. */
static bool firmware_member(const char *name, char out[TR_NAME_MAX + 1])
{
	if (strncmp(name, "firmware-", 9) != 0 || !st_has_suffix(name, ".p7s") ||
	    strlen(name) <= 13 || !tr_member_name_ok(name))
		return false;
	snprintf(out, TR_NAME_MAX + 1, "%s", name);
	return true;
}

/* Every member parsed into a->pki by its kind; anything else refused. */
PC_CHECK static pc_rc accept_classify(accept_state *a, const tr_bundle *b, const char *dir,
    const char *bundle, pc_err *e)
{
	st_pki *k = &a->pki;
	char what[PATH_MAX];
	size_t i;

	k->chain.what = "chain.pem";
	k->trust.what = "trust.pem";
	k->p7.what = "trust.p7b";
	k->crls = calloc(b->nmembers ? b->nmembers : 1, sizeof *k->crls);
	a->fw = calloc(b->nmembers ? b->nmembers : 1, sizeof *a->fw);
	a->fw_names = calloc(b->nmembers ? b->nmembers : 1, sizeof *a->fw_names);
	a->answers = calloc(b->nmembers ? b->nmembers : 1, sizeof *a->answers);
	a->mfg.what = "manufacturers.pem";
	if (k->crls == NULL || a->fw == NULL || a->fw_names == NULL || a->answers == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < b->nmembers; i++) {
		const tr_member *m = &b->members[i];
		char stem[ST_FILE_STEM_MAX + 1], txid[2 * ST_TXID_MAX + 1];

		snprintf(what, sizeof what, "%s: member %s", bundle, m->name);
		if (serial_member(m->name)) {
			st_cert c;
			PC_TRY(st_cert_load(m->data, m->len, what, &c, e));
			if (strcmp(c.serial, "") == 0 || strncmp(c.serial, m->name, ST_SERIAL_HEX) != 0 ||
			    strlen(c.serial) != ST_SERIAL_HEX) {
				pc_fail(e, PC_E_BUNDLE, "%s: certificate serial %s does not match the "
				    "member name", what, c.serial);
				st_cert_free(&c);
				return e->rc;
			}
			PC_TRY(st_certs_push(&k->devices, &c, e));
		} else if (strcmp(m->name, "chain.pem") == 0 || strcmp(m->name, "trust.pem") == 0) {
			st_certs *s = m->name[0] == 'c' ? &k->chain : &k->trust;
			if (st_certs_add_pem(s, m->data, m->len, e) != PC_OK)
				return pc_wrap(e, "%s", what);
			if (m->name[0] == 'c')
				a->chain_m = m;
			else
				a->trust_m = m;
		} else if (strcmp(m->name, "trust.p7b") == 0) {
			/* parsed strictly, then its certificates go where chain.pem's
			 * and trust.pem's go: into the CA set that st_pki_verify
			 * checks against the station's root */
			pkix_p7b p7;
			size_t j;
			if (pkix_p7b_parse(m->data, m->len, what, &p7, e) != PC_OK)
				return e->rc;
			for (j = 0; j < p7.ncerts; j++)
				if (st_certs_add_der(&k->p7, p7.cert[j], p7.cert_len[j], e) != PC_OK)
					return pc_wrap(e, "%s", what);
			a->p7_m = m;
			k->have_p7b = true;
		} else if (crl_member(m->name, stem)) {
			st_crl *c = &k->crls[k->ncrls];
			PC_TRY(st_crl_parse(m->data, m->len, what, c, e));
			k->ncrls++;
			snprintf(c->stem, sizeof c->stem, "%s", stem);
			snprintf(c->member, sizeof c->member, "%s", m->name);
		} else if (firmware_member(m->name, a->fw_names[a->nfw])) {
			if (m->len == 0)
				return pc_fail(e, PC_E_BUNDLE, "%s: empty", what);
			a->fw[a->nfw++] = m;
		} else if (strcmp(m->name, "manufacturers.pem") == 0) {
			/* the manufacturers' CA certificates (and CRLs) the officer
			 * accepted for this segment; empty: none.  Trusted because
			 * the CA transfer key signed them; each must be a CA. */
			size_t j;
			if (m->len > 0 && st_certs_add_pem(&a->mfg, m->data, m->len, e) != PC_OK)
				return pc_wrap(e, "%s", what);
			for (j = 0; j < a->mfg.n; j++)
				if (!a->mfg.v[j].is_ca)
					return pc_fail(e, PC_E_BUNDLE, "%s: '%s' is not a CA certificate", what,
					    a->mfg.v[j].cn);
			a->mfg_m = m;
		} else if (strcmp(m->name, TR_CHECKPOINT_MEMBER) == 0) {
			/* the CA's audit chain head, signed by its audit key (audit.c) */
			PC_TRY(st_checkpoint_check(dir, m->data, m->len, what, &a->checkpoint, e));
			a->has_checkpoint = true;
		} else if (strcmp(m->name, TR_TRANSFER_KEY_MEMBER) == 0 ||
		    strcmp(m->name, TR_TRANSFER_KEY_MEMBER TR_ENDORSEMENT_SUFFIX) == 0) {
			/* the CA's next transfer key, checked before this (keys.c) */
			continue;
		} else if (st_answer_member(m->name, txid)) {
			st_answer *an = &a->answers[a->nanswers];
			PC_TRY(st_answer_parse(m->data, m->len, what, an, e));
			if (strcmp(an->txid, txid) != 0)
				return pc_fail(e, PC_E_BUNDLE, "%s: answers transaction %s", what, an->txid);
			a->nanswers++;
		} else {
			return pc_fail(e, PC_E_BUNDLE, "%s: unexpected member (a response holds "
			    "SERIAL.crt, chain.pem, trust.pem, trust.p7b, NAME.crl, firmware-*.p7s, "
			    "manufacturers.pem, cmp-TXID.answer, audit-checkpoint.txt, transfer-key.pub)",
			    what);
		}
	}
	if (k->devices.n == 0 && k->chain.n + k->trust.n + k->ncrls + a->nfw + a->nanswers == 0 &&
	    a->p7_m == NULL && a->mfg_m == NULL)
		return pc_fail(e, PC_E_BUNDLE, "%s: response carries nothing to install", bundle);
	if (a->p7_m != NULL && a->trust_m == NULL)
		return pc_fail(e, PC_E_BUNDLE, "%s: member trust.p7b without trust.pem (trust.p7b is "
		    "trust.pem in PKCS#7 form, accepted only next to it)", bundle);
	return PC_OK;
}

/* trust.p7b and trust.pem are one trust list in two encodings: PEM for
 * the stacks that read PEM bundles, PKCS#7 for those that import a .p7b
 * (many OPC UA stacks, Windows-based HMIs).  Each certificate of both was
 * checked on its own above; if the two still differed, two applications of
 * one plant would trust different CAs depending on the format they read,
 * and whoever audits trust.pem would not see what the others trust. */
PC_CHECK static pc_rc accept_p7b_matches(const accept_state *a, const char *bundle, pc_err *e)
{
	const st_certs *side[2] = { &a->pki.p7, &a->pki.trust };
	size_t k, i;

	if (a->p7_m == NULL)
		return PC_OK;
	for (k = 0; k < 2; k++)
		for (i = 0; i < side[k]->n; i++)
			if (st_certs_find_der(side[1 - k], &side[k]->v[i]) == NULL)
				return pc_fail(e, PC_E_BUNDLE, "%s: trust.p7b and trust.pem are not the same "
				    "certificates ('%s' is only in %s): they are one trust list in two "
				    "formats", bundle, side[k]->v[i].cn, side[k]->what);
	return PC_OK;
}

/* firmware-*.p7s: the signer's certificates are written to PKI_DIR like any
 * other, so they are checked now with the firmware verifier's whole logic
 * (transfer/fwverify.h: strict CMS shape, signature over the signed
 * attributes, chain to the station's root, CA flags and path length,
 * codeSigning, dates, revocation in this bundle's CRLs).  The image does
 * not travel in the bundle: the digest given is the signature's own
 * messageDigest, and verify-firmware compares it with the image later. */
PC_CHECK static pc_rc accept_firmware(const accept_state *a, const char *bundle, pc_err *e)
{
	const st_pki *k = &a->pki;
	fw_blob anchor[3], *crls;
	fw_check_opts o;
	fw_result res;
	fw_cms cms;
	size_t i;
	pc_rc rc = PC_OK;

	if (a->nfw == 0)
		return PC_OK;
	crls = calloc(k->ncrls ? k->ncrls : 1, sizeof *crls);
	if (crls == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < k->ncrls; i++) {
		crls[i].der = k->crls[i].der;
		crls[i].len = k->crls[i].len;
		crls[i].name = k->crls[i].member;
	}
	/* the station's roots: during a root roll's overlap the previous one
	 * and the new one too (rootnext.c) */
	memset(&o, 0, sizeof o);
	anchor[0].der = k->root.der;
	anchor[0].len = k->root.len;
	anchor[0].name = "DIR/root.pem";
	o.ntrust = 1;
	if (k->prev.der != NULL) {
		anchor[o.ntrust].der = k->prev.der;
		anchor[o.ntrust].len = k->prev.len;
		anchor[o.ntrust++].name = "DIR/" ST_ROOT_PREV;
	}
	if (k->next_i > 0) {
		anchor[o.ntrust].der = k->cas.v[k->next_i].der;
		anchor[o.ntrust].len = k->cas.v[k->next_i].len;
		anchor[o.ntrust++].name = "the new root";
	}
	o.trust = anchor;
	o.crls = crls;
	o.ncrls = k->ncrls;
	for (i = 0; i < a->nfw && rc == PC_OK; i++) {
		const tr_member *m = a->fw[i];
		if ((rc = fw_cms_parse(m->data, m->len, &cms, e)) == PC_OK)
			rc = fw_cms_check(&cms, cms.cms.digest, cms.cms.digest_len, &o, &res, e);
		if (rc != PC_OK)
			pc_wrap(e, "%s: member %s", bundle, a->fw_names[i]);
	}
	free(crls);
	return rc;
}

PC_CHECK static pc_rc out_copy(st_outs *outs, const char *rel, const tr_member *m, pc_err *e)
{
	pc_buf b = PC_BUF_INIT;

	pc_buf_append(&b, m->data, m->len);
	return st_outs_add(outs, rel, &b, e);
}

/* What serve needs from a response (docs/cmp.md), written into DIR
 * after every check passed: manufacturers.pem as delivered, plant.pem
 * (the segment's CA certificates) and crls.pem (its CRLs) for judging
 * LDevIDs, ra.pem when the response carries this station's RA
 * certificate (the key of DIR/ra.pub), and the CMP answers. */
PC_CHECK static pc_rc accept_cmp(const accept_state *a, const char *dir, pc_err *e)
{
	const st_pki *k = &a->pki;
	char path[PATH_MAX];
	pc_buf b = PC_BUF_INIT;
	tr_pubkey ra;
	size_t i;
	pc_rc rc = PC_OK;

	if (a->mfg_m != NULL) {
		PC_TRY(st_path_join(path, dir, "manufacturers.pem", e));
		PC_TRY(pc_file_write_atomic(path, a->mfg_m->data, a->mfg_m->len, 0644, false, e));
	}
	if (k->cas.n > 0) {
		for (i = 0; i < k->cas.n; i++)
			pc_pem_encode(&b, "CERTIFICATE", k->cas.v[i].der, k->cas.v[i].len);
		if ((rc = st_path_join(path, dir, "plant.pem", e)) == PC_OK)
			rc = pc_buf_ok(&b) ? pc_file_write_atomic(path, b.p, b.len, 0644, false, e) :
			    pc_fail(e, PC_E_NOMEM, "out of memory");
		b.len = 0;
	}
	if (rc == PC_OK && k->ncrls > 0) {
		for (i = 0; i < k->ncrls; i++)
			pc_pem_encode(&b, "X509 CRL", k->crls[i].der, k->crls[i].len);
		if ((rc = st_path_join(path, dir, "crls.pem", e)) == PC_OK)
			rc = pc_buf_ok(&b) ? pc_file_write_atomic(path, b.p, b.len, 0644, false, e) :
			    pc_fail(e, PC_E_NOMEM, "out of memory");
		b.len = 0;
	}
	if (rc == PC_OK && st_path_join(path, dir, "ra.pub", e) == PC_OK && access(path, F_OK) == 0 &&
	    (rc = st_pubkey_load(dir, "ra.pub", &ra, e)) == PC_OK) {
		for (i = 0; i < k->devices.n && rc == PC_OK; i++) {
			const st_cert *c = &k->devices.v[i], *ca;
			pkix_pubkey pk;
			pc_err ign;
			if (pkix_pubkey_parse(c->pc.spki, c->pc.spki_len, "certificate", PC_E_INPUT, &pk,
			    &ign) != PC_OK || pk.type != PKIX_KEY_ED25519 ||
			    memcmp(pk.key, ra.pk, TR_PK_LEN) != 0 ||
			    !pkix_cert_has_eku(&c->pc, PKIX_OID_KP_CMC_RA))
				continue;
			pc_pem_encode(&b, "CERTIFICATE", c->der, c->len);
			if ((ca = st_certs_find_issuer(&k->cas, c)) != NULL)
				pc_pem_encode(&b, "CERTIFICATE", ca->der, ca->len);
			if ((rc = st_path_join(path, dir, "ra.pem", e)) == PC_OK)
				rc = pc_buf_ok(&b) ? pc_file_write_atomic(path, b.p, b.len, 0644, false, e) :
				    pc_fail(e, PC_E_NOMEM, "out of memory");
			if (rc == PC_OK)
				printf("RA certificate %s installed as %s: serve can start\n", c->serial, path);
			b.len = 0;
		}
	}
	pc_buf_free(&b);
	if (rc == PC_OK && a->nanswers > 0) {
		int fd = -1;
		PC_TRY(st_tx_lock(dir, &fd, e));
		rc = st_answers_apply(dir, a->answers, a->nanswers, &k->devices, e);
		st_tx_lock_close(&fd);
	}
	return rc;
}

static void accept_report(const accept_state *a, const tr_bundle *b, const st_outs *outs,
    const char *bundle_path, const st_conf *conf, const char *keyid, bool opcua,
    const st_opts *o, const st_timings *t)
{
	const st_pki *k = &a->pki;
	size_t i;

	if (o->json) {
		printf("{\"bundle\":");
		json_str(stdout, bundle_path);
		printf(",\"segment\":\"%s\",\"sequence\":%llu,\"signer\":\"%s\",\"layout\":\"%s\","
		    "\"certificates\":%zu,\"crls\":%zu,\"in_reply_to\":[", conf->segment,
		    (unsigned long long)b->meta.sequence, keyid, opcua ? "opcua" : "flat",
		    k->devices.n, k->ncrls);
		for (i = 0; i < b->meta.nreply; i++) {
			printf("%s", i ? "," : "");
			json_str(stdout, b->meta.in_reply_to[i]);
		}
		printf("],\"written\":[");
		for (i = 0; i < outs->n; i++) {
			printf("%s\"", i ? "," : "");
			json_str_body(stdout, o->out);
			fputc('/', stdout);
			json_str_body(stdout, outs->v[i].rel);
			fputc('"', stdout);
		}
		printf("]");
		if (o->timings) {
			putchar(',');
			st_timings_json(t, k->threads, stdout);
		}
		printf("}\n");
		return;
	}
	printf("accepted %s: segment %s, sequence %llu, signed by CA transfer key %s\n",
	    bundle_path, conf->segment, (unsigned long long)b->meta.sequence, keyid);
	for (i = 0; i < b->meta.nreply; i++)
		printf("  in reply to %s\n", b->meta.in_reply_to[i]);
	for (i = 0; i < k->ncrls; i++) {
		char when[PC_TIME_TEXT_MAX] = "none";
		if (k->crls[i].next_update != 0)
			pc_time_text(k->crls[i].next_update, when);
		printf("  CRL %s: next update %s\n", k->crls[i].stem, when);
	}
	printf("%zu certificate%s, %zu CRL%s; wrote (%s layout):\n", k->devices.n,
	    k->devices.n == 1 ? "" : "s", k->ncrls, k->ncrls == 1 ? "" : "s",
	    opcua ? "opcua" : "flat");
	for (i = 0; i < outs->n; i++)
		printf("  %s/%s\n", o->out, outs->v[i].rel);
	if (o->timings)
		st_timings_text(t, k->threads, stderr);
}

/* What the bundle did to the keys (text only: --json callers read
 * station status) */
static void accept_keys_report(const st_transfer_keys *k, const st_keys_plan *p,
    const st_conf *c, const st_opts *o)
{
	char id[17], old[17];

	if (o->json)
		return;
	if (p->transfer_switch) {
		tr_keyid_text(k->v[k->next].keyid, id);
		tr_keyid_text(c->transfer_replaced.keyid, old);
		printf("CA transfer key is now %s; bundles signed by %s are refused from now on\n", id,
		    old);
	}
	if (c->has_transfer_next) {
		tr_keyid_text(c->transfer_next.keyid, id);
		printf("CA transfer key %s announced and kept; send a request bundle (it tells the CA) "
		    "and accept the next response\n", id);
	}
	if (p->station_switch)
		printf("station key change confirmed by the CA: station.key is the new key\n");
}

pc_rc st_accept(const st_args *args, pc_err *e)
{
	const st_opts *o = &args->o;
	const char *dir = args->dir, *bundle_path = args->ops[0].path;
	char path[PATH_MAX], rel[PATH_MAX], keyid[17];
	st_conf conf;
	st_transfer_keys tkeys;
	st_keys_plan kplan;
	tr_bundle b;
	accept_state a;
	st_outs outs = { NULL, 0, 0 };
	bool opcua, bundle_open = false, replaces[ST_KIND_N] = { false };
	st_install inst;
	st_timings t;
	size_t i;
	pc_rc rc;

	st_timings_start(&t);
	memset(&inst, 0, sizeof inst);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	if (o->out == NULL)
		return pc_fail(e, PC_E_USAGE, "accept: --out PKI_DIR is required");
	if (o->layout != NULL && strcmp(o->layout, "flat") != 0 && strcmp(o->layout, "opcua") != 0)
		return pc_fail(e, PC_E_USAGE, "--layout '%s': expected flat or opcua", o->layout);
	opcua = o->layout != NULL && strcmp(o->layout, "opcua") == 0;
	PC_TRY_OUT(st_conf_load(dir, &conf, e));
	PC_TRY_OUT(st_keys_settle(dir, &conf, e));
	PC_TRY_OUT(st_transfer_keys_load(dir, &conf, &tkeys, e));
	PC_TRY_OUT(st_path_join(path, dir, "root.pem", e));
	PC_TRY_OUT(st_root_load(path, &a.pki.root, e));
	a.pki.root.from = "DIR/root.pem";
	PC_TRY_OUT(st_root_prev_load(dir, &a.pki, e));

	/* the CA transfer key is the only key trusted for responses, and the
	 * next one it announced (keys.c); the one it replaced is refused by name */
	if ((rc = tr_bundle_read(bundle_path, tkeys.v, tkeys.n, &b, e)) != PC_OK)
		goto out;
	bundle_open = true;
	if ((rc = st_keys_check(&tkeys, &b, &conf, &kplan, e)) != PC_OK)
		goto out;
	if ((rc = tr_bundle_check(&b, TR_RESPONSE, conf.segment, conf.last_response, time(NULL),
	    e)) != PC_OK)
		goto out;
	st_timings_mark(&t, "read");
	if ((rc = accept_classify(&a, &b, dir, bundle_path, e)) != PC_OK)
		goto out;
	st_timings_mark(&t, "parse");
	/* the device certificates' chains on all cores (par.c) */
	a.pki.threads = st_threads(o->threads, a.pki.devices.n);
	if ((rc = st_pki_verify(&a.pki, bundle_path, e)) != PC_OK ||
	    (rc = accept_p7b_matches(&a, bundle_path, e)) != PC_OK ||
	    (rc = accept_firmware(&a, bundle_path, e)) != PC_OK)
		goto out;
	st_timings_mark(&t, "verify");
	if ((rc = st_layout_plan(&a.pki, opcua, o->der, bundle_path, &outs, e)) != PC_OK)
		goto out;
	for (i = 0; i < a.nfw; i++) {
		snprintf(rel, sizeof rel, "firmware/%s", a.fw_names[i]);
		if ((rc = out_copy(&outs, rel, a.fw[i], e)) != PC_OK)
			goto out;
	}
	if ((rc = st_outs_unique(&outs, bundle_path, e)) != PC_OK ||
	    (rc = st_layout_check_replacements(o->out, &outs, bundle_path, e)) != PC_OK)
		goto out;
	st_timings_mark(&t, "plan");

	/* verified: the new layout beside the old one, switched in one rename
	 * (install.c); the sequence recorded after the switch, the old tree
	 * removed last.  Until station.conf holds the sequence, the bundle can
	 * be accepted again and gives the same tree. */
	replaces[ST_KIND_CA] = a.trust_m != NULL;
	replaces[ST_KIND_CRL] = a.pki.ncrls > 0;
	if ((rc = st_install_stage(o->out, &outs, opcua, replaces, &inst, e)) != PC_OK) {
		pc_wrap(e, "%s: nothing changed in %s; the bundle was not recorded and can be "
		    "accepted again", bundle_path, o->out);
		goto out;
	}
	if ((rc = st_install_switch(&inst, e)) != PC_OK) {
		pc_wrap(e, "%s: %s holds the %s layout; the bundle was not recorded and can be "
		    "accepted again", bundle_path, o->out, inst.switched ? "new" : "old");
		goto out;
	}
	if ((rc = accept_cmp(&a, dir, e)) != PC_OK) {
		pc_wrap(e, "%s: files written to %s, but the CMP state was not updated (accept the "
		    "bundle again)", bundle_path, o->out);
		goto out;
	}
	if ((rc = st_root_rotate(dir, &a.pki, e)) != PC_OK) {
		pc_wrap(e, "%s: files written to %s, but the new root was not kept in the station "
		    "directory (accept the bundle again)", bundle_path, o->out);
		goto out;
	}
	if (a.has_checkpoint && (rc = st_checkpoint_keep(dir, &a.checkpoint, bundle_path, e)) != PC_OK) {
		pc_wrap(e, "%s: files written to %s, but the audit checkpoint was not kept (accept the "
		    "bundle again)", bundle_path, o->out);
		goto out;
	}
	if ((rc = st_keys_apply(dir, &tkeys, &kplan, &conf, e)) != PC_OK) {
		pc_wrap(e, "%s: files written to %s, but the key change was not completed (accept the "
		    "bundle again)", bundle_path, o->out);
		goto out;
	}
	conf.last_response = b.meta.sequence;
	snprintf(conf.last_bundle, sizeof conf.last_bundle, "%s", b.name);
	if ((rc = PC_FAULT("accept.record", dir, e)) != PC_OK ||
	    (rc = st_conf_save(dir, &conf, false, e)) != PC_OK) {
		pc_wrap(e, "%s: files written to %s, but the sequence was not recorded (accept the "
		    "bundle again)", bundle_path, o->out);
		goto out;
	}
	if ((rc = PC_FAULT("accept.cleanup", dir, e)) != PC_OK)
		goto out;
	st_install_cleanup(&inst);
	st_timings_mark(&t, "write");
	tr_keyid_text(tkeys.v[b.signer].keyid, keyid);
	accept_report(&a, &b, &outs, bundle_path, &conf, keyid, opcua, o, &t);
	if (a.pki.next_i > 0 && !o->json) {
		char fp[PC_FINGERPRINT_MAX], cn[4 * ST_CN_MAX + 4];
		const st_cert *nr = &a.pki.cas.v[a.pki.next_i];
		pc_fingerprint(nr->der, nr->len, fp);
		printf("new root '%s' (SHA-256 %s) accepted: cross-certified by the trusted root "
		    "(NewWithOld); DIR/root.pem is the new root, DIR/" ST_ROOT_PREV " the previous one "
		    "until it expires\n", pc_text_quote(cn, sizeof cn, nr->cn, strlen(nr->cn)), fp);
	}
	accept_keys_report(&tkeys, &kplan, &conf, o);
	rc = PC_OK;
out:
	st_install_cleanup(&inst);     /* the stage, or after the switch the old tree */
	if (bundle_open)
		tr_bundle_free(&b);
	accept_free(&a);
	st_outs_free(&outs);
	return rc;
}
