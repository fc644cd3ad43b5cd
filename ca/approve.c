/*
 * approve.c - `plantca approve` and `plantca reject`: the officer's
 * decision on queued requests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "capolicy.h"
#include "json.h"
#include "records.h"

PC_CHECK static pc_rc parse_id(const char *s, uint64_t *id, pc_err *e)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] < '1' || s[0] > '9')
		return pc_fail(e, PC_E_USAGE, "request id '%s': expected a number", s);
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0)
		return pc_fail(e, PC_E_USAGE, "request id '%s': expected a number", s);
	*id = v;
	return PC_OK;
}

/* Move requests to a new status in one transaction with one audit event. */
PC_CHECK static pc_rc set_status(ca_ctx *c, const uint64_t *ids, size_t n, const char *from1,
    const char *from2, const char *to, const char *reason, const char *action, pc_err *e)
{
	store_txn *t;
	pc_buf obj = PC_BUF_INIT;
	size_t i, len;
	pc_rc rc = PC_OK;
	char *objs;

	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = 0; i < n && rc == PC_OK; i++) {
		ca_request r;
		rc = ca_request_get(t, ids[i], &r, e);
		if (rc != PC_OK)
			break;
		if (strcmp(r.status, from1) != 0 && (!from2 || strcmp(r.status, from2) != 0))
			rc = pc_fail(e, PC_E_STATE, "request %" PRIu64 " is %s, not %s%s%s", ids[i],
			    r.status, from1, from2 ? " or " : "", from2 ? from2 : "");
		if (rc == PC_OK)
			rc = ca_set_str(&r.status, to, e);
		if (rc == PC_OK && reason)
			rc = ca_set_str(&r.reason, reason, e);
		if (rc == PC_OK)
			rc = ca_request_put(t, &r, false, e);
		ca_request_free(&r);
		pc_buf_printf(&obj, "%s%" PRIu64, i ? "," : "", ids[i]);
	}
	pc_buf_byte(&obj, 0);
	objs = (char *)pc_buf_steal(&obj, &len);
	if (rc == PC_OK && objs == NULL)
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK)
		rc = audit_append(t, time(NULL), action, objs, "ok", reason ? reason : "", e);
	free(objs);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, e);
}

/* A request whose profile wants approval = single is approved only by an
 * `approve ID` that names it alone: the officer looked at that one request.
 * A profile the active policy does not define counts as single too (sign
 * would refuse it anyway; a bulk approval must not wave it through). */
static bool needs_single(const policy *pol, const char *profile)
{
	policy_approval a;

	return !policy_profile_approval(pol, profile, &a) || a == POLICY_APPROVAL_SINGLE;
}

static void single_msg(pc_buf *b, uint64_t id, const char *profile)
{
	pc_buf_printf(b, "request %" PRIu64 " (profile %s) needs its own approval: plantca approve %"
	    PRIu64, id, profile, id);
}

pc_rc ca_approve(ca_ctx *c, const char *const *ids, size_t n, bool all, pc_err *e)
{
	ca_request_list l;
	store_txn *t;
	policy *pol = NULL;
	uint64_t *v = NULL;
	size_t *skip = NULL;      /* indexes into l of the requests --all left */
	size_t i, count = 0, nskip = 0;
	pc_rc rc = PC_OK;

	if (all == (n > 0))
		return pc_fail(e, PC_E_USAGE, "usage: plantca approve ID... | --all");
	memset(&l, 0, sizeof l);
	PC_TRY_OUT(ca_policy_active(c->home, &pol, e));
	if (all) {
		l.status = "pending";
		if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
			goto out;
		rc = ca_requests_load(t, &l, e);
		store_abort(t);
		if (rc == PC_OK && l.n > 0 && ((v = calloc(l.n, sizeof *v)) == NULL ||
		    (skip = calloc(l.n, sizeof *skip)) == NULL))
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		/* skipped, and said so: approve --all is never the officer's
		 * look at a request that needs one */
		for (i = 0; rc == PC_OK && i < l.n; i++) {
			if (needs_single(pol, l.v[i].profile))
				skip[nskip++] = i;
			else
				v[count++] = l.v[i].id;
		}
		if (rc != PC_OK)
			goto out;
		if (count == 0 && nskip == 0) {
			if (!c->json)
				printf("no pending requests\n");
			else
				printf("{\"approved\":[],\"skipped\":[]}\n");
			goto out;
		}
	} else {
		v = calloc(n, sizeof *v);
		if (v == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; rc == PC_OK && i < n; i++)
			rc = parse_id(ids[i], &v[count++], e);
		/* several ids: none of them may need a single approval (the
		 * profile of a request never changes, so a read is enough) */
		if (rc == PC_OK && count > 1 && (rc = store_begin(c->st, false, &t, e)) == PC_OK) {
			pc_buf msg = PC_BUF_INIT;
			for (i = 0; rc == PC_OK && i < count; i++) {
				ca_request r;
				pc_err ignored;
				if (ca_request_get(t, v[i], &r, &ignored) != PC_OK)
					continue;      /* set_status names a missing request */
				if (needs_single(pol, r.profile)) {
					if (msg.len)
						pc_buf_str(&msg, "; ");
					single_msg(&msg, r.id, r.profile);
				}
				ca_request_free(&r);
			}
			store_abort(t);
			if (msg.len) {
				pc_buf_byte(&msg, 0);
				rc = pc_buf_ok(&msg) ? pc_fail(e, PC_E_POLICY, "%s (nothing approved)",
				    (const char *)msg.p) : pc_fail(e, PC_E_NOMEM, "out of memory");
			}
			pc_buf_free(&msg);
		}
		if (rc != PC_OK)
			goto out;
	}
	if (count > 0 &&
	    (rc = set_status(c, v, count, "pending", NULL, "approved", NULL, "approve", e)) != PC_OK)
		goto out;
	if (c->json) {
		printf("{\"approved\":[");
		for (i = 0; i < count; i++)
			printf("%s%" PRIu64, i ? "," : "", v[i]);
		printf("],\"skipped\":[");
		for (i = 0; i < nskip; i++) {
			printf("%s{\"id\":%" PRIu64 ",\"profile\":", i ? "," : "", l.v[skip[i]].id);
			json_str(stdout, l.v[skip[i]].profile);
			printf("}");
		}
		printf("]}\n");
	} else {
		for (i = 0; i < nskip; i++) {
			pc_buf m = PC_BUF_INIT;
			single_msg(&m, l.v[skip[i]].id, l.v[skip[i]].profile);
			printf("%.*s\n", (int)m.len, m.p ? (const char *)m.p : "");
			pc_buf_free(&m);
		}
		printf("approved %zu request(s); plantca sign issues them\n", count);
	}
out:
	ca_request_list_free(&l);
	policy_free(pol);
	free(skip);
	free(v);
	return rc;
}

pc_rc ca_reject(ca_ctx *c, const char *id, const char *reason, pc_err *e)
{
	uint64_t v;
	char full[REASON_MAX];

	if (!id || !reason || !reason[0])
		return pc_fail(e, PC_E_USAGE, "usage: plantca reject ID --reason TEXT");
	PC_TRY(parse_id(id, &v, e));
	snprintf(full, sizeof full, "rejected by the officer: %s", reason);
	PC_TRY(set_status(c, &v, 1, "pending", "approved", "rejected", full, "reject", e));
	if (c->json)
		printf("{\"rejected\":%" PRIu64 "}\n", v);
	else
		printf("request %" PRIu64 " rejected\n", v);
	return PC_OK;
}
