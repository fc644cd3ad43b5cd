/*
 * request.c - verb request: device CSRs -> a request bundle signed with the
 * station key, each CSR with the profile it asks for; the sequence number
 * in station.conf is advanced after the bundle is written.  Every CSR is
 * read and checked before the passphrase is asked for.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "der.h"
#include "file.h"
#include "json.h"
#include "pem.h"
#include "secret.h"
#include "station.h"

static bool profile_ok(const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0 || n > TR_PROFILE_MAX || !st_is_alnum(p[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!st_is_alnum(p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
			return false;
	return true;
}

/* A light RFC 2986 shape check: CertificationRequest ::= SEQUENCE {
 * certificationRequestInfo SEQUENCE { version INTEGER (0), subject Name,
 * subjectPKInfo, attributes [0] }, signatureAlgorithm, signature BIT STRING }.
 * The CA parses it fully and checks proof of possession. */
static bool csr_der_ok(const uint8_t *p, size_t len)
{
	pc_reader r = pc_reader_make(p, len), req, info, x;

	if (!pc_der_read(&r, DER_SEQUENCE, &req) || !pc_reader_done(&r) ||
	    !pc_der_read(&req, DER_SEQUENCE, &info) ||
	    !pc_der_read(&req, DER_SEQUENCE, &x) || !pc_der_read(&req, DER_BIT_STRING, &x) ||
	    !pc_reader_done(&req) ||
	    !pc_der_read(&info, DER_INTEGER, &x))
		return false;
	if (pc_reader_left(&x) != 1 || st_reader_at(&x)[0] != 0)
		return false;
	return pc_der_read(&info, DER_SEQUENCE, &x) && pc_der_read(&info, DER_SEQUENCE, &x) &&
	    pc_der_read(&info, DER_CTX_CONS | 0, &x) && pc_reader_done(&info);
}

PC_CHECK static pc_rc csr_check(const uint8_t *p, size_t len, const char *path, pc_err *e)
{
	static const char *const labels[] = {
		"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", NULL,
	};
	uint8_t *der;
	size_t dlen;
	bool ok;

	if (!pc_pem_looks_like(p, len)) {
		if (!csr_der_ok(p, len))
			return pc_fail(e, PC_E_INPUT, "%s: not a PKCS#10 certificate request "
			    "(neither PEM nor DER CertificationRequest)", path);
		return PC_OK;
	}
	if (pc_pem_decode(p, len, labels, &der, &dlen, NULL, e) != PC_OK)
		return pc_wrap(e, "%s: not a PKCS#10 certificate request", path);
	ok = csr_der_ok(der, dlen);
	free(der);
	if (!ok)
		return pc_fail(e, PC_E_INPUT, "%s: PEM block is not a DER PKCS#10 "
		    "CertificationRequest", path);
	return PC_OK;
}

/* Member name from the file's basename: extension dropped, sanitised,
 * ".csr" appended, "-2", "-3"... on duplicates. */
PC_CHECK static pc_rc csr_member_name(const char *path, const tr_csr_entry *prev, size_t nprev,
    char out[TR_NAME_MAX + 1], pc_err *e)
{
	const char *base = strrchr(path, '/'), *dot;
	char stem[TR_NAME_MAX + 1];
	size_t blen, i, k;

	base = base ? base + 1 : path;
	blen = strlen(base);
	dot = strrchr(base, '.');
	if (dot != NULL && dot != base)
		blen = (size_t)(dot - base);
	/* room for "-NNNNNN.csr" */
	if (!st_sanitise(base, blen, stem, TR_NAME_MAX - 12))
		snprintf(stem, sizeof stem, "request");
	for (k = 1; k < 1000000; k++) {
		bool dup = false;
		char cand[TR_NAME_MAX + 32];
		if (k == 1)
			snprintf(cand, sizeof cand, "%s.csr", stem);
		else
			snprintf(cand, sizeof cand, "%s-%zu.csr", stem, k);
		if (strlen(cand) > TR_NAME_MAX)
			break;
		memcpy(out, cand, strlen(cand) + 1);
		for (i = 0; i < nprev && !dup; i++)
			dup = strcmp(prev[i].member, out) == 0;
		if (!dup) {
			if (!tr_member_name_ok(out))
				return pc_fail(e, PC_E_INTERNAL, "%s: member name '%s' refused", path, out);
			return PC_OK;
		}
	}
	return pc_fail(e, PC_E_LIMIT, "%s: too many CSRs named like this", path);
}

static void request_report(const st_opts *o, const char *file, const tr_meta *meta,
    const char *keyid, const st_operand *csrs, size_t ncsr, size_t ncmp)
{
	char path[PATH_MAX];
	size_t i, j;

	if (o->json) {
		printf("{\"bundle\":");
		snprintf(path, sizeof path, "%s/%s", o->media, file);
		json_str(stdout, path);
		printf(",\"segment\":\"%s\",\"sender\":\"%s\",\"sequence\":%llu,\"csrs\":[",
		    meta->segment, keyid, (unsigned long long)meta->sequence);
		for (i = 0; i < ncsr; i++) {
			printf("%s{\"file\":", i ? "," : "");
			json_str(stdout, csrs[i].path);
			printf(",\"member\":\"%s\",\"profile\":\"%s\"}", meta->csrs[i].member,
			    meta->csrs[i].profile);
		}
		printf("],\"cmp\":%zu}\n", ncmp);
		return;
	}
	printf("%s/%s\n%s/%s.minisig\n", o->media, file, o->media, file);
	printf("segment %s, sequence %llu, sender %s, expires in %u days\n", meta->segment,
	    (unsigned long long)meta->sequence, keyid, o->expires_days);
	for (i = 0; i < ncsr; i++) {
		size_t count = 0;
		bool seen = false;
		for (j = 0; j < i && !seen; j++)
			seen = strcmp(meta->csrs[j].profile, meta->csrs[i].profile) == 0;
		if (seen)
			continue;
		for (j = i; j < ncsr; j++)
			count += strcmp(meta->csrs[j].profile, meta->csrs[i].profile) == 0;
		printf("  %6zu CSR%s for profile %s\n", count, count == 1 ? "" : "s",
		    meta->csrs[i].profile);
	}
	if (ncmp > 0)
		printf("  %6zu CMP request%s from devices (serve)\n", ncmp, ncmp == 1 ? "" : "s");
}

pc_rc st_request(const st_args *a, pc_err *e)
{
	const st_opts *o = &a->o;
	const st_operand *csrs = a->ops;
	const char *dir = a->dir;
	size_t ncsr = a->nops;
	char path[PATH_MAX], name[TR_NAME_MAX + 1], file[TR_NAME_MAX + 8];
	char comment[TR_COMMENT_MAX + 1], keyid[17];
	st_conf conf;
	tr_pubkey pub;
	tr_seckey sk = { { 0 }, NULL };
	pc_secret pass = { NULL, 0 };
	uint8_t *keytext = NULL;
	size_t keylen, i;
	uint8_t **data = NULL;
	tr_member *members = NULL;
	tr_meta meta;
	pc_buf tar = PC_BUF_INIT, sig = PC_BUF_INIT;
	time_t now;
	st_tx *txs = NULL;
	size_t ntx = 0, nq;
	int txlock = -1;
	pc_rc rc;

	memset(&meta, 0, sizeof meta);
	if (o->media == NULL)
		return pc_fail(e, PC_E_USAGE, "request: -o MEDIA_DIR is required");
	for (i = 0; i < ncsr; i++) {
		if (csrs[i].profile == NULL)
			return pc_fail(e, PC_E_USAGE, "%s: no --profile before this CSR (each CSR "
			    "names the profile it asks for)", csrs[i].path);
		if (!profile_ok(csrs[i].profile))
			return pc_fail(e, PC_E_USAGE, "--profile '%s': expected "
			    "[A-Za-z0-9][A-Za-z0-9._-]{0,62}", csrs[i].profile);
	}
	PC_TRY_OUT(st_conf_load(dir, &conf, e));
	PC_TRY_OUT(st_pubkey_load(dir, "station.pub", &pub, e));
	/* the CMP requests serve queued (docs/cmp.md): they travel as the
	 * device signed them; the lock keeps serve from changing them meanwhile */
	PC_TRY_OUT(st_tx_lock(dir, &txlock, e));
	if ((rc = st_tx_list(dir, &txs, &ntx, e)) != PC_OK)
		goto out;
	for (i = 0, nq = 0; i < ntx; i++)
		if (txs[i].state == ST_TX_QUEUED)
			txs[nq++] = txs[i];
	ntx = nq;
	if (ncsr + ntx == 0) {
		rc = pc_fail(e, PC_E_USAGE, "request: no CSR files given and no CMP request waiting");
		goto out;
	}
	if (ncsr + ntx > TR_MEMBERS_MAX - 2) {
		rc = pc_fail(e, PC_E_LIMIT, "request: %zu requests, more than one bundle holds (%d)",
		    ncsr + ntx, TR_MEMBERS_MAX - 2);
		goto out;
	}
	data = calloc(ncsr + ntx, sizeof *data);
	members = calloc(ncsr + ntx, sizeof *members);
	meta.csrs = calloc(ncsr + ntx, sizeof *meta.csrs);
	if (data == NULL || members == NULL || meta.csrs == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	/* every CSR checked before the passphrase is asked for */
	for (i = 0; i < ncsr; i++) {
		if ((rc = pc_file_read(csrs[i].path, ST_CSR_MAX, &data[i], &members[i].len, e)) != PC_OK)
			goto out;
		members[i].data = data[i];
		if ((rc = csr_check(data[i], members[i].len, csrs[i].path, e)) != PC_OK)
			goto out;
		if ((rc = csr_member_name(csrs[i].path, meta.csrs, i, meta.csrs[i].member, e)) != PC_OK)
			goto out;
		snprintf(members[i].name, sizeof members[i].name, "%s", meta.csrs[i].member);
		snprintf(meta.csrs[i].profile, sizeof meta.csrs[i].profile, "%s", csrs[i].profile);
	}
	for (i = 0; i < ntx; i++) {
		size_t k = ncsr + i;
		if ((rc = st_tx_file_read(dir, txs[i].txid, "msg", ST_CMP_REQUEST_MAX, &data[k],
		    &members[k].len, e)) != PC_OK)
			goto out;
		members[k].data = data[k];
		snprintf(meta.csrs[k].member, sizeof meta.csrs[k].member, "cmp-%s.cmp", txs[i].txid);
		snprintf(members[k].name, sizeof members[k].name, "%s", meta.csrs[k].member);
		snprintf(meta.csrs[k].profile, sizeof meta.csrs[k].profile, "%s", txs[i].profile);
	}
	meta.ncsrs = ncsr + ntx;

	if ((rc = st_path_join(path, dir, "station.key", e)) != PC_OK ||
	    (rc = pc_file_read(path, ST_KEYFILE_MAX, &keytext, &keylen, e)) != PC_OK)
		goto out;
	{
		char prompt[PATH_MAX + 32];
		snprintf(prompt, sizeof prompt, "Passphrase for %s", path);
		if ((rc = pc_secret_read(&pass, o->pass_file, prompt, e)) != PC_OK)
			goto out;
	}
	rc = tr_seckey_open(keytext, keylen, path, &pass, &sk, e);
	pc_secret_free(&pass);
	if (rc != PC_OK)
		goto out;
	if (sodium_memcmp(sk.keyid, pub.keyid, TR_KEYID_LEN) != 0) {
		rc = pc_fail(e, PC_E_STATE, "%s: key id differs from station.pub's", path);
		goto out;
	}

	now = time(NULL);
	tr_keyid_text(pub.keyid, keyid);
	meta.version = TR_FORMAT_VERSION;
	meta.kind = TR_REQUEST;
	snprintf(meta.segment, sizeof meta.segment, "%s", conf.segment);
	snprintf(meta.sender, sizeof meta.sender, "%s", keyid);
	meta.sequence = conf.next_request;
	meta.created = now;
	meta.expires = now + (time_t)o->expires_days * ST_SECONDS_PER_DAY;
	tr_bundle_name(TR_REQUEST, conf.segment, meta.sequence, name, sizeof name);
	snprintf(file, sizeof file, "%s.tar", name);

	if ((rc = tr_bundle_build(&meta, members, ncsr + ntx, &tar, e)) != PC_OK)
		goto out;
	tr_trusted_comment(&meta, name, comment, sizeof comment);
	if ((rc = tr_minisig_make(tar.p, tar.len, &pub, comment, tr_seckey_sign, &sk, &sig, e)) != PC_OK)
		goto out;
	tr_seckey_free(&sk);
	if ((rc = tr_bundle_write(o->media, name, &tar, &sig, e)) != PC_OK)
		goto out;
	conf.next_request++;
	if ((rc = st_conf_save(dir, &conf, false, e)) != PC_OK) {
		pc_wrap(e, "request bundle %s/%s written, but the sequence was not advanced "
		    "(do not send another request before fixing station.conf)", o->media, file);
		goto out;
	}
	/* the bundle is written: its CMP requests are on their way (a crash
	 * before this leaves them queued, and the next bundle carries them
	 * again; the CA refuses a transaction it has seen) */
	for (i = 0; i < ntx; i++) {
		txs[i].state = ST_TX_SENT;
		txs[i].updated = (uint64_t)now;
		snprintf(txs[i].bundle, sizeof txs[i].bundle, "%s", name);
	}
	if ((rc = st_tx_save_many(dir, txs, ntx, e)) != PC_OK)
		goto out;
	request_report(o, file, &meta, keyid, csrs, ncsr, ntx);
	rc = PC_OK;
out:
	st_tx_lock_close(&txlock);
	free(txs);
	pc_secret_free(&pass);
	tr_seckey_free(&sk);
	if (keytext != NULL) {
		sodium_memzero(keytext, keylen);
		free(keytext);
	}
	for (i = 0; data != NULL && i < ncsr + ntx; i++)
		free(data[i]);
	free(data);
	free(members);
	free(meta.csrs);
	pc_buf_free(&tar);
	pc_buf_free(&sig);
	return rc;
}
