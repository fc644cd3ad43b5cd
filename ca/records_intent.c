/*
 * records_intent.c - the issuance intent (STORE_INTENTS, by serial): the
 * exact TBS bytes and what the certificate record will say, committed
 * before the HSM signs.  See records.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "rec.h"
#include "records.h"

/* record type and fields (common/rec.h); never reorder, only add */
enum { REC_INTENT = 'I' };
enum {
	I_F_ISSUER = 1, I_F_TBS, I_F_KIND, I_F_PROFILE, I_F_SUBJECT, I_F_SAN, I_F_NB, I_F_NA,
	I_F_SOURCE, I_F_NEWCA, I_F_NEWCA_URI, I_F_NEWCA_ALG, I_F_CREATED, I_F_KEYTYPE, I_F_SEGMENT,
	I_F_REQUEST,
	I_F_POLICY_HASH,
};

void ca_intent_encode(const ca_job *j, pc_buf *b)
{
	pc_rec_begin(b, REC_INTENT, 1);
	pc_rec_str(b, I_F_ISSUER, j->issuer);
	pc_rec_bytes(b, I_F_TBS, j->tbs.p, j->tbs.len);
	pc_rec_str(b, I_F_KIND, j->kind);
	pc_rec_str(b, I_F_PROFILE, j->profile);
	pc_rec_str(b, I_F_SUBJECT, j->subject_text);
	pc_rec_str(b, I_F_SAN, j->san_text);
	pc_rec_u64(b, I_F_NB, (uint64_t)j->nb);
	pc_rec_u64(b, I_F_NA, (uint64_t)j->na);
	pc_rec_str(b, I_F_SOURCE, j->source);
	pc_rec_str(b, I_F_SEGMENT, j->segment);
	pc_rec_str(b, I_F_KEYTYPE, j->keytype);
	if (j->request_id)
		pc_rec_u64(b, I_F_REQUEST, j->request_id);
	if (j->policy_hash)
		pc_rec_str(b, I_F_POLICY_HASH, j->policy_hash);
	if (j->newca) {
		pc_rec_str(b, I_F_NEWCA, j->newca);
		pc_rec_str(b, I_F_NEWCA_URI, j->newca_uri);
		pc_rec_u64(b, I_F_NEWCA_ALG, j->newca_alg);
	}
	pc_rec_u64(b, I_F_CREATED, (uint64_t)time(NULL));
}

/* The jobs' borrowed strings (issuer, profile, ...) live in the list. */
static const char *keep(ca_intent_list *l, pc_reader v)
{
	char *s = ca_strdup_reader(v);

	if (s == NULL)
		return NULL;
	if (l->nstr == l->capstr) {
		size_t nc = l->capstr ? l->capstr * 2 : 64;
		char **ns = realloc(l->strings, nc * sizeof *ns);
		if (ns == NULL) {
			free(s);
			return NULL;
		}
		l->strings = ns;
		l->capstr = nc;
	}
	l->strings[l->nstr++] = s;
	return s;
}

PC_CHECK static pc_rc intent_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_intent_list *l = ctx;
	uint8_t ver, tag;
	pc_reader f;
	ca_job *j;
	uint64_t v;

	(void)stop;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		ca_job *nj = realloc(l->jobs, nc * sizeof *nj);
		if (nj == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		l->jobs = nj;
		l->cap = nc;
	}
	j = &l->jobs[l->n];
	memset(j, 0, sizeof *j);
	if (pc_reader_left(&key) != PKIX_SERIAL_LEN || !pc_rec_open(&val, REC_INTENT, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "malformed issuance intent");
	memcpy(j->serial, key.p + key.off, PKIX_SERIAL_LEN);
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case I_F_ISSUER: j->issuer = keep(l, f); break;
		case I_F_TBS: pc_buf_append(&j->tbs, f.p + f.off, pc_reader_left(&f)); break;
		case I_F_KIND: j->kind = keep(l, f); break;
		case I_F_PROFILE: j->profile = keep(l, f); break;
		case I_F_SUBJECT: j->subject_text = ca_strdup_reader(f); break;
		case I_F_SAN: j->san_text = ca_strdup_reader(f); break;
		case I_F_NB: if (pc_rec_val_u64(f, &v)) j->nb = (time_t)v; break;
		case I_F_NA: if (pc_rec_val_u64(f, &v)) j->na = (time_t)v; break;
		case I_F_SOURCE: j->source = keep(l, f); break;
		case I_F_SEGMENT: j->segment = keep(l, f); break;
		case I_F_REQUEST: (void)pc_rec_val_u64(f, &j->request_id); break;
		case I_F_KEYTYPE: {
			char *s = ca_strdup_reader(f);
			if (s)
				snprintf(j->keytype, sizeof j->keytype, "%s", s);
			free(s);
			break;
		}
		case I_F_NEWCA: j->newca = keep(l, f); break;
		case I_F_NEWCA_URI: j->newca_uri = keep(l, f); break;
		case I_F_NEWCA_ALG: (void)pc_rec_val_u64(f, &j->newca_alg); break;
		case I_F_POLICY_HASH: j->policy_hash = keep(l, f); break;
		default: break;
		}
	}
	l->n++;
	if (!pc_reader_done(&val) || !j->issuer || !j->kind || !j->profile || !j->source ||
	    !j->subject_text || !j->san_text || j->tbs.len == 0 || (j->newca && !j->newca_uri))
		return pc_fail(e, PC_E_STORE_CORRUPT, "malformed issuance intent");
	return PC_OK;
}

pc_rc ca_intents_load(store_txn *t, ca_intent_list *l, pc_err *e)
{
	return store_scan(t, STORE_INTENTS, NULL, 0, false, intent_visit, l, e);
}

void ca_intent_list_free(ca_intent_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ca_job_free(&l->jobs[i]);
	for (i = 0; i < l->nstr; i++)
		free(l->strings[i]);
	free(l->jobs);
	free(l->strings);
	memset(l, 0, sizeof *l);
}
