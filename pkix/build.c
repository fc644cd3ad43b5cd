/*
 * build.c - writing certificates (build.h).
 */
#include "build.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"

void pkix_serial_new(uint8_t serial[PKIX_SERIAL_LEN])
{
	randombytes_buf(serial, PKIX_SERIAL_LEN);
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
}

pc_rc pkix_keyid(const uint8_t *spki, size_t len, uint8_t id[PKIX_KEYID_LEN])
{
	pc_reader r = pc_reader_make(spki, len), s, alg, key;
	uint8_t h[crypto_hash_sha256_BYTES];

	if (!pc_der_read(&r, DER_SEQUENCE, &s) || !pc_der_read(&s, DER_SEQUENCE, &alg) ||
	    !pc_der_read(&s, DER_BIT_STRING, &key) || pc_reader_left(&key) < 1)
		return PC_E_INPUT;
	/* the subjectPublicKey value, without the unused-bits octet */
	crypto_hash_sha256(h, key.p + key.off + 1, pc_reader_left(&key) - 1);
	memcpy(id, h, PKIX_KEYID_LEN);
	return PC_OK;
}

static void ext_begin(pc_der *d, pkix_oid id, bool critical)
{
	size_t oidlen;
	const uint8_t *oid = pkix_oid_bytes(id, &oidlen);

	pc_der_begin(d, DER_SEQUENCE);
	pc_der_oid(d, oid, oidlen);
	if (critical)
		pc_der_bool(d, true);
	pc_der_begin(d, DER_OCTET_STRING);
}

static void ext_end(pc_der *d)
{
	pc_der_end(d);
	pc_der_end(d);
}

static void gn_write(pc_der *d, const pkix_gn *g)
{
	pc_der_tlv(d, (uint8_t)(DER_CTX | g->type), g->val, g->len);
}

static void key_usage_write(pc_der *d, unsigned ku)
{
	uint8_t b[2] = { 0, 0 };
	unsigned n, unused = 0;
	size_t len;

	for (n = 0; n < 9; n++)
		if (ku & (1u << n))
			b[n / 8] |= (uint8_t)(0x80 >> (n % 8));
	len = b[1] ? 2 : 1;
	/* DER (X.690 §11.2.2): trailing zero bits of a named bit list dropped */
	while (unused < 7 && !(b[len - 1] & (1u << unused)))
		unused++;
	pc_der_bits(d, b, len, unused);
}

pc_rc pkix_tbs_build(const pkix_tbs_params *p, pc_buf *out, pc_err *e)
{
	uint8_t ski[PKIX_KEYID_LEN];
	pc_der d;
	size_t i;
	bool san_critical;

	if (pkix_keyid(p->spki, p->spki_len, ski) != PC_OK)
		return pc_fail(e, PC_E_INPUT, "cannot compute key identifier: malformed public key");
	/* RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical */
	san_critical = p->subject_len <= 2;
	if (san_critical && p->nsan == 0)
		return pc_fail(e, PC_E_INPUT, "empty subject and no subjectAltName");

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_begin(&d, DER_CTX_CONS | 0);
	pc_der_u64(&d, 2);                                   /* v3 */
	pc_der_end(&d);
	pc_der_uint(&d, p->serial, PKIX_SERIAL_LEN);
	pc_der_raw(&d, p->sigalg, p->sigalg_len);
	pc_der_raw(&d, p->issuer, p->issuer_len);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_time(&d, p->not_before);
	pc_der_time(&d, p->not_after);
	pc_der_end(&d);
	pc_der_raw(&d, p->subject, p->subject_len);
	pc_der_raw(&d, p->spki, p->spki_len);

	pc_der_begin(&d, DER_CTX_CONS | 3);
	pc_der_begin(&d, DER_SEQUENCE);

	/* RFC 5280 §4.2.1.9: critical in CA certificates; we mark it critical
	 * in leaves too, as CA/B BR do for subscriber certificates it is allowed */
	ext_begin(&d, PKIX_OID_EXT_BC, true);
	pc_der_begin(&d, DER_SEQUENCE);
	if (p->is_ca) {
		pc_der_bool(&d, true);
		if (p->path_len >= 0)
			pc_der_u64(&d, (uint64_t)p->path_len);
	}
	pc_der_end(&d);
	ext_end(&d);

	ext_begin(&d, PKIX_OID_EXT_KU, true);         /* §4.2.1.3: SHOULD be critical */
	key_usage_write(&d, p->key_usage);
	ext_end(&d);

	if (p->eku != NULL && p->eku[0] != NULL) {
		ext_begin(&d, PKIX_OID_EXT_EKU, false);
		pc_der_begin(&d, DER_SEQUENCE);
		for (i = 0; p->eku[i] != NULL; i++)
			pc_der_oid_text(&d, p->eku[i]);
		pc_der_end(&d);
		ext_end(&d);
	}

	if (p->nsan > 0) {
		ext_begin(&d, PKIX_OID_EXT_SAN, san_critical);
		pc_der_begin(&d, DER_SEQUENCE);
		for (i = 0; i < p->nsan; i++)
			gn_write(&d, &p->san[i]);
		pc_der_end(&d);
		ext_end(&d);
	}

	ext_begin(&d, PKIX_OID_EXT_SKI, false);
	pc_der_tlv(&d, DER_OCTET_STRING, ski, sizeof ski);
	ext_end(&d);

	ext_begin(&d, PKIX_OID_EXT_AKI, false);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_tlv(&d, DER_CTX | 0, p->issuer_keyid ? p->issuer_keyid : ski, PKIX_KEYID_LEN);
	pc_der_end(&d);
	ext_end(&d);

	if (p->npermit > 0) {
		/* RFC 5280 §4.2.1.10: MUST be critical */
		ext_begin(&d, PKIX_OID_EXT_NC, true);
		pc_der_begin(&d, DER_SEQUENCE);
		pc_der_begin(&d, DER_CTX_CONS | 0);              /* permittedSubtrees */
		for (i = 0; i < p->npermit; i++) {
			pc_der_begin(&d, DER_SEQUENCE);
			gn_write(&d, &p->permit[i]);
			pc_der_end(&d);
		}
		pc_der_end(&d);
		pc_der_end(&d);
		ext_end(&d);
	}
	if (p->extra_ext_len > 0)
		pc_der_raw(&d, p->extra_ext, p->extra_ext_len);

	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return pc_fail(e, PC_E_INTERNAL, "cannot encode TBSCertificate");
	}
	pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
	return pc_buf_ok(out) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

pc_rc pkix_cert_assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t *sigalg,
    size_t sigalg_len, const uint8_t *sig, size_t sig_len, pc_buf *out)
{
	pc_der d;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_raw(&d, tbs, tbs_len);
	pc_der_raw(&d, sigalg, sigalg_len);
	pc_der_bits(&d, sig, sig_len, 0);
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return PC_E_NOMEM;
	}
	pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
	return pc_buf_ok(out) ? PC_OK : PC_E_NOMEM;
}


/* SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING (0 unused bits) } */
static void ed25519_prefix(uint8_t out[PKIX_ED25519_SPKI_LEN - PKIX_ED25519_PK_LEN])
{
	size_t ol;
	const uint8_t *o = pkix_oid_bytes(PKIX_OID_ED25519, &ol);

	out[0] = DER_SEQUENCE;
	out[1] = (uint8_t)(PKIX_ED25519_SPKI_LEN - 2);
	out[2] = DER_SEQUENCE;
	out[3] = (uint8_t)(2 + ol);
	out[4] = DER_OID;
	out[5] = (uint8_t)ol;
	memcpy(out + 6, o, ol);
	out[6 + ol] = DER_BIT_STRING;
	out[7 + ol] = PKIX_ED25519_PK_LEN + 1;
	out[8 + ol] = 0;
}

_Static_assert(PKIX_ED25519_SPKI_LEN - PKIX_ED25519_PK_LEN == 9 + 3,
    "id-Ed25519 is 3 content bytes (1.3.101.112)");

void pkix_ed25519_spki(const uint8_t pk[PKIX_ED25519_PK_LEN], uint8_t out[PKIX_ED25519_SPKI_LEN])
{
	ed25519_prefix(out);
	memcpy(out + PKIX_ED25519_SPKI_LEN - PKIX_ED25519_PK_LEN, pk, PKIX_ED25519_PK_LEN);
}

const uint8_t *pkix_ed25519_raw(const uint8_t *spki, size_t len)
{
	uint8_t p[PKIX_ED25519_SPKI_LEN - PKIX_ED25519_PK_LEN];

	ed25519_prefix(p);
	if (spki == NULL || len != PKIX_ED25519_SPKI_LEN || memcmp(spki, p, sizeof p) != 0)
		return NULL;
	return spki + sizeof p;
}
