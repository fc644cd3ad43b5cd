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
#include "rec.h"
#include "records.h"

/* record types and fields (common/rec.h); never reorder, only add */
enum { REC_SIGNER = 'F', REC_FW_PENDING = 'P' };
enum { FS_F_NAME = 1, FS_F_KEY_URI, FS_F_SERIAL, FS_F_CA, FS_F_ALG, FS_F_CREATED };
enum { P_F_NAME = 1, P_F_SIG, P_F_CREATED, P_F_PACKAGE, P_F_VERSION };

#define META_FW_PENDING_PREFIX "fw.pending."
#define META_FW_SEQ "fw.pending.seq"

void ca_signer_rec_free(ca_signer_rec *s)
{
	free(s->name);
	free(s->key_uri);
	free(s->ca);
	memset(s, 0, sizeof *s);
}

pc_rc ca_signer_rec_decode(pc_reader val, ca_signer_rec *s, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;

	memset(s, 0, sizeof *s);
	if (!pc_rec_open(&val, REC_SIGNER, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "signer record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case FS_F_NAME: s->name = ca_strdup_reader(f); break;
		case FS_F_KEY_URI: s->key_uri = ca_strdup_reader(f); break;
		case FS_F_CA: s->ca = ca_strdup_reader(f); break;
		case FS_F_ALG: (void)pc_rec_val_u64(f, &s->alg); break;
		case FS_F_CREATED: (void)pc_rec_val_u64(f, &s->created); break;
		case FS_F_SERIAL:
			if (pc_reader_left(&f) == PKIX_SERIAL_LEN) {
				memcpy(s->serial, pc_reader_take(&f, PKIX_SERIAL_LEN), PKIX_SERIAL_LEN);
				s->have_serial = true;
			}
			break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !s->name || !s->key_uri || !s->ca || !s->have_serial) {
		ca_signer_rec_free(s);
		return pc_fail(e, PC_E_STORE_CORRUPT, "signer record is truncated or malformed");
	}
	return PC_OK;
}

void ca_signer_rec_encode(pc_buf *b, const char *name, const char *key_uri,
    const uint8_t serial[PKIX_SERIAL_LEN], const char *ca, uint64_t alg, time_t created)
{
	pc_rec_begin(b, REC_SIGNER, 1);
	pc_rec_str(b, FS_F_NAME, name);
	pc_rec_str(b, FS_F_KEY_URI, key_uri);
	pc_rec_bytes(b, FS_F_SERIAL, serial, PKIX_SERIAL_LEN);
	pc_rec_str(b, FS_F_CA, ca);
	pc_rec_u64(b, FS_F_ALG, alg);
	pc_rec_u64(b, FS_F_CREATED, (uint64_t)created);
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
	return ca_signer_rec_decode(val, s, e);
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

const uint8_t *ca_ed25519_raw(const uint8_t *spki, size_t len)
{
	/* RFC 8410: 30 2a 30 05 06 03 2b 65 70 03 21 00 || 32 bytes */
	static const uint8_t hdr[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03,
		0x21, 0x00 };
	if (len != sizeof hdr + 32 || memcmp(spki, hdr, sizeof hdr) != 0)
		return NULL;
	return spki + sizeof hdr;
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
	pc_reader v;
	uint64_t seq = 0;
	uint8_t seqbe[8];
	pc_buf key = PC_BUF_INIT, rec = PC_BUF_INIT;
	pc_rc rc;
	int i;

	rc = store_get(t, STORE_META, META_FW_SEQ, strlen(META_FW_SEQ), &v, e);
	if (rc == PC_OK && !pc_reader_u64be(&v, &seq))
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "%s is malformed", META_FW_SEQ);
	else if (rc == PC_E_NOTFOUND)
		rc = PC_OK;
	seq++;
	for (i = 7; i >= 0; i--)
		seqbe[7 - i] = (uint8_t)(seq >> (8 * i));
	pending_prefix(&key, segment);
	pc_buf_append(&key, seqbe, sizeof seqbe);
	pc_rec_begin(&rec, REC_FW_PENDING, 1);
	pc_rec_str(&rec, P_F_NAME, name);
	pc_rec_bytes(&rec, P_F_SIG, sig, len);
	pc_rec_u64(&rec, P_F_CREATED, (uint64_t)now);
	pc_rec_str(&rec, P_F_PACKAGE, package);
	pc_rec_str(&rec, P_F_VERSION, version);
	if (rc == PC_OK && (!pc_buf_ok(&key) || !pc_buf_ok(&rec)))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, META_FW_SEQ, strlen(META_FW_SEQ), seqbe, 8, false, e);
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
	uint8_t ver, tag;
	pc_reader f, sig = pc_reader_make(NULL, 0);
	char *name = NULL;
	bool have_sig = false;
	pc_rc rc;

	(void)key;
	(void)stop;
	if (!pc_rec_open(&val, REC_FW_PENDING, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "pending firmware record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		if (tag == P_F_NAME && !name)
			name = ca_strdup_reader(f);
		else if (tag == P_F_SIG) {
			sig = f;
			have_sig = true;
		}
	}
	if (!pc_reader_done(&val) || !name || !have_sig) {
		free(name);
		return pc_fail(e, PC_E_STORE_CORRUPT, "pending firmware record is malformed");
	}
	rc = p->fn(p->ctx, name, sig.p + sig.off, pc_reader_left(&sig), e);
	free(name);
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
