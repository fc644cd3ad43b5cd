/*
 * plantca-station - the plant side of plantca (DESIGN.md "Two machines, two
 * programs", "Bundles on removable media", "The OPC UA layout on the plant
 * side").  One verb per run:
 *
 *   init     a station directory: an Ed25519 key pair in minisign format
 *            (secret key scrypt-encrypted with a passphrase), the CA transfer
 *            key and the root certificate it trusts, station.conf;
 *   request  CSRs -> a request bundle signed with the station key;
 *   accept   a response bundle signed by the CA transfer key -> certificate,
 *            chain, trust bundle and CRL files in a flat or OPC UA layout.
 *
 * Station directory (mode 0700):
 *   station.key      minisign secret key, 0600, created with O_EXCL
 *   station.pub      minisign public key: the CA officer enrolls it
 *   ca-transfer.pub  the CA transfer key: the only key `accept` trusts
 *   root.pem         the plant root certificate
 *   station.conf     segment, next request sequence, last accepted response
 *
 * Trust: a response bundle is untrusted until tr_bundle_read() verified its
 * signature over the bytes it then parses.  Even signed, certificates and
 * CRLs are parsed with bounds and cross-checked before the first byte is
 * written: each certificate's serial against its member name; every CA
 * certificate (chain.pem, trust.pem, trust.p7b), device certificate and CRL
 * signature-verified up to the station's own root; trust.p7b parsed
 * strictly (transfer.h tr_p7b_parse) and holding exactly trust.pem's
 * certificates; the certificates of firmware-*.p7s checked by the firmware
 * verifier against the same root.  Nothing is written that was not parsed
 * and checked (certificates, CRLs and trust.p7b are re-encoded from what
 * was checked).  Output file names come from fixed names,
 * parsed serials and sanitised common names, never from a member name as
 * given, and a device certificate file is replaced only by a certificate of
 * the same identity (its subjectAltName set; check_replacements).
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/asn.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "der.h"
#include "file.h"
#include "json.h"
#include "pc.h"
#include "pem.h"
#include "secret.h"
#include "text.h"
#include "transfer.h"
#include "fwverify.h"

enum {
	ST_CSR_MAX = 64 * 1024,        /* bytes in one CSR file */
	ST_KEYFILE_MAX = 4096,         /* minisign key files */
	ST_CERT_FILE_MAX = 64 * 1024,  /* DIR/root.pem, --trust */
	ST_CONF_MAX = 4096,            /* station.conf */
	ST_CN_MAX = 64,                /* RFC 5280 ub-common-name */
	ST_FILE_STEM_MAX = 64,         /* sanitised output names (before the suffix) */
	ST_CHAIN_DEPTH_MAX = 8,        /* CA certificates above one device certificate */
	ST_EXPIRES_DEFAULT = 30,       /* days a request bundle stays valid */
	ST_EXPIRES_MAX = TR_LIFETIME_MAX_DAYS,   /* the CA refuses longer-lived bundles */
	ST_SERIAL_HEX = 40,            /* member SERIAL.crt: 20-octet serials (RFC 5280 §4.1.2.2) */
	ST_SAN_MAX = 64,               /* SAN entries in one certificate (the CA's POLICY_SANS_MAX) */
	ST_SAN_TEXT_MAX = 240,         /* SANs as shown in one message */
	ST_OWN_FILE_MAX = 1024 * 1024, /* an existing certificate file that accept would replace */
};

static const char *const station_files[] = {
	"station.key", "station.pub", "ca-transfer.pub", "root.pem", "station.conf", NULL,
};

/* in parts: ISO C caps string literals at 4095 bytes */
static const char usage_verbs[] =
"usage: plantca-station VERB [ARGS]\n"
"\n"
"plantca-station runs on a plant segment's station.  It builds request bundles\n"
"of device CSRs for the offline plantca workstation and verifies and unpacks\n"
"the response bundles (certificates, chains, trust bundles, CRLs) it sends\n"
"back.  Bundles travel on removable media as NAME.tar + NAME.tar.minisig.\n"
"\n"
"Verbs:\n"
"  init DIR --segment S --ca-key TRANSFER.pub --trust ROOT.pem\n"
"       [--passphrase-file F] [--json]\n"
"        Create the station directory DIR (must not exist, or be empty; mode\n"
"        0700): a new Ed25519 station key pair in minisign format\n"
"        (DIR/station.key, encrypted with the passphrase, mode 0600;\n"
"        DIR/station.pub), the CA transfer public key (DIR/ca-transfer.pub)\n"
"        and plant root certificate (DIR/root.pem) that plantca init wrote to\n"
"        the CA home's public/ folder, and DIR/station.conf.  Prints the\n"
"        station key id and the fingerprints to compare with the ones plantca\n"
"        init printed.  The CA officer then enrolls DIR/station.pub with\n"
"        'plantca station add S station.pub --ca NAME'.\n"
"  request DIR --profile P CSR... [--profile P2 CSR...] -o MEDIA_DIR\n"
"       [--expires DAYS] [--passphrase-file F] [--json]\n"
"        Sign the CSRs (PKCS#10, PEM or DER, at most 64 KiB each) into a\n"
"        request bundle MEDIA_DIR/SEGMENT-request-NNNNNN.tar (+ .minisig).\n"
"        Each --profile applies to the CSRs after it (tls-server, tls-client,\n"
"        opcua-app, ...); the CA decides what it grants.  The bundle is valid\n"
"        for DAYS days (default 30, at most 366).  The sequence number in\n"
"        station.conf is advanced after the bundle is written.\n";

static const char usage_accept[] =
"  accept DIR BUNDLE.tar --out PKI_DIR [--layout flat|opcua] [--der] [--json]\n"
"        Verify a response bundle (BUNDLE.tar and BUNDLE.tar.minisig): signed\n"
"        by the CA transfer key, addressed to this segment, sequence newer than\n"
"        the last accepted one, not expired, every SHA-256 right; every\n"
"        certificate in every file (certificates, chain.pem, trust.pem,\n"
"        trust.p7b, the signers in firmware-*.p7s) and every CRL either the\n"
"        station's root (DIR/root.pem) or signed by a CA that chains to it;\n"
"        trust.p7b a certs-only PKCS#7 holding exactly trust.pem's\n"
"        certificates; firmware signatures by a codeSigning certificate, not\n"
"        revoked; no CRL past its nextUpdate; no device certificate file\n"
"        replaced by another identity (below).  Nothing is written unless all\n"
"        of that holds; then each file is replaced atomically.\n"
"        --layout flat (default):\n"
"          certs/SERIAL.pem   delivered certificates, by serial\n"
"          chain.pem          issuing CA(s), then the root\n"
"          trust.pem          the root and the segment's issuing CAs\n"
"          trust.p7b          the same as PKCS#7 certs-only (DER)\n"
"          crl/NAME.crl       CRLs, NAME the CA's name ('root' for the root)\n"
"        --layout opcua (OPC 10000-12 certificate store):\n"
"          trusted/certs/     the segment's issuing CA certificate(s)\n"
"          trusted/crl/       their CRLs\n"
"          issuers/certs/     the root (and any CA between)\n"
"          issuers/crl/       the root's CRL\n"
"          own/certs/CN.pem   each delivered certificate followed by its chain\n"
"                             up to, not including, the root (CN sanitised;\n"
"                             the serial when there is no usable CN)\n"
"        A device certificate file (own/certs/CN.pem, certs/SERIAL.pem; .der\n"
"        or .pem) that exists is replaced only by a renewal: a certificate with\n"
"        the same subjectAltName set (for OPC UA, the same ApplicationUri),\n"
"        with a new key or not.  Another device's certificate under the same\n"
"        name, in this bundle or in the file, refuses the whole response,\n"
"        naming both (move the old file away if the device really changed).\n"
"        One identity twice in a bundle: the newest (notBefore) takes CN.pem,\n"
"        the others are written by serial.\n"
"        Firmware signatures (firmware-*.p7s) go to firmware/ in both layouts.\n"
"        --der writes certificates and CRLs as DER (one certificate per file:\n"
"        own/certs then holds only the device certificate; chain.pem and\n"
"        trust.pem stay PEM).  PEM is the default because some OPC UA stacks\n"
"        misread short DER files.\n"
"  verify-firmware DIR IMAGE SIG [--pki PKI_DIR] [--crl FILE]... [--min-version V]\n"
"        [--target OID]\n"
"        Check a firmware signature (CMS .p7s from plantca firmware sign)\n"
"        against this station's root (DIR/root.pem) and the CRLs a response\n"
"        delivered (--pki: the PKI_DIR given to accept) or --crl files: image\n"
"        digest, signature, chain, codeSigning, revocation, version not below\n"
"        V (rollback), target listed.  Exit 0 valid, 1 refused with the reason.\n";

static const char usage_options[] =
"\n"
"Options:\n"
"  --segment S           Plant segment name: [a-z0-9][a-z0-9-]{0,62}.\n"
"  --ca-key FILE         The CA transfer public key (minisign format).\n"
"  --trust FILE          The plant root certificate (one PEM CERTIFICATE).\n"
"  --passphrase-file F   Station key passphrase, first line of F.  Without it\n"
"                        plantca-station prompts on the terminal with echo off\n"
"                        (twice for init).  Never taken from the command line\n"
"                        or the environment.\n"
"  --profile P           Certificate profile for the CSRs that follow.\n"
"  -o, --output DIR      Media directory for the request bundle.\n"
"  --expires DAYS        Validity of a request bundle, 1..366 (default 30).\n"
"  --out DIR             PKI directory that accept writes (created if missing).\n"
"  --layout L            flat (default) or opcua.\n"
"  --der                 DER instead of PEM where a file holds one object.\n"
"  --json                Machine-readable summary on stdout.\n"
"  -h, --help            This text.\n"
"\n"
"Exit status: 0 done; 1 refused (bad signature, wrong passphrase, replayed,\n"
"expired or misaddressed bundle, malformed input); 2 usage, environment or\n"
"system error.  Messages go to stderr as \"plantca-station: WHAT: WHY\".\n";

/* ---------------------------------------------------------------- utilities */

/* Messages quote bundle members, certificate names and firmware fields:
 * they reach the terminal only through the display escaper. */
static int fail(const pc_err *e)
{
	fputs("plantca-station: ", stderr);
	pc_text_fputs(stderr, e->msg);
	fputc('\n', stderr);
	return pc_rc_exit_status(e->rc);
}

static int usage_error(const char *fmt, ...) PC_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	char msg[PC_ERR_MSG_MAX];

	/* arguments are quoted: escaped like every other message */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "plantca-station: ");
	pc_text_fputs(stderr, msg);
	fprintf(stderr, "\n(plantca-station --help shows the verbs and options)\n");
	return 2;
}

static pc_rc path_join(char out[PATH_MAX], const char *dir, const char *name, pc_err *e)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX)
		return pc_fail(e, PC_E_USAGE, "%s/%s: path too long", dir, name);
	return PC_OK;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Reduce arbitrary text to [A-Za-z0-9][A-Za-z0-9._-]{0,max-1}: other bytes
 * become '_', leading non-alphanumerics and trailing dots/underscores are
 * dropped, runs of '_' collapse.  Empty result: false. */
static bool sanitise(const char *in, size_t inlen, char *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < inlen && n < max; i++) {
		char c = in[i];
		if (!is_alnum(c) && c != '.' && c != '-' && c != '_')
			c = '_';
		if (n == 0 && !is_alnum(c))
			continue;
		if (c == '_' && n > 0 && out[n - 1] == '_')
			continue;
		/* ".." is legal in a flat name but confusing next to paths */
		if (c == '.' && n > 0 && out[n - 1] == '.')
			continue;
		out[n++] = c;
	}
	while (n > 0 && (out[n - 1] == '_' || out[n - 1] == '.' || out[n - 1] == '-'))
		n--;
	out[n] = '\0';
	return n > 0;
}

static const uint8_t *rd_ptr(const pc_reader *r)
{
	return r->p + r->off;
}

/* ------------------------------------------------------------- station.conf */

typedef struct st_conf {
	char segment[TR_SEGMENT_MAX + 1];
	uint64_t next_request;      /* sequence of the next request bundle, >= 1 */
	uint64_t last_response;     /* last accepted response sequence, 0: none */
	char last_bundle[TR_NAME_MAX + 1];   /* informational */
} st_conf;

static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0' || strlen(s) > 20)
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* station.conf is ours, but a station may be tampered with or hand-edited:
 * parse it as strictly as any input.  Keys: segment, next-request-sequence,
 * last-response-sequence, last-response-bundle; '#' comments. */
static pc_rc conf_load(const char *dir, st_conf *c, pc_err *e)
{
	char path[PATH_MAX];
	uint8_t *text;
	size_t len;
	char *line, *save = NULL;
	bool have_seg = false, have_next = false, have_last = false;
	pc_rc rc = PC_OK;

	memset(c, 0, sizeof *c);
	PC_TRY(path_join(path, dir, "station.conf", e));
	if (access(path, F_OK) != 0)
		return pc_fail(e, PC_E_NOTFOUND, "%s: not a station directory (no station.conf; "
		    "create one with plantca-station init)", dir);
	PC_TRY(pc_file_read(path, ST_CONF_MAX, &text, &len, e));
	if (memchr(text, '\0', len) != NULL) {
		free(text);
		return pc_fail(e, PC_E_INPUT, "%s: contains a NUL byte", path);
	}
	for (line = strtok_r((char *)text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *v = strstr(line, ": ");
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (v == NULL) {
			rc = pc_fail(e, PC_E_INPUT, "%s: line '%.40s' is not 'key: value'", path, line);
			break;
		}
		*v = '\0';
		v += 2;
		if (strcmp(line, "segment") == 0 && !have_seg) {
			if (!tr_segment_ok(v)) {
				rc = pc_fail(e, PC_E_INPUT, "%s: bad segment '%.64s'", path, v);
				break;
			}
			snprintf(c->segment, sizeof c->segment, "%s", v);
			have_seg = true;
		} else if (strcmp(line, "next-request-sequence") == 0 && !have_next) {
			if (!parse_u64(v, &c->next_request) || c->next_request == 0 ||
			    c->next_request == UINT64_MAX) {
				rc = pc_fail(e, PC_E_INPUT, "%s: bad next-request-sequence", path);
				break;
			}
			have_next = true;
		} else if (strcmp(line, "last-response-sequence") == 0 && !have_last) {
			if (!parse_u64(v, &c->last_response)) {
				rc = pc_fail(e, PC_E_INPUT, "%s: bad last-response-sequence", path);
				break;
			}
			have_last = true;
		} else if (strcmp(line, "last-response-bundle") == 0 && c->last_bundle[0] == '\0') {
			if (!tr_member_name_ok(v)) {
				rc = pc_fail(e, PC_E_INPUT, "%s: bad last-response-bundle", path);
				break;
			}
			snprintf(c->last_bundle, sizeof c->last_bundle, "%s", v);
		} else {
			rc = pc_fail(e, PC_E_INPUT, "%s: unknown or repeated key '%.40s'", path, line);
			break;
		}
	}
	free(text);
	if (rc == PC_OK && !(have_seg && have_next && have_last))
		rc = pc_fail(e, PC_E_INPUT, "%s: incomplete (needs segment, next-request-sequence "
		    "and last-response-sequence)", path);
	return rc;
}

static pc_rc conf_save(const char *dir, const st_conf *c, bool create, pc_err *e)
{
	char path[PATH_MAX];
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	PC_TRY(path_join(path, dir, "station.conf", e));
	pc_buf_str(&b, "# plantca-station state; rewritten atomically by plantca-station\n");
	pc_buf_printf(&b, "segment: %s\n", c->segment);
	pc_buf_printf(&b, "next-request-sequence: %llu\n", (unsigned long long)c->next_request);
	pc_buf_printf(&b, "last-response-sequence: %llu\n", (unsigned long long)c->last_response);
	if (c->last_bundle[0] != '\0')
		pc_buf_printf(&b, "last-response-bundle: %s\n", c->last_bundle);
	if (!pc_buf_ok(&b)) {
		pc_buf_free(&b);
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", path);
	}
	rc = pc_file_write_atomic(path, b.p, b.len, 0644, create, e);
	pc_buf_free(&b);
	return rc;
}

static pc_rc load_pubkey(const char *dir, const char *name, tr_pubkey *k, pc_err *e)
{
	char path[PATH_MAX];
	uint8_t *text;
	size_t len;
	pc_rc rc;

	PC_TRY(path_join(path, dir, name, e));
	PC_TRY(pc_file_read(path, ST_KEYFILE_MAX, &text, &len, e));
	rc = tr_pubkey_parse(text, len, path, k, e);
	free(text);
	return rc;
}

/* ------------------------------------------------------------ certificates */

/* One certificate, parsed twice: our strict DER reader finds the raw issuer
 * and subject names (for subject == issuer comparisons, RFC 5280 §4.1.2.4
 * and §4.1.2.6), the serial, notBefore and the subjectAltName entries;
 * wolfSSL parses the whole certificate (no signature check here) and gives
 * the CN and basicConstraints. */
typedef struct st_cert {
	uint8_t *der;                  /* owned */
	size_t len;
	const uint8_t *issuer, *subject;   /* whole Name TLVs, into der */
	size_t issuer_len, subject_len;
	char serial[2 * 21 + 1];       /* lowercase hex of the INTEGER's magnitude */
	char cn[ST_CN_MAX + 1];        /* raw CN, "" if none */
	bool is_ca, self_signed;
	char stem[ST_FILE_STEM_MAX + 1];   /* output file name without suffix */
	time_t not_before;
	/* the device's identity (RFC 5280 §4.2.1.6; for OPC UA the URI entry
	 * is the ApplicationUri, OPC 10000-6 §6.2.2): whole GeneralName TLVs,
	 * into der, in certificate order */
	const uint8_t *san[ST_SAN_MAX];
	size_t san_len[ST_SAN_MAX];
	size_t nsan;
	const char *from;              /* the file it came in (static), for messages; NULL: a member */
} st_cert;

static void cert_free(st_cert *c)
{
	free(c->der);
	memset(c, 0, sizeof *c);
}

/* 2.5.29.17 */
static const uint8_t oid_san[] = { 0x55, 0x1d, 0x11 };

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension (RFC 5280 §4.1):
 * collects the subjectAltName entries.  False: malformed, or SAN twice
 * (§4.2: an extension appears at most once).  *over: more than ST_SAN_MAX. */
static bool cert_exts(pc_reader exts, st_cert *c, bool *over)
{
	bool seen = false;

	if (pc_reader_left(&exts) == 0)
		return false;
	while (pc_reader_left(&exts) > 0) {
		pc_reader ext, oid, crit, val, names, gn;
		const uint8_t *w;
		size_t wl;
		uint8_t tag;
		bool cp;

		if (!pc_der_read(&exts, DER_SEQUENCE, &ext) || !pc_der_read(&ext, DER_OID, &oid) ||
		    !pc_der_read_opt(&ext, DER_BOOLEAN, &crit, &cp) ||
		    !pc_der_read(&ext, DER_OCTET_STRING, &val) || !pc_reader_done(&ext))
			return false;
		if (pc_reader_left(&oid) != sizeof oid_san ||
		    memcmp(rd_ptr(&oid), oid_san, sizeof oid_san) != 0)
			continue;
		/* GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName */
		if (seen || !pc_der_read(&val, DER_SEQUENCE, &names) || !pc_reader_done(&val) ||
		    pc_reader_left(&names) == 0)
			return false;
		seen = true;
		while (pc_reader_left(&names) > 0) {
			if (!pc_der_read_any(&names, &tag, &gn, &w, &wl) || (tag & 0xc0) != DER_CTX)
				return false;
			if (c->nsan == ST_SAN_MAX) {
				*over = true;
				return false;
			}
			c->san[c->nsan] = w;
			c->san_len[c->nsan] = wl;
			c->nsan++;
		}
	}
	return true;
}

static pc_rc cert_parse(const uint8_t *der, size_t len, const char *what, st_cert *c, pc_err *e)
{
	pc_reader r, cert, tbs, x, val;
	const uint8_t *w, *sp;
	size_t wl, sl, i;
	uint8_t tag;
	bool present, over = false;
	DecodedCert dc;
	int ret;

	memset(c, 0, sizeof *c);
	if (len == 0 || len > ST_CERT_FILE_MAX)
		return pc_fail(e, PC_E_INPUT, "%s: certificate of %zu bytes", what, len);
	c->der = malloc(len);
	if (c->der == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
	memcpy(c->der, der, len);
	c->len = len;

	/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature } */
	r = pc_reader_make(c->der, c->len);
	if (!pc_der_read(&r, DER_SEQUENCE, &cert) || !pc_reader_done(&r) ||
	    !pc_der_read(&cert, DER_SEQUENCE, &tbs) ||
	    !pc_der_read(&cert, DER_SEQUENCE, &x) || !pc_der_read(&cert, DER_BIT_STRING, &x) ||
	    !pc_reader_done(&cert) ||
	    !pc_der_read_opt(&tbs, DER_CTX_CONS | 0, &x, &present) ||
	    !pc_der_read(&tbs, DER_INTEGER, &x))
		goto bad;
	sp = rd_ptr(&x);
	sl = pc_reader_left(&x);
	if (sl > 1 && sp[0] == 0) {
		sp++;
		sl--;
	}
	if (sl == 0 || sl > 21)
		goto bad;
	for (i = 0; i < sl; i++)
		snprintf(c->serial + 2 * i, 3, "%02x", sp[i]);
	if (!pc_der_read(&tbs, DER_SEQUENCE, &x) ||
	    !pc_der_read_any(&tbs, &tag, &x, &w, &wl) || tag != DER_SEQUENCE)
		goto bad;
	c->issuer = w;
	c->issuer_len = wl;
	/* Validity ::= SEQUENCE { notBefore Time, notAfter Time } */
	if (!pc_der_read(&tbs, DER_SEQUENCE, &val) || !pc_der_read_any(&val, &tag, &x, NULL, NULL) ||
	    !pc_der_parse_time(tag, x, &c->not_before) ||
	    !pc_der_read_any(&tbs, &tag, &x, &w, &wl) || tag != DER_SEQUENCE)
		goto bad;
	c->subject = w;
	c->subject_len = wl;
	/* subjectPublicKeyInfo, [1] issuerUniqueID, [2] subjectUniqueID,
	 * [3] extensions, and nothing after them */
	if (!pc_der_read(&tbs, DER_SEQUENCE, &x) ||
	    !pc_der_read_opt(&tbs, DER_CTX | 1, &x, &present) ||
	    !pc_der_read_opt(&tbs, DER_CTX | 2, &x, &present) ||
	    !pc_der_read_opt(&tbs, DER_CTX_CONS | 3, &x, &present))
		goto bad;
	if (present) {
		pc_reader exts;
		if (!pc_der_read(&x, DER_SEQUENCE, &exts) || !pc_reader_done(&x) ||
		    !cert_exts(exts, c, &over)) {
			if (over) {
				cert_free(c);
				return pc_fail(e, PC_E_LIMIT, "%s: more than %d subjectAltName entries",
				    what, ST_SAN_MAX);
			}
			goto bad;
		}
	}
	if (!pc_reader_done(&tbs))
		goto bad;
	c->self_signed = c->issuer_len == c->subject_len &&
	    memcmp(c->issuer, c->subject, c->subject_len) == 0;

	wc_InitDecodedCert(&dc, c->der, (word32)c->len, NULL);
	ret = wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL);
	if (ret == 0) {
		c->is_ca = dc.isCA;
		if (dc.subjectCN != NULL && dc.subjectCNLen > 0 && dc.subjectCNLen <= ST_CN_MAX) {
			int k;
			memcpy(c->cn, dc.subjectCN, (size_t)dc.subjectCNLen);
			c->cn[dc.subjectCNLen] = '\0';
			/* printed in messages: no terminal control bytes */
			for (k = 0; k < dc.subjectCNLen; k++)
				if ((unsigned char)c->cn[k] < 0x20 || c->cn[k] == 0x7f)
					c->cn[k] = '?';
		}
	}
	wc_FreeDecodedCert(&dc);
	if (ret != 0) {
		cert_free(c);
		return pc_fail(e, PC_E_INPUT, "%s: certificate does not parse (wolfSSL %d)", what, ret);
	}
	if (!sanitise(c->cn, strlen(c->cn), c->stem, ST_FILE_STEM_MAX))
		snprintf(c->stem, sizeof c->stem, "%s", c->serial);
	return PC_OK;
bad:
	cert_free(c);
	return pc_fail(e, PC_E_INPUT, "%s: not a DER X.509 certificate", what);
}

/* Decode one certificate given as PEM (exactly one CERTIFICATE block) or DER. */
static pc_rc cert_load_bytes(const uint8_t *p, size_t len, const char *what, st_cert *c,
    pc_err *e)
{
	static const char *const labels[] = { "CERTIFICATE", NULL };
	uint8_t *der;
	size_t dlen;
	pc_rc rc;

	if (!pc_pem_looks_like(p, len))
		return cert_parse(p, len, what, c, e);
	if ((rc = pc_pem_decode(p, len, labels, &der, &dlen, NULL, e)) != PC_OK)
		return pc_wrap(e, "%s", what);
	rc = cert_parse(der, dlen, what, c, e);
	free(der);
	return rc;
}

typedef struct st_certs {
	st_cert *v;
	size_t n, cap;
	const char *what;
} st_certs;

static void certs_free(st_certs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		cert_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static pc_rc certs_push(st_certs *s, st_cert *c, pc_err *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		st_cert *v = realloc(s->v, cap * sizeof *v);
		if (v == NULL) {
			cert_free(c);
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *c;
	return PC_OK;
}

static pc_rc certs_add_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	st_certs *s = ctx;
	st_cert c;

	PC_TRY(cert_parse(der, len, s->what, &c, e));
	c.from = s->what;
	return certs_push(s, &c, e);
}

static const st_cert *certs_find_der(const st_certs *s, const st_cert *c)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].len == c->len && memcmp(s->v[i].der, c->der, c->len) == 0)
			return &s->v[i];
	return NULL;
}

/* The CA whose subject is c's issuer (RFC 5280 §6.1 name chaining). */
static const st_cert *certs_find_issuer(const st_certs *s, const st_cert *c)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].subject_len == c->issuer_len &&
		    memcmp(s->v[i].subject, c->issuer, c->issuer_len) == 0)
			return &s->v[i];
	return NULL;
}

static void fingerprint(const uint8_t *der, size_t len, char out[3 * 32])
{
	static const char hx[] = "0123456789abcdef";
	uint8_t h[32];
	size_t i;

	crypto_hash_sha256(h, der, len);
	for (i = 0; i < 32; i++) {
		out[3 * i] = hx[h[i] >> 4];
		out[3 * i + 1] = hx[h[i] & 15];
		out[3 * i + 2] = i == 31 ? '\0' : ':';
	}
}

/* SHA-256 of the Ed25519 SubjectPublicKeyInfo (RFC 8410 §4) holding pk: what
 * plantca init prints as "transfer SPKI SHA-256". */
static void transfer_spki_fingerprint(const tr_pubkey *k, char out[3 * 32])
{
	static const uint8_t prefix[12] = {
		0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
	};
	uint8_t spki[sizeof prefix + TR_PK_LEN];

	memcpy(spki, prefix, sizeof prefix);
	memcpy(spki + sizeof prefix, k->pk, TR_PK_LEN);
	fingerprint(spki, sizeof spki, out);
}

/* The station's trusted root: DIR/root.pem. */
static pc_rc root_load(const char *path, st_cert *root, pc_err *e)
{
	uint8_t *text;
	size_t len;
	pc_rc rc;

	PC_TRY(pc_file_read(path, ST_CERT_FILE_MAX, &text, &len, e));
	if (!pc_pem_looks_like(text, len)) {
		free(text);
		return pc_fail(e, PC_E_INPUT, "%s: not a PEM certificate", path);
	}
	rc = cert_load_bytes(text, len, path, root, e);
	free(text);
	if (rc != PC_OK)
		return rc;
	if (!root->self_signed || !root->is_ca) {
		cert_free(root);
		return pc_fail(e, PC_E_INPUT, "%s: not a self-signed CA certificate (a plant root "
		    "has subject == issuer and basicConstraints cA)", path);
	}
	return PC_OK;
}

/* -------------------------------------------------------------- passphrase */

static pc_rc passphrase_new(const char *file, pc_secret *out, pc_err *e)
{
	pc_secret again = { NULL, 0 };
	pc_rc rc;

	if (file != NULL)
		return pc_secret_read(out, file, NULL, e);
	PC_TRY(pc_secret_read(out, NULL, "Passphrase for the new station key", e));
	if ((rc = pc_secret_read(&again, NULL, "Repeat the passphrase", e)) != PC_OK) {
		pc_secret_free(out);
		return rc;
	}
	if (again.len != out->len || sodium_memcmp(again.s, out->s, out->len) != 0) {
		pc_secret_free(out);
		pc_secret_free(&again);
		return pc_fail(e, PC_E_USAGE, "passphrase: the two entries differ; nothing created");
	}
	pc_secret_free(&again);
	return PC_OK;
}

/* -------------------------------------------------------------------- init */

typedef struct st_opts {
	const char *segment, *ca_key, *trust, *pass_file, *media, *out, *layout;
	const char *pki, *min_version, *target;
	const char **crls;
	size_t ncrls;
	unsigned expires_days;
	bool json, der;
} st_opts;

/* DIR must not exist, or be an empty directory.  *created says which. */
static pc_rc init_dir(const char *dir, bool *created, pc_err *e)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	*created = false;
	if (mkdir(dir, 0700) == 0) {
		*created = true;
		return PC_OK;
	}
	if (errno != EEXIST)
		return pc_fail(e, PC_E_IO, "%s: cannot create directory: %s", dir, strerror(errno));
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return pc_fail(e, PC_E_EXISTS, "%s: exists and is not a directory", dir);
	d = opendir(dir);
	if (d == NULL)
		return pc_fail(e, PC_E_IO, "%s: cannot read directory: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			closedir(d);
			return pc_fail(e, PC_E_EXISTS, "%s: directory is not empty; refusing to "
			    "create a station in it", dir);
		}
	}
	closedir(d);
	if (chmod(dir, 0700) != 0)
		return pc_fail(e, PC_E_IO, "%s: chmod 0700 failed: %s", dir, strerror(errno));
	return PC_OK;
}

static void init_cleanup(const char *dir, bool created)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; station_files[i] != NULL; i++) {
		pc_err ignore;
		if (path_join(path, dir, station_files[i], &ignore) == PC_OK)
			(void)unlink(path);
	}
	if (created)
		(void)rmdir(dir);
}

static pc_rc st_init(const char *dir, const st_opts *o, pc_err *e)
{
	char path[PATH_MAX], keyid[17], cakeyid[17], fp[3 * 32], tfp[3 * 32];
	uint8_t *catext = NULL;
	size_t calen;
	tr_pubkey capub, pub;
	tr_seckey sk = { { 0 }, NULL };
	st_cert root = { 0 };
	pc_secret pass = { NULL, 0 };
	pc_buf keyfile = PC_BUF_INIT, b = PC_BUF_INIT;
	st_conf conf;
	bool created = false, started = false;
	pc_rc rc;

	if (o->segment == NULL || o->ca_key == NULL || o->trust == NULL)
		return pc_fail(e, PC_E_USAGE, "init needs --segment, --ca-key and --trust");
	if (!tr_segment_ok(o->segment))
		return pc_fail(e, PC_E_USAGE, "--segment '%s': expected [a-z0-9][a-z0-9-]{0,62}",
		    o->segment);

	/* everything that can be refused is checked before DIR is touched */
	if ((rc = pc_file_read(o->ca_key, ST_KEYFILE_MAX, &catext, &calen, e)) != PC_OK)
		goto out;
	if ((rc = tr_pubkey_parse(catext, calen, o->ca_key, &capub, e)) != PC_OK)
		goto out;
	if ((rc = root_load(o->trust, &root, e)) != PC_OK)
		goto out;
	if ((rc = passphrase_new(o->pass_file, &pass, e)) != PC_OK)
		goto out;
	if ((rc = init_dir(dir, &created, e)) != PC_OK)
		goto out;
	started = true;

	rc = tr_seckey_generate(&pass, &keyfile, &pub, &sk, e);
	pc_secret_free(&pass);
	if (rc != PC_OK)
		goto out;
	tr_seckey_free(&sk);
	if ((rc = path_join(path, dir, "station.key", e)) != PC_OK ||
	    (rc = pc_file_write_atomic(path, keyfile.p, keyfile.len, 0600, true, e)) != PC_OK)
		goto out;
	tr_pubkey_format(&pub, &b);
	if (!pc_buf_ok(&b)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = path_join(path, dir, "station.pub", e)) != PC_OK ||
	    (rc = pc_file_write_atomic(path, b.p, b.len, 0644, true, e)) != PC_OK)
		goto out;
	b.len = 0;
	/* re-encoded from the parsed key and certificate: canonical files */
	tr_pubkey_format(&capub, &b);
	if (!pc_buf_ok(&b)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = path_join(path, dir, "ca-transfer.pub", e)) != PC_OK ||
	    (rc = pc_file_write_atomic(path, b.p, b.len, 0644, true, e)) != PC_OK)
		goto out;
	b.len = 0;
	pc_pem_encode(&b, "CERTIFICATE", root.der, root.len);
	if (!pc_buf_ok(&b)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = path_join(path, dir, "root.pem", e)) != PC_OK ||
	    (rc = pc_file_write_atomic(path, b.p, b.len, 0644, true, e)) != PC_OK)
		goto out;
	memset(&conf, 0, sizeof conf);
	snprintf(conf.segment, sizeof conf.segment, "%s", o->segment);
	conf.next_request = 1;
	conf.last_response = 0;
	/* station.conf last: its presence marks a complete station */
	if ((rc = conf_save(dir, &conf, true, e)) != PC_OK)
		goto out;

	tr_keyid_text(pub.keyid, keyid);
	tr_keyid_text(capub.keyid, cakeyid);
	fingerprint(root.der, root.len, fp);
	transfer_spki_fingerprint(&capub, tfp);
	if (o->json) {
		printf("{\"dir\":");
		json_str(stdout, dir);
		printf(",\"segment\":\"%s\",\"station_key_id\":\"%s\",\"station_pub\":", o->segment, keyid);
		snprintf(path, sizeof path, "%s/station.pub", dir);
		json_str(stdout, path);
		printf(",\"ca_transfer_key_id\":\"%s\",\"ca_transfer_spki_sha256\":\"%s\","
		    "\"root_sha256\":\"%s\",\"root_subject_cn\":", cakeyid, tfp, fp);
		json_str(stdout, root.cn);
		printf("}\n");
	} else {
		printf("station:               %s (segment %s)\n", dir, o->segment);
		printf("station key id:        %s\n", keyid);
		printf("station public key:    %s/station.pub\n", dir);
		printf("CA transfer key id:    %s\n", cakeyid);
		printf("transfer SPKI SHA-256: %s\n", tfp);
		printf("root:                  ");
		pc_text_fputs(stdout, root.cn[0] ? root.cn : "(no CN)");
		putchar('\n');
		printf("root SHA-256:          %s\n", fp);
		printf("Compare the two SHA-256 fingerprints with what 'plantca init' printed.\n");
		printf("Next, on the CA workstation:\n"
		    "  plantca station add %s %s/station.pub --ca NAME\n"
		    "and check that it shows key id %s.\n", o->segment, dir, keyid);
	}
out:
	if (rc != PC_OK && started)
		init_cleanup(dir, created);
	pc_secret_free(&pass);
	tr_seckey_free(&sk);
	if (keyfile.p != NULL)
		sodium_memzero(keyfile.p, keyfile.cap);
	pc_buf_free(&keyfile);
	pc_buf_free(&b);
	free(catext);
	cert_free(&root);
	return rc;
}

/* ----------------------------------------------------------------- request */

typedef struct st_csr_arg {
	const char *path;
	const char *profile;           /* the --profile in force before it */
} st_csr_arg;

static bool profile_ok(const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0 || n > TR_PROFILE_MAX || !is_alnum(p[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!is_alnum(p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
			return false;
	return true;
}

/* A light RFC 2986 shape check: CertificationRequest ::= SEQUENCE {
 * certificationRequestInfo SEQUENCE { version INTEGER (0), subject Name,
 * subjectPKInfo, attributes [0] }, signatureAlgorithm, signature BIT STRING }.
 * The CA parses it fully and checks proof of possession. */
static bool csr_der_ok(const uint8_t *p, size_t len)
{
	pc_reader r = pc_reader_make(p, len), req, info, x;

	if (!pc_der_read(&r, DER_SEQUENCE, &req) || !pc_reader_done(&r) ||
	    !pc_der_read(&req, DER_SEQUENCE, &info) ||
	    !pc_der_read(&req, DER_SEQUENCE, &x) || !pc_der_read(&req, DER_BIT_STRING, &x) ||
	    !pc_reader_done(&req) ||
	    !pc_der_read(&info, DER_INTEGER, &x))
		return false;
	if (pc_reader_left(&x) != 1 || rd_ptr(&x)[0] != 0)
		return false;
	return pc_der_read(&info, DER_SEQUENCE, &x) && pc_der_read(&info, DER_SEQUENCE, &x) &&
	    pc_der_read(&info, DER_CTX_CONS | 0, &x) && pc_reader_done(&info);
}

static pc_rc csr_check(const uint8_t *p, size_t len, const char *path, pc_err *e)
{
	static const char *const labels[] = {
		"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", NULL,
	};
	uint8_t *der;
	size_t dlen;
	bool ok;

	if (!pc_pem_looks_like(p, len)) {
		if (!csr_der_ok(p, len))
			return pc_fail(e, PC_E_INPUT, "%s: not a PKCS#10 certificate request "
			    "(neither PEM nor DER CertificationRequest)", path);
		return PC_OK;
	}
	if (pc_pem_decode(p, len, labels, &der, &dlen, NULL, e) != PC_OK)
		return pc_wrap(e, "%s: not a PKCS#10 certificate request", path);
	ok = csr_der_ok(der, dlen);
	free(der);
	if (!ok)
		return pc_fail(e, PC_E_INPUT, "%s: PEM block is not a DER PKCS#10 "
		    "CertificationRequest", path);
	return PC_OK;
}

/* Member name from the file's basename: extension dropped, sanitised,
 * ".csr" appended, "-2", "-3"... on duplicates. */
static pc_rc csr_member_name(const char *path, const tr_csr_entry *prev, size_t nprev,
    char out[TR_NAME_MAX + 1], pc_err *e)
{
	const char *base = strrchr(path, '/'), *dot;
	char stem[TR_NAME_MAX + 1];
	size_t blen, i, k;

	base = base ? base + 1 : path;
	blen = strlen(base);
	dot = strrchr(base, '.');
	if (dot != NULL && dot != base)
		blen = (size_t)(dot - base);
	/* room for "-NNNNNN.csr" */
	if (!sanitise(base, blen, stem, TR_NAME_MAX - 12))
		snprintf(stem, sizeof stem, "request");
	for (k = 1; k < 1000000; k++) {
		bool dup = false;
		char cand[TR_NAME_MAX + 32];
		if (k == 1)
			snprintf(cand, sizeof cand, "%s.csr", stem);
		else
			snprintf(cand, sizeof cand, "%s-%zu.csr", stem, k);
		if (strlen(cand) > TR_NAME_MAX)
			break;
		memcpy(out, cand, strlen(cand) + 1);
		for (i = 0; i < nprev && !dup; i++)
			dup = strcmp(prev[i].member, out) == 0;
		if (!dup) {
			if (!tr_member_name_ok(out))
				return pc_fail(e, PC_E_INTERNAL, "%s: member name '%s' refused", path, out);
			return PC_OK;
		}
	}
	return pc_fail(e, PC_E_LIMIT, "%s: too many CSRs named like this", path);
}

static pc_rc st_request(const char *dir, const st_csr_arg *csrs, size_t ncsr, const st_opts *o,
    pc_err *e)
{
	char path[PATH_MAX], name[TR_NAME_MAX + 1], file[TR_NAME_MAX + 8];
	char comment[TR_COMMENT_MAX + 1], keyid[17];
	st_conf conf;
	tr_pubkey pub;
	tr_seckey sk = { { 0 }, NULL };
	pc_secret pass = { NULL, 0 };
	uint8_t *keytext = NULL;
	size_t keylen, i, j;
	uint8_t **data = NULL;
	tr_member *members = NULL;
	tr_meta meta;
	pc_buf tar = PC_BUF_INIT, sig = PC_BUF_INIT;
	time_t now;
	pc_rc rc;

	memset(&meta, 0, sizeof meta);
	if (ncsr == 0)
		return pc_fail(e, PC_E_USAGE, "request: no CSR files given");
	if (o->media == NULL)
		return pc_fail(e, PC_E_USAGE, "request: -o MEDIA_DIR is required");
	for (i = 0; i < ncsr; i++) {
		if (csrs[i].profile == NULL)
			return pc_fail(e, PC_E_USAGE, "%s: no --profile before this CSR (each CSR "
			    "names the profile it asks for)", csrs[i].path);
		if (!profile_ok(csrs[i].profile))
			return pc_fail(e, PC_E_USAGE, "--profile '%s': expected "
			    "[A-Za-z0-9][A-Za-z0-9._-]{0,62}", csrs[i].profile);
	}
	if (ncsr > TR_MEMBERS_MAX - 2)
		return pc_fail(e, PC_E_LIMIT, "request: %zu CSRs, more than one bundle holds (%d)",
		    ncsr, TR_MEMBERS_MAX - 2);
	PC_TRY(conf_load(dir, &conf, e));
	PC_TRY(load_pubkey(dir, "station.pub", &pub, e));

	data = calloc(ncsr, sizeof *data);
	members = calloc(ncsr, sizeof *members);
	meta.csrs = calloc(ncsr, sizeof *meta.csrs);
	if (data == NULL || members == NULL || meta.csrs == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	/* every CSR checked before the passphrase is asked for */
	for (i = 0; i < ncsr; i++) {
		if ((rc = pc_file_read(csrs[i].path, ST_CSR_MAX, &data[i], &members[i].len, e)) != PC_OK)
			goto out;
		members[i].data = data[i];
		if ((rc = csr_check(data[i], members[i].len, csrs[i].path, e)) != PC_OK)
			goto out;
		if ((rc = csr_member_name(csrs[i].path, meta.csrs, i, meta.csrs[i].member, e)) != PC_OK)
			goto out;
		snprintf(members[i].name, sizeof members[i].name, "%s", meta.csrs[i].member);
		snprintf(meta.csrs[i].profile, sizeof meta.csrs[i].profile, "%s", csrs[i].profile);
	}
	meta.ncsrs = ncsr;

	if ((rc = path_join(path, dir, "station.key", e)) != PC_OK ||
	    (rc = pc_file_read(path, ST_KEYFILE_MAX, &keytext, &keylen, e)) != PC_OK)
		goto out;
	{
		char prompt[PATH_MAX + 32];
		snprintf(prompt, sizeof prompt, "Passphrase for %s", path);
		if ((rc = pc_secret_read(&pass, o->pass_file, prompt, e)) != PC_OK)
			goto out;
	}
	rc = tr_seckey_open(keytext, keylen, path, &pass, &sk, e);
	pc_secret_free(&pass);
	if (rc != PC_OK)
		goto out;
	if (sodium_memcmp(sk.keyid, pub.keyid, TR_KEYID_LEN) != 0) {
		rc = pc_fail(e, PC_E_STATE, "%s: key id differs from station.pub's", path);
		goto out;
	}

	now = time(NULL);
	tr_keyid_text(pub.keyid, keyid);
	meta.version = TR_FORMAT_VERSION;
	meta.kind = TR_REQUEST;
	snprintf(meta.segment, sizeof meta.segment, "%s", conf.segment);
	snprintf(meta.sender, sizeof meta.sender, "%s", keyid);
	meta.sequence = conf.next_request;
	meta.created = now;
	meta.expires = now + (time_t)o->expires_days * 86400;
	tr_bundle_name(TR_REQUEST, conf.segment, meta.sequence, name, sizeof name);
	snprintf(file, sizeof file, "%s.tar", name);

	if ((rc = tr_bundle_build(&meta, members, ncsr, &tar, e)) != PC_OK)
		goto out;
	tr_trusted_comment(&meta, name, comment, sizeof comment);
	if ((rc = tr_minisig_make(tar.p, tar.len, &pub, comment, tr_seckey_sign, &sk, &sig, e)) != PC_OK)
		goto out;
	tr_seckey_free(&sk);
	if ((rc = tr_bundle_write(o->media, name, &tar, &sig, e)) != PC_OK)
		goto out;
	conf.next_request++;
	if ((rc = conf_save(dir, &conf, false, e)) != PC_OK) {
		pc_wrap(e, "request bundle %s/%s written, but the sequence was not advanced "
		    "(do not send another request before fixing station.conf)", o->media, file);
		goto out;
	}

	if (o->json) {
		printf("{\"bundle\":");
		snprintf(path, sizeof path, "%s/%s", o->media, file);
		json_str(stdout, path);
		printf(",\"segment\":\"%s\",\"sender\":\"%s\",\"sequence\":%llu,\"csrs\":[",
		    meta.segment, keyid, (unsigned long long)meta.sequence);
		for (i = 0; i < ncsr; i++) {
			printf("%s{\"file\":", i ? "," : "");
			json_str(stdout, csrs[i].path);
			printf(",\"member\":\"%s\",\"profile\":\"%s\"}", meta.csrs[i].member,
			    meta.csrs[i].profile);
		}
		printf("]}\n");
	} else {
		printf("%s/%s\n%s/%s.minisig\n", o->media, file, o->media, file);
		printf("segment %s, sequence %llu, sender %s, expires in %u days\n", meta.segment,
		    (unsigned long long)meta.sequence, keyid, o->expires_days);
		for (i = 0; i < ncsr; i++) {
			size_t count = 0;
			bool seen = false;
			for (j = 0; j < i && !seen; j++)
				seen = strcmp(meta.csrs[j].profile, meta.csrs[i].profile) == 0;
			if (seen)
				continue;
			for (j = i; j < ncsr; j++)
				count += strcmp(meta.csrs[j].profile, meta.csrs[i].profile) == 0;
			printf("  %6zu CSR%s for profile %s\n", count, count == 1 ? "" : "s",
			    meta.csrs[i].profile);
		}
	}
	rc = PC_OK;
out:
	pc_secret_free(&pass);
	tr_seckey_free(&sk);
	if (keytext != NULL) {
		sodium_memzero(keytext, keylen);
		free(keytext);
	}
	for (i = 0; data != NULL && i < ncsr; i++)
		free(data[i]);
	free(data);
	free(members);
	free(meta.csrs);
	pc_buf_free(&tar);
	pc_buf_free(&sig);
	return rc;
}

/* ------------------------------------------------------------------ accept */

typedef struct st_out {
	char rel[PATH_MAX];            /* relative to PKI_DIR */
	uint8_t *data;                 /* owned */
	size_t len;
	const st_cert *cert;           /* a device certificate file: whose; else NULL */
} st_out;

typedef struct st_outs {
	st_out *v;
	size_t n, cap;
} st_outs;

static void outs_free(st_outs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].data);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* Queue one output file; takes ownership of b's bytes.  Two outputs with
 * the same name in one bundle would silently lose one: refused. */
static pc_rc outs_add(st_outs *s, const char *rel, pc_buf *b, pc_err *e)
{
	size_t i;

	if (!pc_buf_ok(b)) {
		pc_buf_free(b);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].rel, rel) == 0) {
			pc_buf_free(b);
			return pc_fail(e, PC_E_BUNDLE, "two outputs named %s", rel);
		}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		st_out *v = realloc(s->v, cap * sizeof *v);
		if (v == NULL) {
			pc_buf_free(b);
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		}
		s->v = v;
		s->cap = cap;
	}
	snprintf(s->v[s->n].rel, sizeof s->v[s->n].rel, "%s", rel);
	s->v[s->n].cert = NULL;
	s->v[s->n].len = b->len;
	s->v[s->n].data = pc_buf_steal(b, &s->v[s->n].len);
	if (s->v[s->n].data == NULL) {
		/* an empty buffer steals as NULL: keep a valid pointer */
		s->v[s->n].data = malloc(1);
		s->v[s->n].len = 0;
		if (s->v[s->n].data == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	s->n++;
	return PC_OK;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* ------------------------------------------------- identity of a device */

/* A device certificate file (own/certs/CN.pem, certs/SERIAL.pem) may be
 * replaced only by a certificate for the same identity: the same set of
 * subjectAltName entries (for OPC UA the URI entry is the ApplicationUri,
 * OPC 10000-6 §6.2.2, and the DNS/IP entries the host it runs on).  A
 * renewal keeps them, with a new key or not; a different device that
 * merely shares the CN does not.  Entries compare as sets of their exact
 * DER (order free, nothing normalised: the CA reproduces a renewal's
 * SANs byte for byte, and anything else fails safe). */
static bool san_has(const st_cert *c, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < c->nsan; i++)
		if (c->san_len[i] == n && memcmp(c->san[i], p, n) == 0)
			return true;
	return false;
}

static bool same_identity(const st_cert *x, const st_cert *y)
{
	size_t i;

	for (i = 0; i < x->nsan; i++)
		if (!san_has(y, x->san[i], x->san_len[i]))
			return false;
	for (i = 0; i < y->nsan; i++)
		if (!san_has(x, y->san[i], y->san_len[i]))
			return false;
	return true;
}

/* The SANs as text for messages: "uri:urn:acme:line3:srv, dns:srv.local,
 * ip:10.3.0.5"; bytes outside printable ASCII as \xHH (they come from a
 * certificate); cut with "..." at ST_SAN_TEXT_MAX. */
static void san_text(const st_cert *c, char out[ST_SAN_TEXT_MAX + 1])
{
	pc_buf b = PC_BUF_INIT;
	size_t i, k;

	if (c->nsan == 0)
		pc_buf_str(&b, "no subjectAltName");
	for (i = 0; i < c->nsan; i++) {
		pc_reader r = pc_reader_make(c->san[i], c->san_len[i]), v;
		uint8_t tag = 0;
		const uint8_t *p;
		size_t n;

		if (!pc_der_read_any(&r, &tag, &v, NULL, NULL))
			continue;   /* cannot happen: cert_exts read it */
		p = rd_ptr(&v);
		n = pc_reader_left(&v);
		pc_buf_str(&b, i ? ", " : "");
		if (tag == (DER_CTX | 7) && n == 4) {
			pc_buf_printf(&b, "ip:%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
			continue;
		}
		if (tag == (DER_CTX | 7) && n == 16) {
			pc_buf_str(&b, "ip:");
			for (k = 0; k < 16; k += 2)
				pc_buf_printf(&b, "%s%x", k ? ":" : "", (unsigned)(p[k] << 8 | p[k + 1]));
			continue;
		}
		switch (tag) {
		case DER_CTX | 1: pc_buf_str(&b, "email:"); break;
		case DER_CTX | 2: pc_buf_str(&b, "dns:"); break;
		case DER_CTX | 6: pc_buf_str(&b, "uri:"); break;
		case DER_CTX_CONS | 0: pc_buf_str(&b, "othername:"); break;
		case DER_CTX_CONS | 4: pc_buf_str(&b, "dirname:"); break;
		default: pc_buf_printf(&b, "[%u]:", (unsigned)(tag & 0x1f)); break;
		}
		if (tag == (DER_CTX | 1) || tag == (DER_CTX | 2) || tag == (DER_CTX | 6)) {
			for (k = 0; k < n; k++)
				if (p[k] > 0x20 && p[k] < 0x7f && p[k] != '\\')
					pc_buf_byte(&b, p[k]);
				else
					pc_buf_printf(&b, "\\x%02x", p[k]);
		} else {
			pc_hex_encode(&b, p, n, 0);
		}
	}
	if (!pc_buf_ok(&b)) {
		snprintf(out, ST_SAN_TEXT_MAX + 1, "?");
	} else if (b.len > ST_SAN_TEXT_MAX) {
		memcpy(out, b.p, ST_SAN_TEXT_MAX - 3);
		memcpy(out + ST_SAN_TEXT_MAX - 3, "...", 4);
	} else {
		memcpy(out, b.p, b.len);
		out[b.len] = '\0';
	}
	pc_buf_free(&b);
}

static pc_rc first_cert_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	st_cert *c = ctx;

	/* the device certificate comes first; its chain after it is ours */
	if (c->der != NULL)
		return PC_OK;
	return cert_parse(der, len, "certificate", c, e);
}

/* Before anything is written: every device certificate file the layout
 * would replace must hold a certificate of the same identity as the new
 * one (same_identity).  NAME.pem and NAME.der are one name to the
 * application configured with it (--der or not), so the file with the
 * other suffix is held to the same rule.  A file that holds no readable
 * certificate is not replaced either: it is not known whose it is. */
static pc_rc check_replacements(const char *pki, const st_outs *outs, const char *bundle,
    pc_err *e)
{
	char path[PATH_MAX], rel[PATH_MAX], was[ST_SAN_TEXT_MAX + 1], now[ST_SAN_TEXT_MAX + 1];
	struct stat st;
	size_t i, n;

	for (i = 0; i < 2 * outs->n; i++) {
		const st_cert *c = outs->v[i / 2].cert;
		st_cert old;
		uint8_t *buf;
		size_t len;
		pc_err why;
		pc_rc rc;

		if (c == NULL)
			continue;
		/* i even: the file itself; odd: the same name with the other suffix */
		snprintf(rel, sizeof rel, "%s", outs->v[i / 2].rel);
		n = strlen(rel);
		if (i % 2 == 1) {
			if (n < 4 || rel[n - 4] != '.')
				continue;
			memcpy(rel + n - 3, has_suffix(rel, ".pem") ? "der" : "pem", 3);
		}
		PC_TRY(path_join(path, pki, rel, e));
		if (lstat(path, &st) != 0) {
			if (errno == ENOENT)
				continue;
			return pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
		}
		if ((rc = pc_file_read(path, ST_OWN_FILE_MAX, &buf, &len, &why)) != PC_OK)
			return pc_fail(e, rc, "%s (checking whose certificate it holds before "
			    "replacing it)", why.msg);
		memset(&old, 0, sizeof old);
		if (pc_pem_looks_like(buf, len))
			rc = pc_pem_decode_all(buf, len, "CERTIFICATE", first_cert_cb, &old, &why);
		else
			rc = cert_parse(buf, len, "certificate", &old, &why);
		free(buf);
		san_text(c, now);
		if (rc != PC_OK) {
			cert_free(&old);
			return pc_fail(e, PC_E_EXISTS, "%s: holds no certificate that can be read (%s), "
			    "so it is not known whose it is; %s would replace it with certificate %s "
			    "(%s): refused, nothing written (move the file away if it is not needed)",
			    path, why.msg, bundle, c->serial, now);
		}
		if (!same_identity(&old, c)) {
			san_text(&old, was);
			pc_fail(e, PC_E_EXISTS, "%s: holds certificate %s (%s), another identity than "
			    "certificate %s (%s) that %s delivers under this name: a file there is "
			    "replaced only by a renewal, with the same subjectAltName set (the "
			    "ApplicationUri): refused, nothing written (if the device really changed "
			    "its identity, move the old file away first)", path, old.serial, was,
			    c->serial, now, bundle);
			cert_free(&old);
			return e->rc;
		}
		cert_free(&old);
	}
	return PC_OK;
}

static bool serial_member(const char *name)
{
	size_t i;

	if (strlen(name) != ST_SERIAL_HEX + 4 || !has_suffix(name, ".crt"))
		return false;
	for (i = 0; i < ST_SERIAL_HEX; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

/* NAME.crl with NAME a CA name ([A-Za-z0-9][A-Za-z0-9._-]{0,63}); the
 * validated stem is copied out. */
static bool crl_member(const char *name, char stem[ST_FILE_STEM_MAX + 1])
{
	size_t n = strlen(name), i;

	if (!has_suffix(name, ".crl") || n - 4 == 0 || n - 4 > ST_FILE_STEM_MAX || !is_alnum(name[0]))
		return false;
	for (i = 0; i < n - 4; i++)
		if (!is_alnum(name[i]) && name[i] != '-' && name[i] != '_' && name[i] != '.')
			return false;
	memcpy(stem, name, n - 4);
	stem[n - 4] = '\0';
	return true;
}

/* firmware-NAME.p7s; the validated name is copied out. */
static bool firmware_member(const char *name, char out[TR_NAME_MAX + 1])
{
	if (strncmp(name, "firmware-", 9) != 0 || !has_suffix(name, ".p7s") || strlen(name) <= 13 ||
	    !tr_member_name_ok(name))
		return false;
	snprintf(out, TR_NAME_MAX + 1, "%s", name);
	return true;
}

typedef struct st_crl {
	char stem[ST_FILE_STEM_MAX + 1];
	char member[TR_NAME_MAX + 1];  /* NAME.crl as in the bundle, for messages */
	uint8_t *der;                  /* owned */
	size_t len;
	const uint8_t *issuer;         /* into der */
	size_t issuer_len;
	time_t next_update;            /* 0: none */
} st_crl;

/* RFC 5280 §5.1: CertificateList ::= SEQUENCE { tbsCertList SEQUENCE {
 * version INTEGER OPTIONAL, signature AlgorithmIdentifier, issuer Name,
 * thisUpdate Time, nextUpdate Time OPTIONAL, ... }, signatureAlgorithm,
 * signatureValue BIT STRING }.  Only the shape and the names are read here:
 * the CRL was signed by its CA and the bundle by the transfer key. */
static pc_rc crl_parse(const uint8_t *p, size_t len, const char *what, st_crl *c, pc_err *e)
{
	static const char *const labels[] = { "X509 CRL", NULL };
	pc_reader r, crl, tbs, x;
	const uint8_t *w;
	size_t wl;
	uint8_t tag;

	if (pc_pem_looks_like(p, len)) {
		if (pc_pem_decode(p, len, labels, &c->der, &c->len, NULL, e) != PC_OK)
			return pc_wrap(e, "%s", what);
	} else {
		c->der = malloc(len ? len : 1);
		if (c->der == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		memcpy(c->der, p, len);
		c->len = len;
	}
	r = pc_reader_make(c->der, c->len);
	if (!pc_der_read(&r, DER_SEQUENCE, &crl) || !pc_reader_done(&r) ||
	    !pc_der_read(&crl, DER_SEQUENCE, &tbs) ||
	    !pc_der_read(&crl, DER_SEQUENCE, &x) || !pc_der_read(&crl, DER_BIT_STRING, &x) ||
	    !pc_reader_done(&crl))
		goto bad;
	if (pc_reader_peek(&tbs) == DER_INTEGER && !pc_der_read(&tbs, DER_INTEGER, &x))
		goto bad;
	if (!pc_der_read(&tbs, DER_SEQUENCE, &x) ||
	    !pc_der_read_any(&tbs, &tag, &x, &w, &wl) || tag != DER_SEQUENCE ||
	    !pc_der_read_any(&tbs, &tag, &x, NULL, NULL) ||
	    (tag != DER_UTCTIME && tag != DER_GENERALIZEDTIME))
		goto bad;
	c->issuer = w;
	c->issuer_len = wl;
	if (pc_reader_peek(&tbs) == DER_UTCTIME || pc_reader_peek(&tbs) == DER_GENERALIZEDTIME) {
		if (!pc_der_read_any(&tbs, &tag, &x, NULL, NULL) ||
		    !pc_der_parse_time(tag, x, &c->next_update))
			goto bad;
	}
	return PC_OK;
bad:
	free(c->der);
	c->der = NULL;
	return pc_fail(e, PC_E_BUNDLE, "%s: not an X.509 CRL", what);
}

typedef struct st_accept {
	st_cert root;                  /* the station's own root */
	st_certs chain, trust, p7, cas, devices;   /* p7: trust.p7b's certificates */
	st_crl *crls;
	size_t ncrls;
	const tr_member *chain_m, *trust_m, *p7_m;
	const tr_member **fw;
	char (*fw_names)[TR_NAME_MAX + 1];
	size_t nfw;
} st_accept;

static void accept_free(st_accept *a)
{
	size_t i;

	cert_free(&a->root);
	certs_free(&a->chain);
	certs_free(&a->trust);
	certs_free(&a->p7);
	/* cas holds copies of pointers owned by chain/trust/root: free only the array */
	free(a->cas.v);
	certs_free(&a->devices);
	for (i = 0; i < a->ncrls; i++)
		free(a->crls[i].der);
	free(a->crls);
	free(a->fw);
	free(a->fw_names);
	memset(a, 0, sizeof *a);
}

/* The set of CA certificates: the station root, then chain.pem, trust.pem
 * and trust.p7b, duplicates removed.  Every one must be a CA, and the only
 * self-signed one allowed is the station's own root; accept_signatures then
 * verifies each from the root down.  Whatever the container, a certificate
 * the station writes as a CA goes through this one gate. */
static pc_rc accept_cas(st_accept *a, const char *bundle, pc_err *e)
{
	const st_certs *src[3] = { &a->chain, &a->trust, &a->p7 };
	size_t i, k;

	a->cas.v = calloc(1 + a->chain.n + a->trust.n + a->p7.n, sizeof *a->cas.v);
	if (a->cas.v == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	a->cas.v[a->cas.n++] = a->root;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < src[k]->n; i++) {
			const st_cert *c = &src[k]->v[i];
			if (!c->is_ca)
				return pc_fail(e, PC_E_BUNDLE, "%s: %s: certificate '%s' is not a CA",
				    bundle, src[k]->what, c->cn);
			if (c->self_signed && (c->len != a->root.len ||
			    memcmp(c->der, a->root.der, c->len) != 0))
				return pc_fail(e, PC_E_BUNDLE, "%s: %s: root '%s' is not the root this "
				    "station trusts (DIR/root.pem)", bundle, src[k]->what, c->cn);
			if (certs_find_der(&a->cas, c) == NULL)
				a->cas.v[a->cas.n++] = *c;
		}
	}
	/* every CA must chain by name to the station's root */
	for (i = 1; i < a->cas.n; i++) {
		const st_cert *c = &a->cas.v[i];
		for (k = 0; k < ST_CHAIN_DEPTH_MAX && !c->self_signed; k++) {
			c = certs_find_issuer(&a->cas, c);
			if (c == NULL)
				break;
		}
		if (c == NULL || !c->self_signed)
			return pc_fail(e, PC_E_BUNDLE, "%s: %s: CA certificate '%s' does not chain to the "
			    "station's root", bundle, a->cas.v[i].from, a->cas.v[i].cn);
	}
	return PC_OK;
}

/* Is CA c the issuer of another CA in the set (then it is an intermediate:
 * issuers/ in the OPC UA layout), or only of device certificates (trusted/)? */
static bool ca_is_intermediate(const st_certs *cas, const st_cert *c)
{
	size_t i;

	if (c->self_signed)
		return true;
	for (i = 0; i < cas->n; i++)
		if (!cas->v[i].self_signed && &cas->v[i] != c &&
		    cas->v[i].issuer_len == c->subject_len &&
		    memcmp(cas->v[i].issuer, c->subject, c->subject_len) == 0)
			return true;
	return false;
}

static pc_rc accept_classify(st_accept *a, const tr_bundle *b, const char *bundle, pc_err *e)
{
	char what[PATH_MAX];
	size_t i;

	a->chain.what = "chain.pem";
	a->trust.what = "trust.pem";
	a->p7.what = "trust.p7b";
	a->crls = calloc(b->nmembers ? b->nmembers : 1, sizeof *a->crls);
	a->fw = calloc(b->nmembers ? b->nmembers : 1, sizeof *a->fw);
	a->fw_names = calloc(b->nmembers ? b->nmembers : 1, sizeof *a->fw_names);
	if (a->crls == NULL || a->fw == NULL || a->fw_names == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < b->nmembers; i++) {
		const tr_member *m = &b->members[i];
		char stem[ST_FILE_STEM_MAX + 1];

		snprintf(what, sizeof what, "%s: member %s", bundle, m->name);
		if (serial_member(m->name)) {
			st_cert c;
			PC_TRY(cert_load_bytes(m->data, m->len, what, &c, e));
			if (strcmp(c.serial, "") == 0 || strncmp(c.serial, m->name, ST_SERIAL_HEX) != 0 ||
			    strlen(c.serial) != ST_SERIAL_HEX) {
				pc_fail(e, PC_E_BUNDLE, "%s: certificate serial %s does not match the "
				    "member name", what, c.serial);
				cert_free(&c);
				return e->rc;
			}
			PC_TRY(certs_push(&a->devices, &c, e));
		} else if (strcmp(m->name, "chain.pem") == 0 || strcmp(m->name, "trust.pem") == 0) {
			st_certs *s = m->name[0] == 'c' ? &a->chain : &a->trust;
			if (pc_pem_decode_all(m->data, m->len, "CERTIFICATE", certs_add_cb, s, e) != PC_OK)
				return pc_wrap(e, "%s", what);
			if (m->name[0] == 'c')
				a->chain_m = m;
			else
				a->trust_m = m;
		} else if (strcmp(m->name, "trust.p7b") == 0) {
			/* parsed strictly, then its certificates go where chain.pem's
			 * and trust.pem's go: into the CA set that accept_cas and
			 * accept_signatures check against the station's root */
			tr_p7b p7;
			size_t k;
			if (tr_p7b_parse(m->data, m->len, what, &p7, e) != PC_OK)
				return e->rc;
			for (k = 0; k < p7.ncerts; k++)
				if (certs_add_cb(&a->p7, p7.cert[k], p7.cert_len[k], e) != PC_OK)
					return pc_wrap(e, "%s", what);
			a->p7_m = m;
		} else if (crl_member(m->name, stem)) {
			st_crl *c = &a->crls[a->ncrls];
			PC_TRY(crl_parse(m->data, m->len, what, c, e));
			a->ncrls++;
			snprintf(c->stem, sizeof c->stem, "%s", stem);
			snprintf(c->member, sizeof c->member, "%s", m->name);
		} else if (firmware_member(m->name, a->fw_names[a->nfw])) {
			if (m->len == 0)
				return pc_fail(e, PC_E_BUNDLE, "%s: empty", what);
			a->fw[a->nfw++] = m;
		} else {
			return pc_fail(e, PC_E_BUNDLE, "%s: unexpected member (a response holds "
			    "SERIAL.crt, chain.pem, trust.pem, trust.p7b, NAME.crl, firmware-*.p7s)",
			    what);
		}
	}
	if (a->devices.n == 0 && a->chain.n + a->trust.n + a->ncrls + a->nfw == 0 && a->p7_m == NULL)
		return pc_fail(e, PC_E_BUNDLE, "%s: response carries nothing to install", bundle);
	if (a->p7_m != NULL && a->trust_m == NULL)
		return pc_fail(e, PC_E_BUNDLE, "%s: member trust.p7b without trust.pem (trust.p7b is "
		    "trust.pem in PKCS#7 form, accepted only next to it)", bundle);
	return PC_OK;
}

/* Nothing is written before every certificate and CRL has been matched to
 * the station's root: this turns a signed-but-inconsistent response (a CA
 * bug, a mix-up between plants) into a refusal instead of a broken store. */
static pc_rc accept_verify(st_accept *a, const char *bundle, pc_err *e)
{
	size_t i, k;

	PC_TRY(accept_cas(a, bundle, e));
	for (i = 0; i < a->devices.n; i++) {
		const st_cert *c = &a->devices.v[i];
		const st_cert *p = certs_find_issuer(&a->cas, c);
		if (c->self_signed || p == NULL)
			return pc_fail(e, PC_E_BUNDLE, "%s: certificate %s ('%s'): issuer is not a CA "
			    "in chain.pem or trust.pem", bundle, c->serial, c->cn);
		for (k = 0; k < i; k++)
			if (strcmp(a->devices.v[k].serial, c->serial) == 0)
				return pc_fail(e, PC_E_BUNDLE, "%s: certificate %s delivered twice",
				    bundle, c->serial);
	}
	for (i = 0; i < a->ncrls; i++) {
		bool found = false;
		for (k = 0; k < a->cas.n && !found; k++)
			found = a->cas.v[k].subject_len == a->crls[i].issuer_len &&
			    memcmp(a->cas.v[k].subject, a->crls[i].issuer, a->crls[i].issuer_len) == 0;
		if (!found)
			return pc_fail(e, PC_E_BUNDLE, "%s: %s.crl: issuer is not a CA of this "
			    "station's PKI", bundle, a->crls[i].stem);
	}
	return PC_OK;
}

/* wolfSSL verifies c's signature with its issuer from cm (found by AKI or
 * issuer name).  Dates are skipped: plant clocks are often wrong, and the CA
 * issued these certificates moments before export. */
/* The signature of c, checked with `issuer`'s public key alone. */
static int signature_only(const st_cert *c, const st_cert *issuer)
{
	DecodedCert dc;
	int ret;

	wc_InitDecodedCert(&dc, issuer->der, (word32)issuer->len, NULL);
	ret = wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL);
	if (ret == 0)
		ret = wc_CheckCertSigPubKey(c->der, (word32)c->len, NULL, dc.publicKey, dc.pubKeySize,
		    (int)dc.keyOID);
	wc_FreeDecodedCert(&dc);
	return ret;
}

static int verify_with(WOLFSSL_CERT_MANAGER *cm, const st_cert *c, const st_cert *issuer)
{
	DecodedCert dc;
	int ret;

	wc_InitDecodedCert(&dc, c->der, (word32)c->len, NULL);
	ret = wc_ParseCert(&dc, CERT_TYPE, VERIFY_SKIP_DATE, cm);
	wc_FreeDecodedCert(&dc);
	/* wolfSSL 5.5.4 refuses an iPAddress SAN under an iPAddress name
	 * constraint it cannot evaluate (ASN_NAME_INVALID_E), although OpenSSL
	 * and GnuTLS accept the same chain.  The CA checked the constraints
	 * before signing (pre-issuance check); here the signature is what must
	 * hold, so check that alone. */
	if (ret == ASN_NAME_INVALID_E && issuer != NULL)
		ret = signature_only(c, issuer);
	return ret;
}

/* Signatures (RFC 5280 §6.1.3 (a)(1)): from the station's own root down,
 * each CA certificate is verified by its issuer before it may vouch for
 * others, then each delivered certificate by its CA.  The bundle signature
 * already says the CA sent these bytes; this says they are the PKI the
 * station was set up with, so a mixed-up export cannot install certificates
 * that the plant's TLS and OPC UA peers would reject. */
static pc_rc accept_signatures(const st_accept *a, const char *bundle, pc_err *e)
{
	WOLFSSL_CERT_MANAGER *cm;
	bool *loaded, progress = true;
	size_t i;
	int ret;
	pc_rc rc = PC_OK;

	loaded = calloc(a->cas.n, sizeof *loaded);
	cm = wolfSSL_CertManagerNew();
	if (loaded == NULL || cm == NULL) {
		free(loaded);
		if (cm != NULL)
			wolfSSL_CertManagerFree(cm);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	/* cas.v[0] is the station's root (accept_cas) */
	ret = wolfSSL_CertManagerLoadCABuffer(cm, a->root.der, (long)a->root.len,
	    WOLFSSL_FILETYPE_ASN1);
	if (ret != WOLFSSL_SUCCESS) {
		rc = pc_fail(e, PC_E_CRYPTO, "station root (DIR/root.pem) cannot be used as a trust "
		    "anchor (wolfSSL %d; expired?)", ret);
		goto out;
	}
	loaded[0] = true;
	while (progress) {
		progress = false;
		for (i = 1; i < a->cas.n; i++) {
			const st_cert *c = &a->cas.v[i], *p;
			if (loaded[i] || (p = certs_find_issuer(&a->cas, c)) == NULL ||
			    !loaded[p - a->cas.v])
				continue;
			if ((ret = verify_with(cm, c, p)) != 0) {
				rc = pc_fail(e, PC_E_BUNDLE, "%s: %s: CA certificate '%s': signature does "
				    "not verify with '%s' (wolfSSL %d)", bundle, c->from, c->cn, p->cn, ret);
				goto out;
			}
			ret = wolfSSL_CertManagerLoadCABuffer(cm, c->der, (long)c->len,
			    WOLFSSL_FILETYPE_ASN1);
			if (ret != WOLFSSL_SUCCESS) {
				rc = pc_fail(e, PC_E_BUNDLE, "%s: %s: CA certificate '%s' cannot be used "
				    "(wolfSSL %d; expired or not yet valid?)", bundle, c->from, c->cn, ret);
				goto out;
			}
			loaded[i] = progress = true;
		}
	}
	for (i = 1; i < a->cas.n; i++)
		if (!loaded[i]) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: %s: CA certificate '%s' does not chain to the "
			    "station's root", bundle, a->cas.v[i].from, a->cas.v[i].cn);
			goto out;
		}
	/* CRLs (RFC 5280 §6.3.3 (f)): signed by the CA that issued them */
	if (a->ncrls > 0 && (ret = wolfSSL_CertManagerEnableCRL(cm, 0)) != WOLFSSL_SUCCESS) {
		rc = pc_fail(e, PC_E_CRYPTO, "cannot enable CRL checking (wolfSSL %d)", ret);
		goto out;
	}
	for (i = 0; i < a->ncrls; i++) {
		/* wolfSSL 5.5.4 reports a CRL past nextUpdate as a parse error
		 * (ASN_PARSE_E) without checking its signature: say it ourselves */
		if (a->crls[i].next_update != 0 && a->crls[i].next_update < time(NULL)) {
			char when[32] = "?";
			struct tm tm;
			if (gmtime_r(&a->crls[i].next_update, &tm) != NULL)
				strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
			rc = pc_fail(e, PC_E_EXPIRED, "%s: %s.crl: expired (nextUpdate %s): the CA must "
			    "export a fresh CRL, or this station's clock is wrong", bundle,
			    a->crls[i].stem, when);
			goto out;
		}
		ret = wolfSSL_CertManagerLoadCRLBuffer(cm, a->crls[i].der, (long)a->crls[i].len,
		    WOLFSSL_FILETYPE_ASN1);
		if (ret != WOLFSSL_SUCCESS) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: %s.crl: %s (wolfSSL %d)", bundle, a->crls[i].stem,
			    ret == CRL_CERT_DATE_ERR || ret == ASN_AFTER_DATE_E ?
			    "CRL dates not valid now (check this station's clock)" :
			    "does not parse or its signature does not verify with its CA", ret);
			goto out;
		}
	}
	for (i = 0; i < a->devices.n; i++) {
		const st_cert *c = &a->devices.v[i];
		if ((ret = verify_with(cm, c, certs_find_issuer(&a->cas, c))) != 0) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: certificate %s ('%s'): signature does not "
			    "verify with its CA (wolfSSL %d)", bundle, c->serial, c->cn, ret);
			goto out;
		}
	}
out:
	wolfSSL_CertManagerFree(cm);
	free(loaded);
	return rc;
}

/* trust.p7b and trust.pem are one trust list in two encodings: PEM for
 * the stacks that read PEM bundles, PKCS#7 for those that import a .p7b
 * (many OPC UA stacks, Windows-based HMIs).  Each certificate of both was
 * checked on its own above; if the two still differed, two applications of
 * one plant would trust different CAs depending on the format they read,
 * and whoever audits trust.pem would not see what the others trust. */
static pc_rc accept_p7b_matches(const st_accept *a, const char *bundle, pc_err *e)
{
	const st_certs *side[2] = { &a->p7, &a->trust };
	size_t k, i;

	if (a->p7_m == NULL)
		return PC_OK;
	for (k = 0; k < 2; k++)
		for (i = 0; i < side[k]->n; i++)
			if (certs_find_der(side[1 - k], &side[k]->v[i]) == NULL)
				return pc_fail(e, PC_E_BUNDLE, "%s: trust.p7b and trust.pem are not the same "
				    "certificates ('%s' is only in %s): they are one trust list in two "
				    "formats", bundle, side[k]->v[i].cn, side[k]->what);
	return PC_OK;
}

/* firmware-*.p7s: the signer's certificates are written to PKI_DIR like any
 * other, so they are checked now with the firmware verifier's whole logic
 * (transfer/fwverify.h: strict CMS shape, signature over the signed
 * attributes, chain to the station's root, CA flags and path length,
 * codeSigning, dates, revocation in this bundle's CRLs).  The image does
 * not travel in the bundle: the digest given is the signature's own
 * messageDigest, and verify-firmware compares it with the image later. */
static pc_rc accept_firmware(const st_accept *a, const char *bundle, pc_err *e)
{
	fw_blob anchor, *crls;
	fw_check_opts o;
	fw_result res;
	fw_cms cms;
	size_t i;
	pc_rc rc = PC_OK;

	if (a->nfw == 0)
		return PC_OK;
	crls = calloc(a->ncrls ? a->ncrls : 1, sizeof *crls);
	if (crls == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < a->ncrls; i++) {
		crls[i].der = a->crls[i].der;
		crls[i].len = a->crls[i].len;
		crls[i].name = a->crls[i].member;
	}
	anchor.der = a->root.der;
	anchor.len = a->root.len;
	anchor.name = "DIR/root.pem";
	memset(&o, 0, sizeof o);
	o.trust = &anchor;
	o.ntrust = 1;
	o.crls = crls;
	o.ncrls = a->ncrls;
	for (i = 0; i < a->nfw && rc == PC_OK; i++) {
		const tr_member *m = a->fw[i];
		if ((rc = fw_cms_parse(m->data, m->len, &cms, e)) == PC_OK)
			rc = fw_cms_check(&cms, cms.digest, cms.digest_len, &o, &res, e);
		if (rc != PC_OK)
			pc_wrap(e, "%s: member %s", bundle, a->fw_names[i]);
	}
	free(crls);
	return rc;
}

static void put_cert(pc_buf *b, const st_cert *c, bool der)
{
	if (der)
		pc_buf_append(b, c->der, c->len);
	else
		pc_pem_encode(b, "CERTIFICATE", c->der, c->len);
}

static void put_crl(pc_buf *b, const st_crl *c, bool der)
{
	if (der)
		pc_buf_append(b, c->der, c->len);
	else
		pc_pem_encode(b, "X509 CRL", c->der, c->len);
}

static pc_rc out_copy(st_outs *outs, const char *rel, const tr_member *m, pc_err *e)
{
	pc_buf b = PC_BUF_INIT;

	pc_buf_append(&b, m->data, m->len);
	return outs_add(outs, rel, &b, e);
}

static const st_cert *crl_ca(const st_accept *a, const st_crl *c)
{
	size_t k;

	for (k = 0; k < a->cas.n; k++)
		if (a->cas.v[k].subject_len == c->issuer_len &&
		    memcmp(a->cas.v[k].subject, c->issuer, c->issuer_len) == 0)
			return &a->cas.v[k];
	return NULL;
}

static pc_rc plan_flat(const st_accept *a, bool der, st_outs *outs, pc_err *e)
{
	char rel[PATH_MAX];
	size_t i;

	for (i = 0; i < a->devices.n; i++) {
		pc_buf b = PC_BUF_INIT;
		snprintf(rel, sizeof rel, "certs/%s.%s", a->devices.v[i].serial, der ? "der" : "pem");
		put_cert(&b, &a->devices.v[i], der);
		PC_TRY(outs_add(outs, rel, &b, e));
		outs->v[outs->n - 1].cert = &a->devices.v[i];
	}
	/* chain.pem and trust.pem are rewritten from the parsed certificates:
	 * no text from the bundle besides base64 of checked DER */
	if (a->chain.n > 0) {
		pc_buf b = PC_BUF_INIT;
		for (i = 0; i < a->chain.n; i++)
			put_cert(&b, &a->chain.v[i], false);
		PC_TRY(outs_add(outs, "chain.pem", &b, e));
	}
	if (a->trust.n > 0) {
		pc_buf b = PC_BUF_INIT;
		for (i = 0; i < a->trust.n; i++)
			put_cert(&b, &a->trust.v[i], false);
		PC_TRY(outs_add(outs, "trust.pem", &b, e));
	}
	/* trust.p7b likewise: the certs-only PKCS#7 of the checked
	 * certificates (tr_p7b_parse accepts only the canonical encoding, so
	 * these are the bytes that came, rebuilt from what was checked) */
	if (a->p7_m != NULL) {
		const uint8_t *cv[TR_P7B_CERTS_MAX];
		size_t lv[TR_P7B_CERTS_MAX];
		pc_buf b = PC_BUF_INIT;
		for (i = 0; i < a->p7.n; i++) {
			cv[i] = a->p7.v[i].der;
			lv[i] = a->p7.v[i].len;
		}
		if (tr_p7b_build(cv, lv, a->p7.n, &b, e) != PC_OK) {
			pc_buf_free(&b);
			return e->rc;
		}
		PC_TRY(outs_add(outs, "trust.p7b", &b, e));
	}
	for (i = 0; i < a->ncrls; i++) {
		pc_buf b = PC_BUF_INIT;
		snprintf(rel, sizeof rel, "crl/%s.crl", a->crls[i].stem);
		put_crl(&b, &a->crls[i], der);
		PC_TRY(outs_add(outs, rel, &b, e));
	}
	return PC_OK;
}

static pc_rc plan_opcua(const st_accept *a, bool der, const char *bundle, st_outs *outs,
    pc_err *e)
{
	char rel[PATH_MAX], stem[ST_FILE_STEM_MAX + 1];
	const char *ext = der ? "der" : "pem";
	size_t i, k;

	/* CA certificates delivered in the bundle (not the station's own copy
	 * of the root unless the bundle carries it too) */
	for (i = 1; i < a->cas.n; i++) {
		const st_cert *c = &a->cas.v[i];
		pc_buf b = PC_BUF_INIT;
		snprintf(rel, sizeof rel, "%s/certs/%s.%s",
		    ca_is_intermediate(&a->cas, c) ? "issuers" : "trusted", c->stem, ext);
		put_cert(&b, c, der);
		PC_TRY(outs_add(outs, rel, &b, e));
	}
	/* the station's root always: OPC UA stacks need it to build chains */
	{
		pc_buf b = PC_BUF_INIT;
		snprintf(rel, sizeof rel, "issuers/certs/%s.%s", a->root.stem, ext);
		for (i = 0; i < outs->n && strcmp(outs->v[i].rel, rel) != 0; i++)
			;
		if (i == outs->n) {
			put_cert(&b, &a->root, der);
			PC_TRY(outs_add(outs, rel, &b, e));
		}
	}
	for (i = 0; i < a->ncrls; i++) {
		const st_cert *ca = crl_ca(a, &a->crls[i]);
		pc_buf b = PC_BUF_INIT;
		snprintf(rel, sizeof rel, "%s/crl/%s.crl",
		    ca != NULL && ca_is_intermediate(&a->cas, ca) ? "issuers" : "trusted",
		    a->crls[i].stem);
		put_crl(&b, &a->crls[i], der);
		PC_TRY(outs_add(outs, rel, &b, e));
	}
	/* own/certs/CN.pem: an OPC UA application is configured with the path
	 * of its own certificate, so the name is stable and a renewal lands in
	 * the same file.  One name holds one identity (same_identity): two
	 * devices with one CN in this bundle are refused here, one against a
	 * file already there by check_replacements. */
	for (i = 0; i < a->devices.n; i++) {
		const st_cert *c = &a->devices.v[i], *p = c;
		pc_buf b = PC_BUF_INIT;
		bool named = true;

		for (k = 0; k < a->devices.n; k++) {
			const st_cert *o = &a->devices.v[k];
			if (k == i || strcmp(o->stem, c->stem) != 0)
				continue;
			if (!same_identity(o, c)) {
				char x[ST_SAN_TEXT_MAX + 1], y[ST_SAN_TEXT_MAX + 1];
				san_text(k < i ? o : c, x);
				san_text(k < i ? c : o, y);
				return pc_fail(e, PC_E_BUNDLE, "%s: certificates %s (%s) and %s (%s) would both "
				    "be own/certs/%s.%s: two identities under one name (CN '%s'); refused, "
				    "nothing written", bundle, (k < i ? o : c)->serial, x,
				    (k < i ? c : o)->serial, y, c->stem, ext, c->cn);
			}
			/* the same identity twice (a renewal exported together with
			 * the certificate it renews): the newest takes the name, the
			 * others are still delivered, by serial */
			if (o->not_before > c->not_before || (o->not_before == c->not_before && k > i))
				named = false;
		}
		snprintf(stem, sizeof stem, "%s", named ? c->stem : c->serial);
		snprintf(rel, sizeof rel, "own/certs/%s.%s", stem, ext);
		put_cert(&b, c, der);
		for (k = 0; !der && k < ST_CHAIN_DEPTH_MAX; k++) {
			p = certs_find_issuer(&a->cas, p);
			if (p == NULL || p->self_signed)
				break;
			put_cert(&b, p, false);
		}
		PC_TRY(outs_add(outs, rel, &b, e));
		outs->v[outs->n - 1].cert = c;
	}
	return PC_OK;
}

static pc_rc write_outs(const char *pki, const st_outs *outs, bool opcua, pc_err *e)
{
	static const char *const flat_dirs[] = { "certs", "crl", NULL };
	static const char *const opcua_dirs[] = {
		"own", "own/certs", "trusted", "trusted/certs", "trusted/crl",
		"issuers", "issuers/certs", "issuers/crl", NULL,
	};
	const char *const *dirs = opcua ? opcua_dirs : flat_dirs;
	char path[PATH_MAX];
	size_t i;

	PC_TRY(pc_mkdir(pki, 0755, e));
	for (i = 0; dirs[i] != NULL; i++) {
		PC_TRY(path_join(path, pki, dirs[i], e));
		PC_TRY(pc_mkdir(path, 0755, e));
	}
	for (i = 0; i < outs->n; i++) {
		if (strncmp(outs->v[i].rel, "firmware/", 9) == 0) {
			PC_TRY(path_join(path, pki, "firmware", e));
			PC_TRY(pc_mkdir(path, 0755, e));
		}
		PC_TRY(path_join(path, pki, outs->v[i].rel, e));
		PC_TRY(pc_file_write_atomic(path, outs->v[i].data, outs->v[i].len, 0644, false, e));
	}
	return PC_OK;
}

static pc_rc st_accept_bundle(const char *dir, const char *bundle_path, const st_opts *o,
    pc_err *e)
{
	char path[PATH_MAX], rel[PATH_MAX], keyid[17];
	st_conf conf;
	tr_pubkey capub;
	tr_bundle b;
	st_accept a;
	st_outs outs = { NULL, 0, 0 };
	bool opcua, bundle_open = false;
	size_t i;
	pc_rc rc;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	if (o->out == NULL)
		return pc_fail(e, PC_E_USAGE, "accept: --out PKI_DIR is required");
	if (o->layout != NULL && strcmp(o->layout, "flat") != 0 && strcmp(o->layout, "opcua") != 0)
		return pc_fail(e, PC_E_USAGE, "--layout '%s': expected flat or opcua", o->layout);
	opcua = o->layout != NULL && strcmp(o->layout, "opcua") == 0;
	PC_TRY(conf_load(dir, &conf, e));
	PC_TRY(load_pubkey(dir, "ca-transfer.pub", &capub, e));
	PC_TRY(path_join(path, dir, "root.pem", e));
	PC_TRY(root_load(path, &a.root, e));
	a.root.from = "DIR/root.pem";

	/* the CA transfer key is the only key trusted for responses */
	if ((rc = tr_bundle_read(bundle_path, &capub, 1, &b, e)) != PC_OK)
		goto out;
	bundle_open = true;
	if ((rc = tr_bundle_check(&b, TR_RESPONSE, conf.segment, conf.last_response, time(NULL),
	    e)) != PC_OK)
		goto out;
	if ((rc = accept_classify(&a, &b, bundle_path, e)) != PC_OK ||
	    (rc = accept_verify(&a, bundle_path, e)) != PC_OK ||
	    (rc = accept_signatures(&a, bundle_path, e)) != PC_OK ||
	    (rc = accept_p7b_matches(&a, bundle_path, e)) != PC_OK ||
	    (rc = accept_firmware(&a, bundle_path, e)) != PC_OK)
		goto out;
	rc = opcua ? plan_opcua(&a, o->der, bundle_path, &outs, e) : plan_flat(&a, o->der, &outs, e);
	if (rc != PC_OK)
		goto out;
	for (i = 0; i < a.nfw; i++) {
		snprintf(rel, sizeof rel, "firmware/%s", a.fw_names[i]);
		if ((rc = out_copy(&outs, rel, a.fw[i], e)) != PC_OK)
			goto out;
	}

	if ((rc = check_replacements(o->out, &outs, bundle_path, e)) != PC_OK)
		goto out;

	/* verified: write */
	if ((rc = write_outs(o->out, &outs, opcua, e)) != PC_OK) {
		pc_wrap(e, "%s: accepting into %s stopped part-way; the bundle was not recorded "
		    "and can be accepted again", bundle_path, o->out);
		goto out;
	}
	conf.last_response = b.meta.sequence;
	snprintf(conf.last_bundle, sizeof conf.last_bundle, "%s", b.name);
	if ((rc = conf_save(dir, &conf, false, e)) != PC_OK) {
		pc_wrap(e, "%s: files written to %s, but the sequence was not recorded", bundle_path,
		    o->out);
		goto out;
	}

	tr_keyid_text(capub.keyid, keyid);
	if (o->json) {
		printf("{\"bundle\":");
		json_str(stdout, bundle_path);
		printf(",\"segment\":\"%s\",\"sequence\":%llu,\"signer\":\"%s\",\"layout\":\"%s\","
		    "\"certificates\":%zu,\"crls\":%zu,\"in_reply_to\":[", conf.segment,
		    (unsigned long long)b.meta.sequence, keyid, opcua ? "opcua" : "flat",
		    a.devices.n, a.ncrls);
		for (i = 0; i < b.meta.nreply; i++) {
			printf("%s", i ? "," : "");
			json_str(stdout, b.meta.in_reply_to[i]);
		}
		printf("],\"written\":[");
		for (i = 0; i < outs.n; i++) {
			printf("%s\"", i ? "," : "");
			json_str_body(stdout, o->out);
			fputc('/', stdout);
			json_str_body(stdout, outs.v[i].rel);
			fputc('"', stdout);
		}
		printf("]}\n");
	} else {
		printf("accepted %s: segment %s, sequence %llu, signed by CA transfer key %s\n",
		    bundle_path, conf.segment, (unsigned long long)b.meta.sequence, keyid);
		for (i = 0; i < b.meta.nreply; i++)
			printf("  in reply to %s\n", b.meta.in_reply_to[i]);
		for (i = 0; i < a.ncrls; i++) {
			char when[32] = "none";
			struct tm tm;
			if (a.crls[i].next_update != 0 && gmtime_r(&a.crls[i].next_update, &tm) != NULL)
				strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
			printf("  CRL %s: next update %s\n", a.crls[i].stem, when);
		}
		printf("%zu certificate%s, %zu CRL%s; wrote (%s layout):\n", a.devices.n,
		    a.devices.n == 1 ? "" : "s", a.ncrls, a.ncrls == 1 ? "" : "s",
		    opcua ? "opcua" : "flat");
		for (i = 0; i < outs.n; i++)
			printf("  %s/%s\n", o->out, outs.v[i].rel);
	}
	rc = PC_OK;
out:
	if (bundle_open)
		tr_bundle_free(&b);
	accept_free(&a);
	outs_free(&outs);
	return rc;
}

/* ------------------------------------------------------- verify-firmware */

/* CRL files below PKI_DIR as accept wrote them: crl/ (flat) and
 * trusted/crl, issuers/crl (opcua).  Missing directories are fine.  The
 * blobs borrow their file names (messages name them), so the names are
 * kept in *names until the caller frees them. */
static pc_rc load_pki_crls(const char *pki, fw_blobs *crls, size_t *n, char ***names,
    size_t *nnames, pc_err *e)
{
	static const char *const sub[] = { "crl", "trusted/crl", "issuers/crl" };
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof sub / sizeof sub[0]; i++) {
		DIR *d;
		struct dirent *de;
		snprintf(dir, sizeof dir, "%s/%s", pki, sub[i]);
		d = opendir(dir);
		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);
			if (l < 5 || strcmp(de->d_name + l - 4, ".crl") != 0)
				continue;
			char **nn = realloc(*names, (*nnames + 1) * sizeof *nn);
			if (nn == NULL) {
				closedir(d);
				return pc_fail(e, PC_E_NOMEM, "out of memory");
			}
			*names = nn;
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			if ((nn[*nnames] = strdup(path)) == NULL) {
				closedir(d);
				return pc_fail(e, PC_E_NOMEM, "out of memory");
			}
			if (fw_blobs_load(crls, nn[(*nnames)++], true, e) != PC_OK) {
				closedir(d);
				return e->rc;
			}
			(*n)++;
		}
		closedir(d);
	}
	return PC_OK;
}

/* The station's check of a firmware signature: the trust anchor is the
 * root it was set up with (DIR/root.pem), the CRLs those a response bundle
 * delivered (--pki PKI_DIR) and any --crl files. */
static pc_rc st_verify_firmware(const char *dir, const char *image, const char *sigpath,
    const st_opts *o, pc_err *e)
{
	fw_blobs trust = { 0 }, crls = { 0 };
	fw_check_opts co;
	fw_cms cms;
	fw_result res;
	uint8_t *sig = NULL;
	size_t len, i, ncrl = 0, nnames = 0;
	char root[PATH_MAX], **names = NULL;
	pc_rc rc;

	snprintf(root, sizeof root, "%s/root.pem", dir);
	if ((rc = fw_blobs_load(&trust, root, false, e)) != PC_OK)
		goto out;
	if (o->pki && (rc = load_pki_crls(o->pki, &crls, &ncrl, &names, &nnames, e)) != PC_OK)
		goto out;
	for (i = 0; i < o->ncrls; i++, ncrl++)
		if ((rc = fw_blobs_load(&crls, o->crls[i], true, e)) != PC_OK)
			goto out;
	if (o->min_version) {
		fw_version v;
		if (fw_version_parse(o->min_version, &v, e) != PC_OK) {
			pc_wrap(e, "--min-version");
			rc = e->rc = PC_E_USAGE;
			goto out;
		}
	}
	if ((rc = pc_file_read(sigpath, FW_SIG_MAX, &sig, &len, e)) != PC_OK)
		goto out;
	memset(&co, 0, sizeof co);
	co.trust = trust.v;
	co.ntrust = trust.n;
	co.crls = crls.v;
	co.ncrls = crls.n;
	co.min_version = o->min_version;
	co.target = o->target;
	if ((rc = fw_verify_image(image, sig, len, sigpath, &co, &cms, &res, e)) != PC_OK)
		goto out;
	if (o->json) {
		printf("{\"valid\":true,\"package\":");
		json_str(stdout, cms.package);
		printf(",\"version\":");
		json_str(stdout, cms.version_text);
		printf(",\"signer_serial\":\"%s\",\"crls\":%zu}\n", res.signer_serial, ncrl);
	} else {
		printf("%s: valid signature: firmware %s version %s by signer %s (serial %s), chained "
		    "to this station's root; checked against %zu CRL file(s)%s\n", image, cms.package,
		    cms.version_text, res.signer_cn[0] ? res.signer_cn : "(no CN)", res.signer_serial,
		    ncrl, ncrl ? "" : " (no CRL: revocation not checked; give --pki PKI_DIR)");
	}
out:
	free(sig);
	fw_blobs_free(&trust);
	fw_blobs_free(&crls);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* -------------------------------------------------------------------- main */

enum {
	OPT_SEGMENT = 256, OPT_CA_KEY, OPT_TRUST, OPT_PASS_FILE, OPT_JSON, OPT_PROFILE,
	OPT_EXPIRES, OPT_OUT, OPT_LAYOUT, OPT_DER, OPT_PKI, OPT_CRL, OPT_MIN_VERSION, OPT_TARGET,
};

static const struct option longopts[] = {
	{ "segment", required_argument, NULL, OPT_SEGMENT },
	{ "ca-key", required_argument, NULL, OPT_CA_KEY },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "passphrase-file", required_argument, NULL, OPT_PASS_FILE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "output", required_argument, NULL, 'o' },
	{ "expires", required_argument, NULL, OPT_EXPIRES },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "der", no_argument, NULL, OPT_DER },
	{ "pki", required_argument, NULL, OPT_PKI },
	{ "crl", required_argument, NULL, OPT_CRL },
	{ "min-version", required_argument, NULL, OPT_MIN_VERSION },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The station directory's lock (pc_dir_lock), taken only in a directory
 * that holds a station (elsewhere the verb's own message says what is
 * wrong, and no lock file is left in a stranger's directory). */
static pc_rc station_lock(const char *dir, int *fd, pc_err *e)
{
	char path[PATH_MAX];
	struct stat sb;

	*fd = -1;
	if (path_join(path, dir, "station.conf", e) != PC_OK || stat(path, &sb) != 0)
		return PC_OK;
	return pc_dir_lock(dir, "plantca-station", fd, e);
}

int main(int argc, char **argv)
{
	st_opts o;
	st_csr_arg *pos;
	const char *profile = NULL;
	size_t npos = 0;
	pc_err e = { PC_OK, "" };
	pc_rc rc;
	int c, st = 0, lock_fd = -1;

	if (pc_secure_process(&e) != PC_OK)
		return fail(&e);
	memset(&o, 0, sizeof o);
	o.expires_days = ST_EXPIRES_DEFAULT;
	pos = calloc((size_t)argc + 1, sizeof *pos);
	o.crls = calloc((size_t)argc + 1, sizeof *o.crls);
	if (pos == NULL || o.crls == NULL) {
		free(pos);
		free(o.crls);
		return usage_error("%s", "out of memory");
	}
	opterr = 0;
	/* "-": operands are returned in order (as 1), so that each CSR picks up
	 * the --profile given before it */
	while ((c = getopt_long(argc, argv, "-ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			pos[npos].path = optarg;
			pos[npos].profile = profile;
			npos++;
			break;
		case OPT_SEGMENT: o.segment = optarg; break;
		case OPT_CA_KEY: o.ca_key = optarg; break;
		case OPT_TRUST: o.trust = optarg; break;
		case OPT_PASS_FILE: o.pass_file = optarg; break;
		case OPT_JSON: o.json = true; break;
		case OPT_PROFILE: profile = optarg; break;
		case 'o': o.media = optarg; break;
		case OPT_EXPIRES: {
			uint64_t v;
			if (!parse_u64(optarg, &v) || v == 0 || v > ST_EXPIRES_MAX) {
				st = usage_error("--expires '%s': expected 1..%d days", optarg,
				    ST_EXPIRES_MAX);
				goto done;
			}
			o.expires_days = (unsigned)v;
			break;
		}
		case OPT_OUT: o.out = optarg; break;
		case OPT_LAYOUT: o.layout = optarg; break;
		case OPT_DER: o.der = true; break;
		case OPT_PKI: o.pki = optarg; break;
		case OPT_CRL: o.crls[o.ncrls++] = optarg; break;
		case OPT_MIN_VERSION: o.min_version = optarg; break;
		case OPT_TARGET:
			if (o.target) {
				st = usage_error("%s", "verify-firmware takes one --target");
				goto done;
			}
			o.target = optarg;
			break;
		case 'h':
			fputs(usage_verbs, stdout);
			fputs(usage_accept, stdout);
			fputs(usage_options, stdout);
			goto done;
		case '?':
		default:
			st = usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
			goto done;
		}
	}
	if (npos == 0) {
		st = usage_error("%s", "no verb given");
		goto done;
	}
	if (strcmp(pos[0].path, "init") == 0) {
		if (npos != 2) {
			st = usage_error("usage: plantca-station init DIR --segment S --ca-key "
			    "TRANSFER.pub --trust ROOT.pem");
			goto done;
		}
		rc = st_init(pos[1].path, &o, &e);
	} else if (strcmp(pos[0].path, "request") == 0) {
		if (npos < 3) {
			st = usage_error("usage: plantca-station request DIR --profile P CSR... "
			    "-o MEDIA_DIR");
			goto done;
		}
		/* one request or accept at a time per station: two at once would
		 * take the same sequence number, and the CA would refuse the
		 * second bundle as a replay */
		if ((rc = station_lock(pos[1].path, &lock_fd, &e)) == PC_OK)
			rc = st_request(pos[1].path, pos + 2, npos - 2, &o, &e);
	} else if (strcmp(pos[0].path, "accept") == 0) {
		if (npos != 3) {
			st = usage_error("usage: plantca-station accept DIR BUNDLE.tar --out PKI_DIR "
			    "[--layout flat|opcua]");
			goto done;
		}
		if ((rc = station_lock(pos[1].path, &lock_fd, &e)) == PC_OK)
			rc = st_accept_bundle(pos[1].path, pos[2].path, &o, &e);
	} else if (strcmp(pos[0].path, "verify-firmware") == 0) {
		if (npos != 4) {
			st = usage_error("usage: plantca-station verify-firmware DIR IMAGE SIG [--pki PKI_DIR] "
			    "[--crl FILE]... [--min-version V] [--target OID]");
			goto done;
		}
		rc = st_verify_firmware(pos[1].path, pos[2].path, pos[3].path, &o, &e);
	} else {
		st = usage_error("unknown verb '%s'", pos[0].path);
		goto done;
	}
	if (rc == PC_OK && fflush(stdout) != 0)
		rc = pc_fail(&e, PC_E_IO, "stdout: write failed");
	st = rc == PC_OK ? 0 : fail(&e);
done:
	pc_dir_unlock(&lock_fd);
	free(pos);
	free(o.crls);
	return st;
}
