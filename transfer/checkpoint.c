/*
 * checkpoint.c - a signed audit checkpoint as text (transfer.h): the
 * bundle member audit-checkpoint.txt, the CA's stored copy and the
 * station's kept copy are the same bytes.
 *
 *   plantca audit checkpoint 1
 *   sequence: 123
 *   head: <64 hex: the hash of audit event 123>
 *   time: 1764590000
 *   key: <64 hex: the audit key, raw Ed25519>
 *   signature: <128 hex: Ed25519 over the five lines above, newlines included>
 *
 * One encoding only: the parser reads the values and requires the text to
 * be exactly what tr_checkpoint_format writes for them (lowercase hex,
 * decimal without sign or leading zero, one LF per line, nothing after).
 * The signature is checked by the one verifier (pkix_verify, Ed25519).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pem.h"
#include "pkix.h"
#include "transfer.h"

static const char MAGIC[] = "plantca audit checkpoint 1\n";

void tr_checkpoint_message(const tr_checkpoint *c, pc_buf *b)
{
	pc_buf_str(b, MAGIC);
	pc_buf_printf(b, "sequence: %" PRIu64 "\nhead: ", c->seq);
	pc_hex_encode(b, c->head, sizeof c->head, 0);
	pc_buf_printf(b, "\ntime: %" PRIu64 "\nkey: ", c->time);
	pc_hex_encode(b, c->key, sizeof c->key, 0);
	pc_buf_byte(b, '\n');
}

void tr_checkpoint_format(const tr_checkpoint *c, pc_buf *b)
{
	tr_checkpoint_message(c, b);
	pc_buf_str(b, "signature: ");
	pc_hex_encode(b, c->sig, sizeof c->sig, 0);
	pc_buf_byte(b, '\n');
}

/* "NAME: VALUE\n" at *p; VALUE copied into v (at most cap - 1 bytes). */
static bool field(const uint8_t **p, const uint8_t *end, const char *name, char *v, size_t cap)
{
	size_t n = strlen(name);
	const uint8_t *nl;

	if ((size_t)(end - *p) < n + 2 || memcmp(*p, name, n) != 0 || (*p)[n] != ':' ||
	    (*p)[n + 1] != ' ')
		return false;
	*p += n + 2;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (nl == NULL || (size_t)(nl - *p) >= cap)
		return false;
	memcpy(v, *p, (size_t)(nl - *p));
	v[nl - *p] = '\0';
	*p = nl + 1;
	return true;
}

static bool u64_text(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0' || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static bool hex_field(const char *s, uint8_t *out, size_t n)
{
	size_t got = 0;

	return strlen(s) == 2 * n && pc_hex_decode(s, out, n, &got) && got == n;
}

PC_CHECK static pc_rc parse(const uint8_t *p, size_t len, const char *what, tr_checkpoint *c,
    pc_err *e)
{
	const uint8_t *at = p, *end = p + len;
	char v[2 * TR_SIG_LEN + 2];
	pc_buf again = PC_BUF_INIT;
	bool same;

	memset(c, 0, sizeof *c);
	if (len > TR_CHECKPOINT_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: larger than %d bytes", what, TR_CHECKPOINT_MAX);
	if (len < sizeof MAGIC - 1 || memcmp(p, MAGIC, sizeof MAGIC - 1) != 0)
		return pc_fail(e, PC_E_INPUT, "%s: not an audit checkpoint (first line is not "
		    "'plantca audit checkpoint 1')", what);
	at += sizeof MAGIC - 1;
	if (!field(&at, end, "sequence", v, sizeof v) || !u64_text(v, &c->seq) || c->seq == 0)
		return pc_fail(e, PC_E_INPUT, "%s: line 2: expected 'sequence: N' (N >= 1)", what);
	if (!field(&at, end, "head", v, sizeof v) || !hex_field(v, c->head, sizeof c->head))
		return pc_fail(e, PC_E_INPUT, "%s: line 3: expected 'head: ' and 64 hex digits", what);
	if (!field(&at, end, "time", v, sizeof v) || !u64_text(v, &c->time))
		return pc_fail(e, PC_E_INPUT, "%s: line 4: expected 'time: ' and a decimal", what);
	if (!field(&at, end, "key", v, sizeof v) || !hex_field(v, c->key, sizeof c->key))
		return pc_fail(e, PC_E_INPUT, "%s: line 5: expected 'key: ' and 64 hex digits", what);
	if (!field(&at, end, "signature", v, sizeof v) || !hex_field(v, c->sig, sizeof c->sig))
		return pc_fail(e, PC_E_INPUT, "%s: line 6: expected 'signature: ' and 128 hex digits",
		    what);
	if (at != end) {
		memset(c, 0, sizeof *c);
		return pc_fail(e, PC_E_INPUT, "%s: bytes after the signature line", what);
	}
	tr_checkpoint_format(c, &again);
	same = pc_buf_ok(&again) && again.len == len && memcmp(again.p, p, len) == 0;
	pc_buf_free(&again);
	if (!same) {
		memset(c, 0, sizeof *c);
		return pc_fail(e, PC_E_INPUT, "%s: not in the one encoding (lowercase hex, decimals "
		    "without sign or leading zeros)", what);
	}
	return PC_OK;
}

pc_rc tr_checkpoint_parse(const uint8_t *p, size_t len, const char *what, tr_checkpoint *c,
    pc_err *e)
{
	pc_rc rc = parse(p, len, what, c, e);

	if (rc != PC_OK)
		memset(c, 0, sizeof *c);
	return rc;
}

pc_rc tr_checkpoint_verify(const tr_checkpoint *c, const char *what, pc_err *e)
{
	uint8_t spki[PKIX_ED25519_SPKI_LEN];
	pc_buf msg = PC_BUF_INIT;
	pkix_pubkey k;
	pc_rc rc;

	pkix_ed25519_spki(c->key, spki);
	PC_TRY(pkix_pubkey_parse(spki, sizeof spki, what, PC_E_INPUT, &k, e));
	tr_checkpoint_message(c, &msg);
	if (!pc_buf_ok(&msg)) {
		pc_buf_free(&msg);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	rc = pkix_verify(&k, pkix_sigalg_for_key(PKIX_KEY_ED25519), msg.p, msg.len, c->sig,
	    sizeof c->sig, what, e);
	pc_buf_free(&msg);
	if (rc == PC_E_SIGNATURE)
		pc_fail(e, PC_E_SIGNATURE, "%s: checkpoint of event %" PRIu64 ": signature does not "
		    "verify with the audit key it names", what, c->seq);
	return rc;
}
