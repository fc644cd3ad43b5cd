/*
 * issue.c - `plantca issue`: certificates from CSR files, all checked
 * before any is signed.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include "capolicy.h"
#include "file.h"
#include "format.h"
#include "home.h"
#include "json.h"
#include "leaf.h"
#include "pem.h"
#include "pipeline.h"
#include "records.h"

/* Parsing a CSR and checking its self-signature is the costliest step
 * before signing (wolfSSL's generic ECC math), and requests are
 * independent: workers take every n-th request.  The first failure in
 * request order is the one reported; on failure no ca_job is left allocated. */
struct prep_shared {
	const ca_issue_opts *o;
	const policy *pol;
	const ca_rec *issuer;
	const uint8_t *sigalg;
	size_t sigalg_len;
	const uint8_t *ikid;
	ca_job *jobs;
	pc_rc *rcs;
	pc_err *errs;
	size_t nworkers;
	atomic_bool stop;
};

struct prep_worker {
	struct prep_shared *sh;
	size_t first;
	pthread_t tid;
};

static void *prep_run(void *arg)
{
	struct prep_worker *w = arg;
	struct prep_shared *sh = w->sh;
	size_t i;

	for (i = w->first; i < sh->o->ncsr; i += sh->nworkers) {
		if (atomic_load(&sh->stop)) {
			sh->rcs[i] = PC_E_STATE;   /* skipped: another request failed */
			continue;
		}
		uint8_t *buf = NULL;
		size_t len = 0;
		sh->rcs[i] = pc_file_read(sh->o->csr_paths[i], PKIX_CSR_MAX, &buf, &len,
		    &sh->errs[w->first]);
		if (sh->rcs[i] == PC_OK)
			sh->rcs[i] = ca_prepare_leaf(sh->o->ca, sh->pol, sh->o->profile, sh->issuer,
			    sh->sigalg, sh->sigalg_len, sh->ikid, buf, len, sh->o->csr_paths[i], NULL, "",
			    NULL, sh->o->days, &sh->jobs[i], &sh->errs[w->first]);
		free(buf);
		if (sh->rcs[i] != PC_OK) {
			atomic_store(&sh->stop, true);
			/* keep this worker's first failure in its error slot */
			for (i += sh->nworkers; i < sh->o->ncsr; i += sh->nworkers)
				sh->rcs[i] = PC_E_STATE;
			break;
		}
	}
	/* wolfSSL's FP_ECC point cache is thread-local: free it before the
	 * thread ends, or each worker leaks its tables (harmless on the main
	 * thread, where it only empties the cache) */
	wc_ecc_fp_free();
	return NULL;
}

PC_CHECK static pc_rc prepare_all(const ca_issue_opts *o, const policy *pol, const ca_rec *issuer,
    hsm_key *ik, const uint8_t *ikid, ca_job *jobs, pc_err *e)
{
	struct prep_shared sh;
	struct prep_worker w[CA_PREP_WORKERS_MAX];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n, i, started = 0, bad = SIZE_MAX;
	pc_rc rc = PC_OK;

	n = ncpu < 1 ? 1 : (size_t)ncpu;
	if (n > CA_PREP_WORKERS_MAX)
		n = CA_PREP_WORKERS_MAX;
	if (n > o->ncsr)
		n = o->ncsr;
	memset(&sh, 0, sizeof sh);
	sh.o = o;
	sh.pol = pol;
	sh.issuer = issuer;
	sh.sigalg = hsm_key_sigalg(ik, &sh.sigalg_len);
	sh.ikid = ikid;
	sh.jobs = jobs;
	sh.nworkers = n;
	atomic_init(&sh.stop, false);
	sh.rcs = calloc(o->ncsr, sizeof *sh.rcs);
	sh.errs = calloc(n, sizeof *sh.errs);
	if (sh.rcs == NULL || sh.errs == NULL) {
		free(sh.rcs);
		free(sh.errs);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		w[i].sh = &sh;
		w[i].first = i;
		if (n == 1 || pthread_create(&w[i].tid, NULL, prep_run, &w[i]) != 0) {
			if (i == 0) {     /* no threads: do it all here */
				sh.nworkers = 1;
				prep_run(&w[0]);
				started = 0;
				break;
			}
			atomic_store(&sh.stop, true);
			rc = pc_fail(e, PC_E_INTERNAL, "cannot start a worker thread");
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	if (rc == PC_OK) {
		for (i = 0; i < o->ncsr; i++)
			if (sh.rcs[i] != PC_OK && sh.rcs[i] != PC_E_STATE) {
				bad = i;
				break;
			}
		if (bad == SIZE_MAX) {
			for (i = 0; i < o->ncsr; i++)
				if (sh.rcs[i] != PC_OK) {
					rc = pc_fail(e, PC_E_INTERNAL, "request %zu was not prepared", i);
					break;
				}
		} else {
			*e = sh.errs[bad % sh.nworkers];
			rc = e->rc;
		}
	}
	if (rc != PC_OK)
		for (i = 0; i < o->ncsr; i++)
			if (sh.rcs[i] == PC_OK)
				ca_job_free(&jobs[i]);
	free(sh.rcs);
	free(sh.errs);
	return rc;
}

PC_CHECK static pc_rc write_outputs(ca_ctx *c, const ca_issue_opts *o, ca_job *jobs, size_t n, pc_err *e)
{
	pc_buf all = PC_BUF_INIT, one = PC_BUF_INIT;
	char path[PATH_MAX], hex[2 * PKIX_SERIAL_LEN + 1];
	size_t i;
	pc_rc rc = PC_OK;

	for (i = 0; i < n && rc == PC_OK; i++) {
		ca_job *j = &jobs[i];
		ca_serial_hex(j->serial, PKIX_SERIAL_LEN, hex);
		one.len = 0;
		if (o->der)
			pc_buf_append(&one, j->cert.p, j->cert.len);
		else
			pc_pem_encode(&one, "CERTIFICATE", j->cert.p, j->cert.len);
		if (!pc_buf_ok(&one)) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			break;
		}
		if (o->out_dir) {
			snprintf(path, sizeof path, "%s/%s.%s", o->out_dir, hex, o->der ? "der" : "pem");
			rc = pc_file_write_nosync(path, one.p, one.len, 0644, e);
		} else {
			pc_buf_append(&all, one.p, one.len);
		}
	}
	if (rc == PC_OK && o->out_dir)
		rc = pc_dir_sync(o->out_dir, e);
	else if (rc == PC_OK && o->out_file)
		rc = pc_buf_ok(&all) ? pc_file_write_atomic(o->out_file, all.p, all.len, 0644, true, e)
		    : pc_fail(e, PC_E_NOMEM, "out of memory");
	else if (rc == PC_OK && !c->json)
		fwrite(all.p, 1, all.len, stdout);
	pc_buf_free(&all);
	pc_buf_free(&one);
	return rc;
}

pc_rc ca_issue(ca_ctx *c, const ca_issue_opts *o, pc_err *e)
{
	policy *pol = NULL;
	ca_rec issuer;
	store_txn *t;
	hsm_key *ik = NULL;
	ca_job *jobs = NULL;
	uint8_t ikid[PKIX_KEYID_LEN];
	size_t i, made = 0;
	struct stat st;
	pc_rc rc;

	memset(&issuer, 0, sizeof issuer);
	if (!o->ca || !o->profile)
		return pc_fail(e, PC_E_USAGE, "issue needs --ca NAME and --profile P");
	if (o->ncsr == 0)
		return pc_fail(e, PC_E_USAGE, "issue needs at least one CSR file");
	if (o->ncsr > CA_BATCH_MAX)
		return pc_fail(e, PC_E_LIMIT, "%zu CSRs: more than %d in one run", o->ncsr, CA_BATCH_MAX);
	if (o->out_dir && o->out_file)
		return pc_fail(e, PC_E_USAGE, "use -o FILE or --out-dir DIR, not both");
	if (o->der && o->ncsr > 1 && !o->out_dir)
		return pc_fail(e, PC_E_USAGE, "--der with several CSRs needs --out-dir");
	if (o->out_dir && (stat(o->out_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		return pc_fail(e, PC_E_USAGE, "%s: not a directory", o->out_dir);
	if (o->out_file && access(o->out_file, F_OK) == 0)
		return pc_fail(e, PC_E_EXISTS, "%s: already exists; not overwriting", o->out_file);
	PC_TRY_OUT(ca_policy_active(c->home, &pol, e));
	if (!policy_has_profile(pol, o->profile)) {
		rc = pc_fail(e, PC_E_USAGE, "unknown profile '%s' (%s)", o->profile,
		    policy_profile_names(pol));
		policy_free(pol);
		return rc;
	}
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK) {
		policy_free(pol);
		return rc;
	}
	rc = ca_rec_get(t, o->ca, &issuer, e);
	store_abort(t);
	if (rc != PC_OK) {
		policy_free(pol);
		return rc;
	}
	if (strcmp(o->ca, "root") == 0) {
		rc = pc_fail(e, PC_E_USAGE, "the root issues only CA certificates; use an issuing CA "
		    "(plantca ca new)");
		goto out;
	}
	if (issuer.v.not_after <= time(NULL)) {
		rc = pc_fail(e, PC_E_STATE, "CA '%s' has expired", o->ca);
		goto out;
	}
	if (pkix_keyid(issuer.v.spki, issuer.v.spki_len, ikid) != PC_OK) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': malformed key in its certificate", o->ca);
		goto out;
	}
	/* The HSM session comes first: the signature algorithm is the key's. */
	if ((rc = ca_hsm_ready(c, e)) != PC_OK || (rc = ca_key_for(c, o->ca, issuer.key_uri, &ik, e)) != PC_OK)
		goto out;
	jobs = calloc(o->ncsr, sizeof *jobs);
	if (jobs == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	/* Every CSR is read and checked before anything is written: one bad
	 * request refuses the batch and leaves the store as it was. */
	rc = prepare_all(o, pol, &issuer, ik, ikid, jobs, e);
	if (rc != PC_OK)
		goto out;
	made = o->ncsr;
	if ((rc = ca_run_jobs(c, jobs, o->ncsr, false, NULL, e)) != PC_OK)
		goto out;
	if ((rc = write_outputs(c, o, jobs, o->ncsr, e)) != PC_OK) {
		pc_wrap(e, "certificates are issued and recorded (plantca certs), but writing them failed");
		goto out;
	}
	if (c->json) {
		printf("[");
		for (i = 0; i < o->ncsr; i++) {
			char hex[2 * PKIX_SERIAL_LEN + 1];
			ca_serial_hex(jobs[i].serial, PKIX_SERIAL_LEN, hex);
			printf("%s{\"serial\":\"%s\",\"subject\":", i ? "," : "", hex);
			json_str(stdout, jobs[i].subject_text);
			printf(",\"source\":");
			json_str(stdout, jobs[i].source);
			printf("}");
		}
		printf("]\n");
	} else if (o->out_file || o->out_dir) {
		fprintf(stderr, "plantca: issued %zu certificate(s) with CA %s, profile %s, into %s\n",
		    o->ncsr, o->ca, o->profile, o->out_file ? o->out_file : o->out_dir);
	}
out:
	for (i = 0; i < made; i++)
		ca_job_free(&jobs[i]);
	free(jobs);
	ca_rec_free(&issuer);
	policy_free(pol);   /* jobs pointed into it (profile, hash) */
	return rc;
}
