/*
 * records_firmware.c - firmware signer records and the queue of firmware
 * signatures waiting for a segment's next response bundle (both in
 * STORE_META).  See records.h.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "records.h"

#define META_FW_PENDING_PREFIX "fw.pending."
#define META_FW_SEQ "fw.pending.seq"

void ca_signer_rec_free(ca_signer_rec *s)
{
	pc_rec_free(&ca_signer_rec_type, s);
}

pc_rc ca_signer_rec_decode(pc_reader val, ca_signer_rec *s, pc_err *e)
{
	return pc_rec_decode(&ca_signer_rec_type, val, s, e);
}

pc_rc ca_signer_rec_encode(pc_buf *b, const char *name, const char *key_uri,
    const uint8_t serial[PKIX_SERIAL_LEN], const char *ca, uint64_t alg, time_t created,
    pc_err *e)
{
	/* the record only borrows the strings to write them */
	ca_signer_rec s = {
		.name = (char *)name, .key_uri = (char *)key_uri, .ca = (char *)ca, .alg = alg,
		.created = (uint64_t)created,
	};

	memcpy(s.serial, serial, PKIX_SERIAL_LEN);
	return pc_rec_encode(&ca_signer_rec_type, &s, b, e);
}

pc_rc ca_signer_key(const char *name, char *key, size_t n, pc_err *e)
{
	if (!valid_ca_name(name))
		return pc_fail(e, PC_E_USAGE, "signer name '%s': use 1-%d letters, digits, '-', '_', '.'",
		    name ? name : "", CA_NAME_MAX);
	snprintf(key, n, "%s%s", META_SIGNER_PREFIX, name);
	return PC_OK;
}

pc_rc ca_signer_get(store_txn *t, const char *name, ca_signer_rec *s, pc_err *e)
{
	char key[16 + CA_NAME_MAX + 1];
	pc_reader val;
	pc_rc rc;

	PC_TRY(ca_signer_key(name, key, sizeof key, e));
	rc = store_get(t, STORE_META, key, strlen(key), &val, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_NOTFOUND, "signer '%s' does not exist (see plantca firmware "
		    "signer list)", name);
	if (rc != PC_OK)
		return rc;
	if ((rc = ca_signer_rec_decode(val, s, e)) != PC_OK)
		pc_wrap(e, "signer '%s'", name);
	return rc;
}

/* minisign key id of a signer: the first 8 bytes of BLAKE2b-256 of the raw
 * Ed25519 public key (minisign itself picks random ids; any fixed 8 bytes
 * work, and deriving them makes the id reproducible from the certificate). */
void ca_fw_minisign_keyid(const uint8_t pk[32], uint8_t id[8])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof h, pk, 32, NULL, 0);
	memcpy(id, h, 8);
}

/* key: "fw.pending." SEGMENT NUL sequence (u64 big-endian), so that a
 * prefix scan of one segment returns its signatures in queue order */
static void pending_prefix(pc_buf *k, const char *segment)
{
	pc_buf_str(k, META_FW_PENDING_PREFIX);
	pc_buf_str(k, segment);
	pc_buf_byte(k, 0);
}

pc_rc ca_firmware_queue(store_txn *t, const char *segment, const char *name, const uint8_t *sig,
    size_t len, const char *package, const char *version, time_t now, pc_err *e)
{
	/* the record only borrows the strings and bytes to write them */
	const ca_fw_pending_rec r = {
		.name = (char *)name, .sig = sig, .sig_len = len, .created = (uint64_t)now,
		.package = (char *)package, .version = (char *)version,
	};
	uint64_t seq = 0;
	uint8_t seqbe[8];
	pc_buf key = PC_BUF_INIT, rec = PC_BUF_INIT;
	bool found;
	pc_rc rc;

	rc = ca_meta_get_u64(t, META_FW_SEQ, &seq, &found, e);
	if (rc == PC_OK && seq == UINT64_MAX)
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "META %s: exhausted", META_FW_SEQ);
	seq++;
	ca_id_key(seq, seqbe);
	pending_prefix(&key, segment);
	pc_buf_append(&key, seqbe, sizeof seqbe);
	if (rc == PC_OK)
		rc = pc_rec_encode(&ca_fw_pending_type, &r, &rec, e);
	if (rc == PC_OK && !pc_buf_ok(&key))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK)
		rc = ca_meta_put_u64(t, META_FW_SEQ, seq, e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, key.p, key.len, rec.p, rec.len, true, e);
	pc_buf_free(&key);
	pc_buf_free(&rec);
	return rc;
}

struct pending_ctx {
	ca_fw_pending_fn fn;
	void *ctx;
};

PC_CHECK static pc_rc pending_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct pending_ctx *p = ctx;
	ca_fw_pending_rec r;
	pc_rc rc;

	(void)key;
	(void)stop;
	PC_TRY(pc_rec_decode(&ca_fw_pending_type, val, &r, e));
	rc = p->fn(p->ctx, r.name, r.sig, r.sig_len, e);
	pc_rec_free(&ca_fw_pending_type, &r);
	return rc;
}

pc_rc ca_firmware_pending(ca_ctx *c, store_txn *t, const char *segment, ca_fw_pending_fn fn,
    void *ctx, pc_err *e)
{
	struct pending_ctx p = { fn, ctx };
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	(void)c;
	pending_prefix(&k, segment);
	rc = pc_buf_ok(&k) ? store_scan(t, STORE_META, k.p, k.len, false, pending_visit, &p, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	return rc;
}

struct clear_ctx {
	pc_buf keys;       /* length-prefixed keys to delete after the scan */
	size_t n;
};

PC_CHECK static pc_rc clear_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct clear_ctx *cc = ctx;
	size_t n = pc_reader_left(&key);

	(void)val;
	(void)stop;
	pc_buf_u32be(&cc->keys, (uint32_t)n);
	pc_buf_append(&cc->keys, pc_reader_take(&key, n), n);
	cc->n++;
	return pc_buf_ok(&cc->keys) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

pc_rc ca_firmware_pending_clear(ca_ctx *c, store_txn *t, const char *segment, pc_err *e)
{
	struct clear_ctx cc = { PC_BUF_INIT, 0 };
	pc_buf k = PC_BUF_INIT;
	pc_reader r;
	pc_rc rc;

	(void)c;
	pending_prefix(&k, segment);
	rc = pc_buf_ok(&k) ? store_scan(t, STORE_META, k.p, k.len, false, clear_visit, &cc, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	r = pc_reader_make(cc.keys.p, cc.keys.len);
	while (rc == PC_OK && pc_reader_left(&r)) {
		uint32_t n;
		const uint8_t *p;
		if (!pc_reader_u32be(&r, &n) || (p = pc_reader_take(&r, n)) == NULL) {
			rc = pc_fail(e, PC_E_INTERNAL, "pending key list");
			break;
		}
		rc = store_del(t, STORE_META, p, n, e);
	}
	pc_buf_free(&k);
	pc_buf_free(&cc.keys);
	return rc;
}

/* ------------------------------------------------ signatures made */

#define META_FW_SIG_PREFIX "fw.sig."
#define META_FW_SIG_SEQ "fw.sig.seq"

pc_rc ca_fw_sig_put(store_txn *t, const ca_fw_sig_rec *r, pc_err *e)
{
	uint64_t seq = 0;
	uint8_t seqbe[8];
	pc_buf key = PC_BUF_INIT, rec = PC_BUF_INIT;
	bool found;
	pc_rc rc;

	rc = ca_meta_get_u64(t, META_FW_SIG_SEQ, &seq, &found, e);
	if (rc == PC_OK && seq == UINT64_MAX)
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "META %s: exhausted", META_FW_SIG_SEQ);
	seq++;
	ca_id_key(seq, seqbe);
	pc_buf_str(&key, META_FW_SIG_PREFIX);
	pc_buf_append(&key, seqbe, sizeof seqbe);
	if (rc == PC_OK)
		rc = pc_rec_encode(&ca_fw_sig_type, r, &rec, e);
	if (rc == PC_OK && !pc_buf_ok(&key))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK)
		rc = ca_meta_put_u64(t, META_FW_SIG_SEQ, seq, e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, key.p, key.len, rec.p, rec.len, true, e);
	pc_buf_free(&key);
	pc_buf_free(&rec);
	return rc;
}

struct sig_ctx {
	ca_fw_sig_fn fn;
	void *ctx;
};

PC_CHECK static pc_rc sig_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct sig_ctx *p = ctx;
	ca_fw_sig_rec r;
	pc_rc rc;

	(void)stop;
	/* the prefix also matches the counter "fw.sig.seq" */
	if (pc_reader_left(&key) != strlen(META_FW_SIG_PREFIX) + 8)
		return PC_OK;
	PC_TRY(pc_rec_decode(&ca_fw_sig_type, val, &r, e));
	rc = p->fn(p->ctx, &r, e);
	pc_rec_free(&ca_fw_sig_type, &r);
	return rc;
}

pc_rc ca_fw_sig_scan(store_txn *t, ca_fw_sig_fn fn, void *ctx, pc_err *e)
{
	struct sig_ctx p = { fn, ctx };

	return store_scan(t, STORE_META, META_FW_SIG_PREFIX, strlen(META_FW_SIG_PREFIX), false,
	    sig_visit, &p, e);
}
