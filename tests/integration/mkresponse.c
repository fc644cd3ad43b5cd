/*
 * mkresponse - test tool: builds bundles as the CA side would (or as an
 * attacker might), so that plantca-station accept can be tested before and
 * independently of `plantca export`.  Never installed.
 *
 *   mkresponse genkey SECFILE PUBFILE (--passphrase-file F | --raw)
 *   mkresponse fwattrs IMAGE PKG:VERSION ATTRS.der
 *   mkresponse fwcms ATTRS.der SIG.der SIGNER.pem [CA.pem...] OUT.p7s
 *   mkresponse build --key SECFILE --pub PUBFILE --passphrase-file F
 *       --segment S --sequence N -o DIR [--kind response|request]
 *       [--name NAME] [--created-offset SECS] [--expires-offset SECS]
 *       [--reply NAME]... [--patch-type MEMBER=C] [--patch-name MEMBER=NEW]
 *       [--transfer-key ID] [--rekey ID]
 *       [--garbage] [--tamper] MEMBER=FILE...
 *
 * The bundle is built with the library (tr_bundle_build); --patch-type and
 * --patch-name then rewrite one ustar header (fixing its checksum) and
 * --garbage appends bytes after the archive, all before signing, so that
 * the reader's structural checks are what refuses them.  --tamper flips a
 * byte after signing.  Offsets are relative to now (default: created now,
 * expires in 30 days).
 *
 * genkey --raw writes the secret key unencrypted in a test-only format
 * (RAW_MAGIC, then hex of key id || Ed25519 secret key), which build reads
 * without a passphrase: opening a minisign key costs seconds of scrypt
 * (1 GiB), and the station test builds dozens of bundles.  The minisign
 * format itself is tested with keys made by stock minisign.
 *
 * fwattrs and fwcms make a firmware signature of the one shape that
 * transfer/fwverify.h accepts (detached CMS SignedData, RFC 5652, with the
 * RFC 4108 firmwarePackageID) without an HSM, so that accept's check of
 * firmware-*.p7s members can be tested with signers of any chain: fwattrs
 * writes the DER signed attributes with the explicit SET OF tag (the bytes
 * the signature covers, RFC 5652 §5.4) for an image hashed with SHA-256;
 * OpenSSL signs them (`openssl dgst -sha256 -sign KEY`, ECDSA P-256); fwcms
 * puts attributes, signature and certificates together.  The signing is
 * OpenSSL's, not ours.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "check.h"
#include "der.h"
#include "file.h"
#include "pc.h"
#include "pem.h"
#include "secret.h"
#include "transfer.h"

enum { MK_FILE_MAX = 64 * 1024 * 1024, MK_KEY_MAX = 4096, MK_REPLY_MAX = 16 };

#define RAW_MAGIC "mkresponse raw TEST key, never for real use\n"

static int usage(void)
{
	fprintf(stderr, "usage: mkresponse genkey SEC PUB (--passphrase-file F | --raw)\n"
	    "       mkresponse fwattrs IMAGE PKG:VERSION ATTRS.der\n"
	    "       mkresponse fwcms ATTRS.der SIG.der SIGNER.pem [CA.pem...] OUT.p7s\n"
	    "       mkresponse build --key SEC --pub PUB --passphrase-file F --segment S "
	    "--sequence N -o DIR [options] MEMBER=FILE...\n");
	return 2;
}

/* Find the ustar header of `member` in tar; offset or -1. */
static long tar_find(const pc_buf *tar, const char *member)
{
	size_t off = 0;

	while (off + 512 <= tar->len) {
		const uint8_t *h = tar->p + off;
		char size[13];
		unsigned long long sz;

		if (h[0] == 0)
			return -1;
		memcpy(size, h + 124, 12);
		size[12] = '\0';
		sz = strtoull(size, NULL, 8);
		if (strncmp((const char *)h, member, 100) == 0)
			return (long)off;
		off += 512 + (size_t)((sz + 511) / 512 * 512);
	}
	return -1;
}

static void tar_fix_checksum(uint8_t *h)
{
	unsigned sum = 0;
	size_t i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static int patch(pc_buf *tar, const char *spec, bool type)
{
	char member[TR_NAME_MAX + 1];
	const char *eq = strchr(spec, '=');
	long off;
	uint8_t *h;

	if (eq == NULL || (size_t)(eq - spec) > TR_NAME_MAX)
		return usage();
	memcpy(member, spec, (size_t)(eq - spec));
	member[eq - spec] = '\0';
	off = tar_find(tar, member);
	if (off < 0) {
		fprintf(stderr, "mkresponse: no member %s to patch\n", member);
		return 2;
	}
	h = tar->p + off;
	if (type) {
		h[156] = (uint8_t)eq[1];
		if (eq[1] == '2' || eq[1] == '1')
			snprintf((char *)h + 157, 100, "/etc/passwd");
	} else {
		memset(h, 0, 100);
		memcpy(h, eq + 1, strnlen(eq + 1, 100));
	}
	tar_fix_checksum(h);
	return 0;
}

static int genkey_raw(const char *sec, const char *pubpath)
{
	uint8_t raw[TR_KEYID_LEN + 64], sk[64];
	tr_pubkey pub;
	pc_buf file = PC_BUF_INIT, pb = PC_BUF_INIT;
	pc_err e = { PC_OK, "" };

	if (crypto_sign_keypair(pub.pk, sk) != 0)
		return 2;
	randombytes_buf(pub.keyid, sizeof pub.keyid);
	memcpy(raw, pub.keyid, TR_KEYID_LEN);
	memcpy(raw + TR_KEYID_LEN, sk, 64);
	pc_buf_str(&file, RAW_MAGIC);
	pc_hex_encode(&file, raw, sizeof raw, 0);
	pc_buf_str(&file, "\n");
	tr_pubkey_format(&pub, NULL, &pb);
	if (!pc_buf_ok(&file) || !pc_buf_ok(&pb) ||
	    pc_file_write_atomic(sec, file.p, file.len, 0600, true, &e) != PC_OK ||
	    pc_file_write_atomic(pubpath, pb.p, pb.len, 0644, true, &e) != PC_OK)
		t_die_err(&e);
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(sk, sizeof sk);
	pc_buf_free(&file);
	pc_buf_free(&pb);
	return 0;
}

/* A RAW_MAGIC key file; false if the file is not one. */
static bool open_raw(const uint8_t *text, size_t len, tr_seckey *sk)
{
	const size_t ml = strlen(RAW_MAGIC);
	uint8_t raw[TR_KEYID_LEN + 64];
	char hex[2 * sizeof raw + 1];
	size_t n = 0;

	if (len != ml + 2 * sizeof raw + 1 || memcmp(text, RAW_MAGIC, ml) != 0)
		return false;
	memcpy(hex, text + ml, 2 * sizeof raw);
	hex[2 * sizeof raw] = '\0';
	if (!pc_hex_decode(hex, raw, sizeof raw, &n) || n != sizeof raw ||
	    (sk->sk = sodium_malloc(64)) == NULL)
		return false;
	memcpy(sk->keyid, raw, TR_KEYID_LEN);
	memcpy(sk->sk, raw + TR_KEYID_LEN, 64);
	sodium_memzero(raw, sizeof raw);
	return true;
}

static int genkey(const char *sec, const char *pubpath, const char *passfile)
{
	pc_secret pass = { NULL, 0 };
	pc_buf file = PC_BUF_INIT, pb = PC_BUF_INIT;
	tr_pubkey pub;
	tr_seckey sk = { { 0 }, NULL };
	pc_err e = { PC_OK, "" };

	if (pc_secret_read(&pass, passfile, "passphrase", &e) != PC_OK ||
	    tr_seckey_generate(&pass, NULL, &file, &pub, &sk, &e) != PC_OK)
		t_die_err(&e);
	tr_seckey_free(&sk);
	pc_secret_free(&pass);
	tr_pubkey_format(&pub, NULL, &pb);
	if (pc_file_write_atomic(sec, file.p, file.len, 0600, true, &e) != PC_OK ||
	    pc_file_write_atomic(pubpath, pb.p, pb.len, 0644, true, &e) != PC_OK)
		t_die_err(&e);
	pc_buf_free(&file);
	pc_buf_free(&pb);
	return 0;
}

/* --------------------------------------------------- firmware signatures */

static const uint8_t oid_signed_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
static const uint8_t oid_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
static const uint8_t oid_content_type[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03 };
static const uint8_t oid_msg_digest[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04 };
static const uint8_t oid_signing_time[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05 };
static const uint8_t oid_fw_pkg_id[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10,
	0x02, 0x23 };
static const uint8_t oid_sha256[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };
static const uint8_t oid_ecdsa_sha256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };

typedef struct attr { pc_buf b; } attr;

static int attr_cmp(const void *x, const void *y)
{
	const attr *a = x, *b = y;
	size_t n = a->b.len < b->b.len ? a->b.len : b->b.len;
	int c = memcmp(a->b.p, b->b.p, n);

	return c ? c : (a->b.len > b->b.len) - (a->b.len < b->b.len);
}

static void attr_make(attr *a, const uint8_t *oid, size_t oidlen, const pc_der *value)
{
	pc_der d;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid(&d, oid, oidlen);
	pc_der_begin(&d, DER_SET);
	pc_der_raw(&d, value->b.p, value->b.len);
	pc_der_end(&d);
	pc_der_end(&d);
	a->b = d.b;
}

static int fwattrs(const char *image, const char *pkg_id, const char *out)
{
	uint8_t *img, digest[32];
	size_t len, i;
	attr a[4];
	pc_der v, set;
	pc_err e = { PC_OK, "" };

	if (pc_file_read(image, MK_FILE_MAX, &img, &len, &e) != PC_OK)
		t_die_err(&e);
	crypto_hash_sha256(digest, img, len);
	free(img);
	pc_der_init(&v);
	pc_der_oid(&v, oid_data, sizeof oid_data);
	attr_make(&a[0], oid_content_type, sizeof oid_content_type, &v);
	pc_der_free(&v);
	pc_der_init(&v);
	pc_der_tlv(&v, DER_OCTET_STRING, digest, sizeof digest);
	attr_make(&a[1], oid_msg_digest, sizeof oid_msg_digest, &v);
	pc_der_free(&v);
	pc_der_init(&v);
	pc_der_time(&v, time(NULL));
	attr_make(&a[2], oid_signing_time, sizeof oid_signing_time, &v);
	pc_der_free(&v);
	pc_der_init(&v);
	pc_der_begin(&v, DER_SEQUENCE);
	pc_der_tlv(&v, DER_OCTET_STRING, pkg_id, strlen(pkg_id));
	pc_der_end(&v);
	attr_make(&a[3], oid_fw_pkg_id, sizeof oid_fw_pkg_id, &v);
	pc_der_free(&v);
	/* DER SET OF: ascending order of the encodings (X.690 §11.6) */
	qsort(a, 4, sizeof a[0], attr_cmp);
	pc_der_init(&set);
	pc_der_begin(&set, DER_SET);
	for (i = 0; i < 4; i++) {
		pc_der_raw(&set, a[i].b.p, a[i].b.len);
		pc_buf_free(&a[i].b);
	}
	pc_der_end(&set);
	if (!pc_der_ok(&set) ||
	    pc_file_write_atomic(out, set.b.p, set.b.len, 0644, false, &e) != PC_OK) {
		pc_der_free(&set);
		t_die_err(&e);
	}
	pc_der_free(&set);
	return 0;
}

PC_CHECK static pc_rc cert_der(const char *path, uint8_t **der, size_t *len, pc_err *e)
{
	static const char *const labels[] = { "CERTIFICATE", NULL };
	uint8_t *text;
	size_t tl;
	pc_rc rc;

	PC_TRY(pc_file_read(path, MK_KEY_MAX * 16, &text, &tl, e));
	rc = pc_pem_decode(text, tl, labels, der, len, NULL, e);
	free(text);
	return rc;
}

static int fwcms(char **args, size_t nargs)
{
	uint8_t *attrs, *sig, *certs[8];
	size_t alen, slen, clen[8], ncerts = nargs - 3, i;
	pc_reader r, cert, tbs, x;
	const uint8_t *issuer, *serial;
	size_t issuer_len, serial_len;
	uint8_t tag;
	bool present;
	pc_der d;
	pc_err e = { PC_OK, "" };

	if (nargs < 4 || ncerts > 8)
		return usage();
	if (pc_file_read(args[0], MK_FILE_MAX, &attrs, &alen, &e) != PC_OK ||
	    pc_file_read(args[1], MK_FILE_MAX, &sig, &slen, &e) != PC_OK)
		t_die_err(&e);
	for (i = 0; i < ncerts; i++)
		if (cert_der(args[2 + i], &certs[i], &clen[i], &e) != PC_OK)
			t_die_err(&e);
	/* the signer: issuerAndSerialNumber of the first certificate */
	r = pc_reader_make(certs[0], clen[0]);
	if (!pc_der_read(&r, DER_SEQUENCE, &cert) || !pc_der_read(&cert, DER_SEQUENCE, &tbs) ||
	    !pc_der_read_opt(&tbs, DER_CTX_CONS | 0, &x, &present) ||
	    !pc_der_read(&tbs, DER_INTEGER, &x))
		return 2;
	serial = x.p + x.off;
	serial_len = pc_reader_left(&x);
	if (!pc_der_read(&tbs, DER_SEQUENCE, &x) ||
	    !pc_der_read_any(&tbs, &tag, &x, &issuer, &issuer_len))
		return 2;
	/* the signed attributes go in as [0] IMPLICIT: the SET's content */
	r = pc_reader_make(attrs, alen);
	if (!pc_der_read(&r, DER_SET, &x))
		return 2;
	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid(&d, oid_signed_data, sizeof oid_signed_data);
	pc_der_begin(&d, DER_CTX_CONS | 0);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_u64(&d, 1);
	pc_der_begin(&d, DER_SET);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid(&d, oid_sha256, sizeof oid_sha256);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid(&d, oid_data, sizeof oid_data);
	pc_der_end(&d);
	pc_der_begin(&d, DER_CTX_CONS | 0);
	for (i = 0; i < ncerts; i++)
		pc_der_raw(&d, certs[i], clen[i]);
	pc_der_end(&d);
	pc_der_begin(&d, DER_SET);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_u64(&d, 1);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_raw(&d, issuer, issuer_len);
	pc_der_tlv(&d, DER_INTEGER, serial, serial_len);
	pc_der_end(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid(&d, oid_sha256, sizeof oid_sha256);
	pc_der_end(&d);
	pc_der_tlv(&d, DER_CTX_CONS | 0, x.p + x.off, pc_reader_left(&x));
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid(&d, oid_ecdsa_sha256, sizeof oid_ecdsa_sha256);
	pc_der_end(&d);
	pc_der_tlv(&d, DER_OCTET_STRING, sig, slen);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d) ||
	    pc_file_write_atomic(args[nargs - 1], d.b.p, d.b.len, 0644, false, &e) != PC_OK)
		t_die_err(&e);
	pc_der_free(&d);
	for (i = 0; i < ncerts; i++)
		free(certs[i]);
	free(attrs);
	free(sig);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "pub", required_argument, NULL, 'p' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "segment", required_argument, NULL, 's' },
		{ "sequence", required_argument, NULL, 'n' },
		{ "kind", required_argument, NULL, 'K' },
		{ "name", required_argument, NULL, 'N' },
		{ "created-offset", required_argument, NULL, 'c' },
		{ "expires-offset", required_argument, NULL, 'x' },
		{ "reply", required_argument, NULL, 'r' },
		{ "patch-type", required_argument, NULL, 'T' },
		{ "patch-name", required_argument, NULL, 'M' },
		{ "garbage", no_argument, NULL, 'g' },
		{ "tamper", no_argument, NULL, 't' },
		{ "raw", no_argument, NULL, 'R' },
		{ "transfer-key", required_argument, NULL, 'X' },
		{ "rekey", required_argument, NULL, 'Y' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *pubpath = NULL, *passfile = NULL, *segment = NULL, *out = NULL;
	const char *name = NULL, *ptype = NULL, *pname = NULL, *tkey = NULL, *rekey = NULL;
	char *reply[MK_REPLY_MAX + 1] = { NULL };
	unsigned long long seq = 0;
	long long coff = 0, xoff = 30LL * 86400;
	bool garbage = false, tamper = false, raw = false;
	tr_kind kind = TR_RESPONSE;
	tr_member *members;
	uint8_t **data;
	size_t nm = 0, nreply = 0, i;
	tr_meta meta;
	tr_pubkey pub;
	tr_seckey sk = { { 0 }, NULL };
	pc_secret pass = { NULL, 0 };
	pc_buf tar = PC_BUF_INIT, sig = PC_BUF_INIT;
	pc_err e = { PC_OK, "" };
	char bname[TR_NAME_MAX + 1], file[TR_NAME_MAX + 8], comment[TR_COMMENT_MAX + 1];
	uint8_t *text;
	size_t len;
	time_t now;
	int c;

	if (pc_secure_process(&e) != PC_OK)
		t_die_err(&e);
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "fwattrs") == 0)
		return argc == 5 ? fwattrs(argv[2], argv[3], argv[4]) : usage();
	if (strcmp(argv[1], "fwcms") == 0)
		return fwcms(argv + 2, (size_t)argc - 2);
	optind = 2;
	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'p': pubpath = optarg; break;
		case 'P': passfile = optarg; break;
		case 's': segment = optarg; break;
		case 'n': seq = strtoull(optarg, NULL, 10); break;
		case 'K': kind = strcmp(optarg, "request") == 0 ? TR_REQUEST : TR_RESPONSE; break;
		case 'N': name = optarg; break;
		case 'c': coff = strtoll(optarg, NULL, 10); break;
		case 'x': xoff = strtoll(optarg, NULL, 10); break;
		case 'r':
			if (nreply < MK_REPLY_MAX)
				reply[nreply++] = optarg;
			break;
		case 'T': ptype = optarg; break;
		case 'M': pname = optarg; break;
		case 'g': garbage = true; break;
		case 't': tamper = true; break;
		case 'R': raw = true; break;
		case 'X': tkey = optarg; break;
		case 'Y': rekey = optarg; break;
		case 'o': out = optarg; break;
		default: return usage();
		}
	}
	if (strcmp(argv[1], "genkey") == 0) {
		if (argc - optind != 2 || (passfile == NULL) == !raw)
			return usage();
		return raw ? genkey_raw(argv[optind], argv[optind + 1]) :
		    genkey(argv[optind], argv[optind + 1], passfile);
	}
	if (strcmp(argv[1], "build") != 0 || !key || !pubpath || !segment || !out || seq == 0)
		return usage();

	members = calloc((size_t)argc, sizeof *members);
	data = calloc((size_t)argc, sizeof *data);
	if (members == NULL || data == NULL)
		return 2;
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL || (size_t)(eq - argv[i]) > TR_NAME_MAX)
			return usage();
		memcpy(members[nm].name, argv[i], (size_t)(eq - argv[i]));
		members[nm].name[eq - argv[i]] = '\0';
		if (pc_file_read(eq + 1, MK_FILE_MAX, &data[nm], &members[nm].len, &e) != PC_OK)
			t_die_err(&e);
		members[nm].data = data[nm];
		nm++;
	}

	if (pc_file_read(pubpath, MK_KEY_MAX, &text, &len, &e) != PC_OK ||
	    tr_pubkey_parse(text, len, pubpath, &pub, &e) != PC_OK)
		t_die_err(&e);
	free(text);
	if (pc_file_read(key, MK_KEY_MAX, &text, &len, &e) != PC_OK)
		t_die_err(&e);
	if (!open_raw(text, len, &sk) &&
	    (passfile == NULL || pc_secret_read(&pass, passfile, "passphrase", &e) != PC_OK ||
	    tr_seckey_open(text, len, key, &pass, &sk, &e) != PC_OK)) {
		if (passfile == NULL)
			return usage();
		t_die_err(&e);
	}
	sodium_memzero(text, len);
	free(text);
	pc_secret_free(&pass);

	now = time(NULL);
	memset(&meta, 0, sizeof meta);
	meta.version = TR_FORMAT_VERSION;
	meta.kind = kind;
	snprintf(meta.segment, sizeof meta.segment, "%s", segment);
	tr_keyid_text(pub.keyid, meta.sender);
	meta.sequence = seq;
	meta.created = now + (time_t)coff;
	meta.expires = now + (time_t)xoff;
	meta.in_reply_to = reply;
	meta.nreply = nreply;
	if (tkey != NULL)
		snprintf(meta.transfer_key, sizeof meta.transfer_key, "%s", tkey);
	if (rekey != NULL)
		snprintf(meta.rekey, sizeof meta.rekey, "%s", rekey);
	if (name != NULL)
		snprintf(bname, sizeof bname, "%s", name);
	else
		tr_bundle_name(kind, segment, seq, bname, sizeof bname);
	snprintf(file, sizeof file, "%s.tar", bname);

	if (tr_bundle_build(&meta, members, nm, &tar, &e) != PC_OK)
		t_die_err(&e);
	if (ptype != NULL && patch(&tar, ptype, true) != 0)
		return 2;
	if (pname != NULL && patch(&tar, pname, false) != 0)
		return 2;
	if (garbage)
		pc_buf_str(&tar, "trailing garbage after the archive\n");
	tr_trusted_comment(&meta, bname, comment, sizeof comment);
	if (tr_minisig_make(tar.p, tar.len, &pub, comment, tr_seckey_sign, &sk, &sig, &e) != PC_OK)
		t_die_err(&e);
	if (tamper)
		tar.p[tar.len / 2] ^= 0x01;
	if (tr_bundle_write(out, bname, &tar, &sig, &e) != PC_OK)
		t_die_err(&e);
	printf("%s/%s\n", out, file);
	tr_seckey_free(&sk);
	pc_buf_free(&tar);
	pc_buf_free(&sig);
	for (i = 0; i < nm; i++)
		free(data[i]);
	free(data);
	free(members);
	return 0;
}
