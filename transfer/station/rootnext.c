/*
 * rootnext.c - a root roll at the station (RFC 4210 §4.4, key
 * continuity): a response may carry a new self-signed root only with a
 * certificate for the new root's name and key signed by the root the
 * station trusts (NewWithOld).  After the response is installed, the new
 * root becomes DIR/root.pem and the one it replaces DIR/root.prev.pem;
 * both are trust anchors until the previous one expires, then the
 * previous one is removed at the next accept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "pem.h"
#include "station.h"
#include "text.h"

pc_rc st_root_prev_load(const char *dir, st_pki *p, pc_err *e)
{
	char path[PATH_MAX];
	pc_rc rc;

	PC_TRY(st_path_join(path, dir, ST_ROOT_PREV, e));
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return PC_OK;
	rc = st_root_load(path, &p->prev, e);
	if (rc != PC_OK)
		return rc;
	p->prev.from = "DIR/" ST_ROOT_PREV;
	if (p->prev.pc.not_after <= time(NULL)) {
		st_cert_free(&p->prev);     /* the overlap is over: no longer trusted */
		p->prev_expired = true;
	}
	return PC_OK;
}

static bool same_bytes(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

PC_CHECK static pc_rc self_signature(const st_cert *c, const char *what, pc_err *e)
{
	pkix_pubkey k;

	if (c->pc.sigalg == NULL || c->pc.sig == NULL)
		return pc_fail(e, PC_E_SIGNATURE, "%s: signature algorithm not accepted", what);
	PC_TRY(pkix_pubkey_parse(c->pc.spki, c->pc.spki_len, what, PC_E_SIGNATURE, &k, e));
	return pkix_verify(&k, c->pc.sigalg, c->pc.tbs, c->pc.tbs_len, c->pc.sig, c->pc.sig_len,
	    what, e);
}

pc_rc st_root_continuity(const st_pki *a, const st_cert *c, const char *bundle,
    const char *member, pc_err *e)
{
	const st_certs *src[3] = { &a->chain, &a->trust, &a->p7 };
	char fp[PC_FINGERPRINT_MAX], what[300];
	pkix_chain_opts o;
	pkix_chain ch;
	pc_err why;
	size_t i, k;

	pc_fingerprint(c->der, c->len, fp);
	snprintf(what, sizeof what, "%s: %s: new root '%s' (SHA-256 %s)", bundle, member, c->cn, fp);
	memset(&o, 0, sizeof o);
	o.anchors = &a->root.pc;
	o.nanchors = 1;
	o.now = time(NULL);
	o.role = "cross-certificate";
	for (k = 0; k < 3; k++)
		for (i = 0; i < src[k]->n; i++) {
			const st_cert *x = &src[k]->v[i];
			if (x->self_signed || !x->is_ca ||
			    !same_bytes(x->pc.spki, x->pc.spki_len, c->pc.spki, c->pc.spki_len) ||
			    !same_bytes(x->subject, x->subject_len, c->subject, c->subject_len))
				continue;
			if (pkix_chain_verify(&x->pc, &o, &ch, &why) != PC_OK || ch.n != 2)
				continue;           /* not signed by the trusted root itself */
			/* NewWithOld found: the new root must also be a sound anchor */
			if (!c->is_ca)
				return pc_fail(e, PC_E_BUNDLE, "%s is not a CA certificate", what);
			if (self_signature(c, what, &why) != PC_OK)
				return pc_fail(e, PC_E_BUNDLE, "%s: its self-signature does not verify",
				    what);
			if (c->pc.not_before > o.now + ST_CLOCK_SKEW || c->pc.not_after <= o.now)
				return pc_fail(e, PC_E_BUNDLE, "%s is not valid now (check this station's "
				    "clock)", what);
			return PC_OK;
		}
	return pc_fail(e, PC_E_BUNDLE, "%s is not cross-certified by the trusted root '%s' "
	    "(DIR/root.pem), so it is not the root this station trusts: the response has no "
	    "certificate for the new root's name and key signed by the trusted root's key "
	    "(NewWithOld); refused, nothing written", what, a->root.cn);
}

PC_CHECK static pc_rc write_pem(const char *dir, const char *name, const st_cert *c, pc_err *e)
{
	char path[PATH_MAX];
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	PC_TRY(st_path_join(path, dir, name, e));
	pc_pem_encode(&b, "CERTIFICATE", c->der, c->len);
	rc = pc_buf_ok(&b) ? pc_file_write_atomic(path, b.p, b.len, 0644, false, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&b);
	return rc;
}

pc_rc st_root_rotate(const char *dir, const st_pki *a, pc_err *e)
{
	char path[PATH_MAX];

	if (a->next_i > 0) {
		/* the previous root first: a crash in between leaves both known,
		 * and the same response accepted again completes the switch */
		PC_TRY(write_pem(dir, ST_ROOT_PREV, &a->root, e));
		PC_TRY(write_pem(dir, "root.pem", &a->cas.v[a->next_i], e));
		return PC_OK;
	}
	if (a->prev_expired) {
		PC_TRY(st_path_join(path, dir, ST_ROOT_PREV, e));
		if (unlink(path) != 0 && errno != ENOENT)
			return pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
	}
	return PC_OK;
}
