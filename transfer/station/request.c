/*
 * request.c - verb request: device CSRs -> a request bundle signed with the
 * station key, each CSR with the profile it asks for; the sequence number
 * in station.conf is advanced after the bundle is written.  Every CSR is
 * read and its shape and self-signature checked before the passphrase is
 * asked for, on all cores (par.c); a refusal names the first bad file in
 * operand order, whatever the threads did.
 */
#include <dirent.h>
#include <errno.h>
#include <search.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "file.h"
#include "json.h"
#include "pem.h"
#include "csr.h"
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

/* One CSR to send: where it came from and its bytes. */
typedef struct req_csr {
	const char *path;              /* argv, or into `owned` (a folder's file) */
	char *owned;
	const char *profile;
	uint8_t *data;
	size_t len;
} req_csr;

static void csrs_free(req_csr *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].owned);
		free(v[i].data);
	}
	free(v);
}

static bool csr_file_name(const char *name)
{
	return name[0] != '.' && (st_has_suffix(name, ".csr") || st_has_suffix(name, ".pem") ||
	    st_has_suffix(name, ".der"));
}

static int name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Append one CSR (path borrowed, or owned when `own`). */
PC_CHECK static pc_rc csrs_add(req_csr **v, size_t *n, size_t *cap, const char *path, char *own,
    const char *profile, pc_err *e)
{
	if (*n >= TR_MEMBERS_MAX - 2) {
		free(own);
		return pc_fail(e, PC_E_LIMIT, "request: more CSRs than one bundle holds (%d)",
		    TR_MEMBERS_MAX - 2);
	}
	if (!pc_grow(v, cap, *n, sizeof **v, 64)) {
		free(own);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	memset(&(*v)[*n], 0, sizeof **v);
	(*v)[*n].path = own != NULL ? own : path;
	(*v)[*n].owned = own;
	(*v)[*n].profile = profile;
	(*n)++;
	return PC_OK;
}

/* A FOLDER operand: its *.csr, *.pem and *.der files (not hidden, not in
 * subfolders), in byte order of the names, so that the same folder always
 * gives the same bundle. */
PC_CHECK static pc_rc csrs_add_folder(req_csr **v, size_t *n, size_t *cap, const char *dir,
    const char *profile, pc_err *e)
{
	struct dirent **names = NULL;
	int k, count;
	size_t found = 0;
	pc_rc rc = PC_OK;

	count = scandir(dir, &names, NULL, name_order);
	if (count < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot read folder: %s", dir, strerror(errno));
	for (k = 0; k < count; k++) {
		char path[PATH_MAX], *own;
		struct stat st;
		if (rc != PC_OK || !csr_file_name(names[k]->d_name))
			goto next;
		if ((rc = st_path_join(path, dir, names[k]->d_name, e)) != PC_OK)
			goto next;
		if (stat(path, &st) != 0) {
			rc = pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
			goto next;
		}
		if (!S_ISREG(st.st_mode))
			goto next;
		if ((own = strdup(path)) == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto next;
		}
		rc = csrs_add(v, n, cap, NULL, own, profile, e);
		found++;
next:
		free(names[k]);
	}
	free(names);
	if (rc == PC_OK && found == 0)
		rc = pc_fail(e, PC_E_USAGE, "%s: folder holds no *.csr, *.pem or *.der file", dir);
	return rc;
}

/* The operands as CSR files, folders expanded in place. */
PC_CHECK static pc_rc csrs_list(const st_operand *ops, size_t nops, req_csr **v, size_t *n,
    pc_err *e)
{
	size_t i, cap = 0;
	struct stat st;

	*v = NULL;
	*n = 0;
	for (i = 0; i < nops; i++) {
		if (stat(ops[i].path, &st) == 0 && S_ISDIR(st.st_mode))
			PC_TRY(csrs_add_folder(v, n, &cap, ops[i].path, ops[i].profile, e));
		else
			PC_TRY(csrs_add(v, n, &cap, ops[i].path, NULL, ops[i].profile, e));
	}
	return PC_OK;
}

/* One CSR read and checked: a PKCS#10 request (PEM or DER) whose
 * self-signature verifies with the one verifier (proof of possession,
 * RFC 2986 §3), so that a broken or tampered CSR is found here, at the
 * plant, naming its file, not after a round trip on removable media.
 * Everything else (names, key sizes, algorithms the CA does not take,
 * extensions) is the CA's to judge at import, request by request, with a
 * reason the officer sees; a key or algorithm this check cannot read is
 * left to it too.  Runs on several threads at once (st_par_run), each on
 * its own item. */
PC_CHECK static pc_rc csr_check(void *ctx, size_t i, pc_err *e)
{
	static const char *const labels[] = {
		"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", NULL,
	};
	req_csr *c = (req_csr *)ctx + i;
	uint8_t *der = NULL;
	size_t dlen;
	pc_rc rc = PC_OK;

	PC_TRY(pc_file_read(c->path, ST_CSR_MAX, &c->data, &c->len, e));
	if (pc_pem_looks_like(c->data, c->len)) {
		if (pc_pem_decode(c->data, c->len, labels, &der, &dlen, NULL, e) != PC_OK)
			return pc_wrap(e, "%s: not a PKCS#10 certificate request", c->path);
	}
	switch (pkix_csr_check_shape(der != NULL ? der : c->data, der != NULL ? dlen : c->len)) {
	case PKIX_CSR_NOT_A_REQUEST:
		rc = pc_fail(e, PC_E_INPUT, "%s: not a PKCS#10 certificate request (neither PEM "
		    "nor DER CertificationRequest)", c->path);
		break;
	case PKIX_CSR_POP_FAILED:
		rc = pc_fail(e, PC_E_CSR, "%s: the request's self-signature does not verify (proof "
		    "of possession failed)", c->path);
		break;
	case PKIX_CSR_SHAPE_OK:
		break;
	}
	free(der);
	return rc;
}

/* Member name from the file's basename: extension dropped, sanitised,
 * ".csr" appended, "-2", "-3"... on duplicates.  `taken` holds the names
 * given so far (a hash table: a folder of 20,000 CSRs is 20,000 names);
 * out is entered into it and must stay valid while it is used. */
PC_CHECK static pc_rc csr_member_name(const char *path, struct hsearch_data *taken,
    char out[TR_NAME_MAX + 1], pc_err *e)
{
	const char *base = strrchr(path, '/'), *dot;
	char stem[TR_NAME_MAX + 1];
	size_t blen, k;

	base = base ? base + 1 : path;
	blen = strlen(base);
	dot = strrchr(base, '.');
	if (dot != NULL && dot != base)
		blen = (size_t)(dot - base);
	/* room for "-NNNNNN.csr" */
	if (!st_sanitise(base, blen, stem, TR_NAME_MAX - 12))
		snprintf(stem, sizeof stem, "request");
	for (k = 1; k < 1000000; k++) {
		char cand[TR_NAME_MAX + 32];
		ENTRY q, *hit;
		if (k == 1)
			snprintf(cand, sizeof cand, "%s.csr", stem);
		else
			snprintf(cand, sizeof cand, "%s-%zu.csr", stem, k);
		if (strlen(cand) > TR_NAME_MAX)
			break;
		q.key = cand;
		q.data = NULL;
		if (hsearch_r(q, FIND, &hit, taken) != 0)
			continue;
		memcpy(out, cand, strlen(cand) + 1);
		if (!tr_member_name_ok(out))
			return pc_fail(e, PC_E_INTERNAL, "%s: member name '%s' refused", path, out);
		q.key = out;
		if (hsearch_r(q, ENTER, &hit, taken) == 0)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		return PC_OK;
	}
	return pc_fail(e, PC_E_LIMIT, "%s: too many CSRs named like this", path);
}

/* The member report.scan from a scan report file, refused here on every
 * ground the CA would refuse it on, and when it is of another segment. */
PC_CHECK static pc_rc scan_member(const char *path, const st_conf *conf, uint8_t **data,
    tr_member *m, pc_err *e)
{
	sr_report r;
	size_t len;

	PC_TRY(pc_file_read(path, SR_REPORT_MAX, data, &len, e));
	PC_TRY(sr_parse(*data, len, path, &r, e));
	if (strcmp(r.segment, conf->segment) != 0) {
		pc_rc rc = pc_fail(e, PC_E_INPUT, "%s: a scan of segment %s, this station is %s's", path,
		    r.segment, conf->segment);
		sr_report_free(&r);
		return rc;
	}
	sr_report_free(&r);
	snprintf(m->name, sizeof m->name, "report.scan");
	m->data = *data;
	m->len = len;
	return PC_OK;
}

/* The summary; timings (t) when asked for. */
/* Something to send, and not more than one bundle holds. */
PC_CHECK static pc_rc request_count_ok(size_t ncsr, size_t ncmp, bool scan, bool keys_only,
    pc_err *e)
{
	if (ncsr + ncmp == 0 && !scan && !keys_only)
		return pc_fail(e, PC_E_USAGE, "request: no CSR files given, no CMP request waiting "
		    "and no --scan REPORT");
	if (ncsr + ncmp + scan > TR_MEMBERS_MAX - 2)
		return pc_fail(e, PC_E_LIMIT, "request: %zu requests%s, more than one bundle holds (%d)",
		    ncsr + ncmp, scan ? " and a scan report" : "", TR_MEMBERS_MAX - 2);
	return PC_OK;
}

static void tx_swap(st_tx *a, st_tx *b)
{
	st_tx x;

	if (a == b)
		return;
	x = *a;
	*a = *b;
	*b = x;
}

static void request_report(const st_opts *o, const char *file, const tr_meta *meta,
    const char *keyid, const req_csr *csrs, size_t ncsr, size_t ncmp, const st_timings *t,
    unsigned threads)
{
	char path[PATH_MAX];
	size_t i, j, nprof = 0;
	struct { const char *name; size_t count; } *prof;

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
		printf("],\"cmp\":%zu,\"scan\":%s", ncmp, meta->scan[0] ? "\"report.scan\"" : "null");
		if (meta->rekey[0] != '\0')
			printf(",\"rekey\":\"%s\"", meta->rekey);
		if (meta->holds_transfer_key[0] != '\0')
			printf(",\"holds_transfer_key\":\"%s\"", meta->holds_transfer_key);
		if (o->timings) {
			putchar(',');
			st_timings_json(t, threads, stdout);
		}
		printf("}\n");
		return;
	}
	printf("%s/%s\n%s/%s.minisig\n", o->media, file, o->media, file);
	printf("segment %s, sequence %llu, sender %s, expires in %u days\n", meta->segment,
	    (unsigned long long)meta->sequence, keyid, o->expires_days);
	/* CSRs per profile, in order of first appearance (few profiles, many CSRs) */
	prof = calloc(ncsr ? ncsr : 1, sizeof *prof);
	for (i = 0; prof != NULL && i < ncsr; i++) {
		for (j = 0; j < nprof && strcmp(prof[j].name, meta->csrs[i].profile) != 0; j++)
			;
		if (j == nprof)
			prof[nprof++].name = meta->csrs[i].profile;
		prof[j].count++;
	}
	for (j = 0; j < nprof; j++)
		printf("  %6zu CSR%s for profile %s\n", prof[j].count, prof[j].count == 1 ? "" : "s",
		    prof[j].name);
	free(prof);
	if (ncmp > 0)
		printf("  %6zu CMP request%s from devices (serve)\n", ncmp, ncmp == 1 ? "" : "s");
	if (meta->rekey[0] != '\0')
		printf("  new station key %s, endorsed by %s (the CA records it at import)\n",
		    meta->rekey, keyid);
	if (meta->holds_transfer_key[0] != '\0')
		printf("  tells the CA this station holds its new transfer key %s\n",
		    meta->holds_transfer_key);
	if (o->timings)
		st_timings_text(t, threads, stderr);
}

pc_rc st_request(const st_args *a, pc_err *e)
{
	return st_request_with(a, NULL, e);
}

/* The station's new key, endorsed by its current one (keyroll.c), while
 * station.conf says a rekey waits for the CA: every request carries it
 * until a response confirms it, so that a rekey bundle lost on the way is
 * made good by the next request. */
PC_CHECK static pc_rc rekey_members(const char *dir, const st_conf *conf, const tr_pubkey *pub,
    tr_seckey *sk, tr_member *m, pc_buf bufs[2], tr_meta *meta, pc_err *e)
{
	tr_pubkey np;
	char id[17];

	PC_TRY(st_pubkey_load(dir, "station.next.pub", &np, e));
	tr_keyid_text(np.keyid, id);
	if (strcmp(id, conf->station_next) != 0)
		return pc_fail(e, PC_E_STATE, "%s/station.next.pub holds key %s, station.conf names %s",
		    dir, id, conf->station_next);
	PC_TRY(tr_keyroll_make("station", pub, &np, tr_seckey_sign, sk, &bufs[0], &bufs[1], e));
	snprintf(m[0].name, sizeof m[0].name, "%s", TR_STATION_KEY_MEMBER);
	m[0].data = bufs[0].p;
	m[0].len = bufs[0].len;
	snprintf(m[1].name, sizeof m[1].name, "%s%s", TR_STATION_KEY_MEMBER, TR_ENDORSEMENT_SUFFIX);
	m[1].data = bufs[1].p;
	m[1].len = bufs[1].len;
	snprintf(meta->rekey, sizeof meta->rekey, "%s", id);
	return PC_OK;
}

pc_rc st_request_with(const st_args *a, const pc_secret *given, pc_err *e)
{
	const st_opts *o = &a->o;
	const char *dir = a->dir;
	char path[PATH_MAX], name[TR_NAME_MAX + 1], file[TR_NAME_MAX + 8];
	char comment[TR_COMMENT_MAX + 1], keyid[17];
	st_conf conf;
	tr_pubkey pub;
	tr_seckey sk = { { 0 }, NULL };
	pc_secret pass = { NULL, 0 };
	uint8_t *keytext = NULL, **cmpdata = NULL, *scandata = NULL;
	size_t keylen, i, ncsr = 0;
	req_csr *csrs = NULL;
	tr_member *members = NULL, scanm;
	tr_meta meta;
	pc_buf tar = PC_BUF_INIT, sig = PC_BUF_INIT, rk[2] = { PC_BUF_INIT, PC_BUF_INIT };
	pc_buf held = PC_BUF_INIT;
	size_t nmem;
	bool keys_only;
	struct hsearch_data taken;
	bool have_taken = false;
	time_t now;
	st_tx *txs = NULL;
	size_t ntx = 0, nq, nrep = 0;
	int txlock = -1;
	unsigned threads = 1;
	st_timings t;
	pc_rc rc;

	st_timings_start(&t);
	memset(&meta, 0, sizeof meta);
	memset(&scanm, 0, sizeof scanm);
	memset(&taken, 0, sizeof taken);
	if (o->media == NULL)
		return pc_fail(e, PC_E_USAGE, "request: -o MEDIA_DIR is required");
	for (i = 0; i < a->nops; i++) {
		if (a->ops[i].profile == NULL)
			return pc_fail(e, PC_E_USAGE, "%s: no --profile before this CSR (each CSR "
			    "names the profile it asks for)", a->ops[i].path);
		if (!profile_ok(a->ops[i].profile))
			return pc_fail(e, PC_E_USAGE, "--profile '%s': expected "
			    "[A-Za-z0-9][A-Za-z0-9._-]{0,62}", a->ops[i].profile);
	}
	PC_TRY_OUT(st_conf_load(dir, &conf, e));
	PC_TRY_OUT(st_keys_settle(dir, &conf, e));
	PC_TRY_OUT(st_pubkey_load(dir, "station.pub", &pub, e));
	/* a key change to tell the CA is enough to send a bundle */
	keys_only = conf.station_next[0] != '\0' || conf.has_transfer_next;
	PC_TRY_OUT(csrs_list(a->ops, a->nops, &csrs, &ncsr, e));
	/* a first look at the CMP transactions, without the lock, for the
	 * checks made before the passphrase; they are listed again under the
	 * lock, which is not held while the key is opened (its scrypt takes
	 * seconds, and serve waits for the lock) */
	PC_TRY_OUT(st_tx_list(dir, &txs, &ntx, e));
	for (i = 0, nq = 0; i < ntx; i++)
		nq += txs[i].state == ST_TX_QUEUED || txs[i].state == ST_TX_CERT_REJECTED;
	free(txs);
	txs = NULL;
	ntx = 0;
	PC_TRY_OUT(request_count_ok(ncsr, nq, o->scan != NULL, keys_only, e));
	st_timings_mark(&t, "list");
	/* every CSR read and checked before the passphrase is asked for, on
	 * all cores; a refusal names the first bad file in operand order */
	threads = st_threads(o->threads, ncsr);
	if (ncsr > 0)
		PC_TRY_OUT(st_par_run(ncsr, threads, csr_check, csrs, e));
	st_timings_mark(&t, "check");
	/* the report, read as the CA will read it, of this segment */
	if (o->scan != NULL)
		PC_TRY_OUT(scan_member(o->scan, &conf, &scandata, &scanm, e));

	PC_TRY_OUT(st_path_join(path, dir, "station.key", e));
	PC_TRY_OUT(pc_file_read(path, ST_KEYFILE_MAX, &keytext, &keylen, e));
	{
		char prompt[PATH_MAX + 32];
		snprintf(prompt, sizeof prompt, "Passphrase for %s", path);
		if (given == NULL)
			PC_TRY_OUT(pc_secret_read(&pass, o->pass_file, prompt, e));
	}
	/* not timed as a phase of its own: a prompt waits for a person */
	st_timings_mark(&t, "passphrase");
	rc = tr_seckey_open(keytext, keylen, path, given != NULL ? given : &pass, &sk, e);
	pc_secret_free(&pass);
	if (rc != PC_OK)
		goto out;
	if (sodium_memcmp(sk.keyid, pub.keyid, TR_KEYID_LEN) != 0) {
		rc = pc_fail(e, PC_E_STATE, "%s: key id differs from station.pub's", path);
		goto out;
	}
	st_timings_mark(&t, "key");

	/* the CMP requests serve queued (docs/cmp.md): they travel as the
	 * device signed them; the lock keeps serve from changing them meanwhile */
	PC_TRY_OUT(st_tx_lock(dir, &txlock, e));
	PC_TRY_OUT(st_tx_list(dir, &txs, &ntx, e));
	/* the queued requests first, then the certificates devices refused
	 * in their certConf (TXID.conf), reported so the CA revokes them */
	for (i = 0, nq = 0; i < ntx; i++)
		if (txs[i].state == ST_TX_QUEUED)
			tx_swap(&txs[nq++], &txs[i]);
	for (i = nq; i < ntx; i++)
		if (txs[i].state == ST_TX_CERT_REJECTED)
			tx_swap(&txs[nq + nrep++], &txs[i]);
	ntx = nq;
	/* (serve may have changed them since the first look) */
	PC_TRY_OUT(request_count_ok(ncsr, ntx + nrep, o->scan != NULL, keys_only, e));
	cmpdata = calloc(ntx + nrep + 1, sizeof *cmpdata);
	/* four more slots: the scan report, a new station key and its
	 * endorsement, the CA transfer key the station holds */
	members = calloc(ncsr + ntx + nrep + 4, sizeof *members);
	meta.csrs = calloc(ncsr + ntx + 1, sizeof *meta.csrs);
	if (cmpdata == NULL || members == NULL || meta.csrs == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if (hcreate_r(2 * (ncsr + ntx) + 16, &taken) == 0) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	have_taken = true;
	for (i = 0; i < ncsr; i++) {
		members[i].data = csrs[i].data;
		members[i].len = csrs[i].len;
		PC_TRY_OUT(csr_member_name(csrs[i].path, &taken, meta.csrs[i].member, e));
		snprintf(members[i].name, sizeof members[i].name, "%s", meta.csrs[i].member);
		snprintf(meta.csrs[i].profile, sizeof meta.csrs[i].profile, "%s", csrs[i].profile);
	}
	for (i = 0; i < ntx; i++) {
		size_t k = ncsr + i;
		PC_TRY_OUT(st_tx_file_read(dir, txs[i].txid, "msg", ST_CMP_REQUEST_MAX, &cmpdata[i],
		    &members[k].len, e));
		members[k].data = cmpdata[i];
		snprintf(meta.csrs[k].member, sizeof meta.csrs[k].member, "cmp-%s.cmp", txs[i].txid);
		snprintf(members[k].name, sizeof members[k].name, "%s", meta.csrs[k].member);
		snprintf(meta.csrs[k].profile, sizeof meta.csrs[k].profile, "%s", txs[i].profile);
	}
	meta.ncsrs = ncsr + ntx;
	/* a refusal is no request: a member without a csr line (the CA's
	 * import reads cmp-TXID.certconf members, docs/cmp.md) */
	for (i = ntx; i < ntx + nrep; i++) {
		size_t k = ncsr + i;
		PC_TRY_OUT(st_tx_file_read(dir, txs[i].txid, "conf", ST_CMP_REQUEST_MAX, &cmpdata[i],
		    &members[k].len, e));
		members[k].data = cmpdata[i];
		snprintf(members[k].name, sizeof members[k].name, "cmp-%s.certconf", txs[i].txid);
	}
	if (o->scan != NULL) {
		members[ncsr + ntx + nrep] = scanm;
		snprintf(meta.scan, sizeof meta.scan, "%s", scanm.name);
	}
	nmem = ncsr + ntx + nrep + (o->scan != NULL);
	if (conf.station_next[0] != '\0') {
		PC_TRY_OUT(rekey_members(dir, &conf, &pub, &sk, &members[nmem], rk, &meta, e));
		nmem += 2;
	}
	if (conf.has_transfer_next) {
		/* the announced key as this station holds it: the CA compares it */
		tr_keyid_text(conf.transfer_next.keyid, meta.holds_transfer_key);
		tr_pubkey_format(&conf.transfer_next, "transfer", &held);
		if (!pc_buf_ok(&held)) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		snprintf(members[nmem].name, sizeof members[nmem].name, "%s", TR_TRANSFER_KEY_MEMBER);
		members[nmem].data = held.p;
		members[nmem].len = held.len;
		nmem++;
	}
	st_timings_mark(&t, "names");

	now = time(NULL);
	tr_keyid_text(pub.keyid, keyid);
	meta.version = TR_FORMAT_VERSION;
	meta.kind = TR_REQUEST;
	snprintf(meta.segment, sizeof meta.segment, "%s", conf.segment);
	snprintf(meta.sender, sizeof meta.sender, "%s", keyid);
	meta.sequence = conf.next_request;
	meta.created = now;
	meta.expires = now + (time_t)o->expires_days * PC_DAY;
	tr_bundle_name(TR_REQUEST, conf.segment, meta.sequence, name, sizeof name);
	snprintf(file, sizeof file, "%s.tar", name);

	PC_TRY_OUT(tr_bundle_build(&meta, members, nmem, &tar, e));
	/* the members are in the tar now */
	for (i = 0; i < ncsr; i++) {
		free(csrs[i].data);
		csrs[i].data = NULL;
	}
	st_timings_mark(&t, "build");
	tr_trusted_comment(&meta, name, comment, sizeof comment);
	PC_TRY_OUT(tr_minisig_make(tar.p, tar.len, &pub, comment, tr_seckey_sign, &sk, &sig, e));
	tr_seckey_free(&sk);
	st_timings_mark(&t, "sign");
	PC_TRY_OUT(tr_bundle_write(o->media, name, &tar, &sig, e));
	conf.next_request++;
	if ((rc = st_conf_save(dir, &conf, false, e)) != PC_OK) {
		pc_wrap(e, "request bundle %s/%s written, but the sequence was not advanced "
		    "(do not send another request before fixing station.conf)", o->media, file);
		goto out;
	}
	/* the bundle is written: its CMP requests are on their way (a crash
	 * before this leaves them queued, and the next bundle carries them
	 * again; the CA refuses a transaction it has seen) */
	for (i = 0; i < ntx + nrep; i++) {
		txs[i].state = i < ntx ? ST_TX_SENT : ST_TX_REPORTED;
		txs[i].updated = (uint64_t)now;
		snprintf(txs[i].bundle, sizeof txs[i].bundle, "%s", name);
	}
	PC_TRY_OUT(st_tx_save_many(dir, txs, ntx + nrep, e));
	st_timings_mark(&t, "write");
	request_report(o, file, &meta, keyid, csrs, ncsr, ntx, &t, threads);
	if (nrep > 0 && !o->json)
		printf("  %6zu certificate%s refused by %s device%s (certConf), reported to the CA\n",
		    nrep, nrep == 1 ? "" : "s", nrep == 1 ? "its" : "their", nrep == 1 ? "" : "s");
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
	if (have_taken)
		hdestroy_r(&taken);
	csrs_free(csrs, ncsr);
	for (i = 0; cmpdata != NULL && i < ntx + nrep; i++)
		free(cmpdata[i]);
	free(cmpdata);
	free(scandata);
	free(members);
	free(meta.csrs);
	pc_buf_free(&tar);
	pc_buf_free(&sig);
	pc_buf_free(&rk[0]);
	pc_buf_free(&rk[1]);
	pc_buf_free(&held);
	return rc;
}
