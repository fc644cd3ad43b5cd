/*
 * fuzz_station_cert.c - plantca-station's certificate reader as accept uses
 * it on bundle members, then the chain check and the layouts.  The input is
 * one file: a SERIAL.crt member (st_cert_load: one PEM block or DER),
 * chain.pem or trust.pem (st_certs_add_pem), or a device certificate file
 * already in PKI_DIR (st_cert_load_first).  What parses is then checked
 * against a fixed station root (fuzz_station.h) as a device certificate,
 * or as a CA of chain.pem, with st_pki_verify, and what verifies is planned
 * in both layouts.
 *
 * Properties:
 *  - a refusal is PC_E_INPUT or PC_E_LIMIT (PC_E_NOMEM) whose message
 *    starts with the name given, and leaves the certificate empty;
 *  - a parsed certificate's names, serial and SANs lie inside its own DER;
 *    the serial is 1..ST_SERIAL_MAX octets of lowercase hex; the CN has no
 *    control byte; self_signed is exactly issuer == subject; the SAN text
 *    fits ST_SAN_TEXT_MAX; the file stem is a safe name;
 *  - the chain check gives a refusal of its own set or PC_OK, and the files
 *    a verified response would write stay inside PKI_DIR.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_station.h"
#include "pem.h"

static bool inside(const st_cert *c, const uint8_t *p, size_t n)
{
	return p >= c->der && n <= c->len && (size_t)(p - c->der) <= c->len - n;
}

static void check_cert(const st_cert *c)
{
	char text[ST_SAN_TEXT_MAX + 1], stem[ST_FILE_STEM_MAX + 1];
	size_t i, n = strlen(c->serial);

	FUZZ_ASSERT(c->der != NULL && c->len > 0 && c->len <= ST_CERT_FILE_MAX);
	FUZZ_ASSERT(inside(c, c->issuer, c->issuer_len) && inside(c, c->subject, c->subject_len));
	FUZZ_ASSERT(n >= 2 && n <= 2 * ST_SERIAL_MAX && n % 2 == 0);
	for (i = 0; i < n; i++)
		FUZZ_ASSERT((c->serial[i] >= '0' && c->serial[i] <= '9') ||
		    (c->serial[i] >= 'a' && c->serial[i] <= 'f'));
	for (i = 0; c->cn[i] != '\0'; i++)
		FUZZ_ASSERT((unsigned char)c->cn[i] >= 0x20 && c->cn[i] != 0x7f);
	FUZZ_ASSERT(c->self_signed == (c->issuer_len == c->subject_len &&
	    memcmp(c->issuer, c->subject, c->subject_len) == 0));
	FUZZ_ASSERT(c->nsan <= ST_SAN_MAX);
	for (i = 0; i < c->nsan; i++)
		FUZZ_ASSERT(inside(c, c->san[i], c->san_len[i]));
	st_san_text(c, text);
	FUZZ_ASSERT(strlen(text) <= ST_SAN_TEXT_MAX);
	for (i = 0; text[i] != '\0'; i++)
		FUZZ_ASSERT((unsigned char)text[i] >= 0x20 && text[i] != 0x7f);
	st_cert_stem(c, stem);
	FUZZ_ASSERT(fuzz_component_ok(stem, strlen(stem)));
}

static void check_refusal(pc_rc rc, const st_cert *c, const pc_err *e, const char *what)
{
	FUZZ_ASSERT(rc == PC_E_INPUT || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
	FUZZ_ASSERT(c->der == NULL && c->len == 0 && c->nsan == 0);
	FUZZ_ASSERT(strncmp(e->msg, what, strlen(what)) == 0);
}

/* c (parsed) against the station root: as a device certificate, or as the
 * CA of chain.pem when it says it is one. */
static void check_chain(const uint8_t *der, size_t len, bool is_ca)
{
	st_pki pki;
	st_cert c;
	pc_err e;
	pc_rc rc;

	memset(&pki, 0, sizeof pki);
	memset(&e, 0, sizeof e);
	fuzz_station_root(&pki.root);
	pki.chain.what = "chain.pem";
	if (is_ca) {
		FUZZ_ASSERT(st_certs_add_der(&pki.chain, der, len, &e) == PC_OK);
	} else {
		FUZZ_ASSERT(st_cert_parse(der, len, "member", &c, &e) == PC_OK);
		FUZZ_ASSERT(st_certs_push(&pki.devices, &c, &e) == PC_OK);
	}
	rc = st_pki_verify(&pki, "fuzz", &e);
	FUZZ_ASSERT(rc == PC_OK || rc == PC_E_BUNDLE || rc == PC_E_CRYPTO || rc == PC_E_NOMEM);
	if (rc == PC_OK) {
		size_t i;
		FUZZ_ASSERT(pki.cas.n >= 1 && pki.cas.v[0].der == pki.root.der);
		for (i = 0; i < pki.devices.n; i++)
			FUZZ_ASSERT(st_certs_find_issuer(&pki.cas, &pki.devices.v[i]) != NULL);
		fuzz_plan_all(&pki);
	} else {
		FUZZ_ASSERT(strncmp(e.msg, "fuzz: ", 6) == 0 || rc != PC_E_BUNDLE);
	}
	st_pki_free(&pki);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	st_certs chain;
	st_cert c;
	pc_err e;
	pc_rc rc;
	size_t i;

	/* a SERIAL.crt member */
	memset(&e, 0, sizeof e);
	rc = st_cert_load(data, size, "member", &c, &e);
	if (rc != PC_OK) {
		check_refusal(rc, &c, &e, "member");
	} else {
		check_cert(&c);
		check_chain(c.der, c.len, c.is_ca);
		st_cert_free(&c);
	}

	/* chain.pem / trust.pem */
	memset(&chain, 0, sizeof chain);
	chain.what = "chain.pem";
	if (st_certs_add_pem(&chain, data, size, &e) == PC_OK)
		for (i = 0; i < chain.n; i++) {
			check_cert(&chain.v[i]);
			FUZZ_ASSERT(chain.v[i].from == chain.what);
		}
	st_certs_free(&chain);

	/* a file accept would replace: whose certificate does it hold? */
	rc = st_cert_load_first(data, size, "certificate", &c, &e);
	if (rc == PC_OK && c.der != NULL) {
		check_cert(&c);
	} else if (rc != PC_OK) {
		/* the PEM reader's own message: its caller says which file */
		FUZZ_ASSERT(rc == PC_E_INPUT || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
		FUZZ_ASSERT(c.der == NULL && e.msg[0] != '\0');
	}
	st_cert_free(&c);
	return 0;
}
