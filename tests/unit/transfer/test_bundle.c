/*
 * test_bundle.c - bundles round trip, and interoperate with the stock tools:
 * GNU tar lists and extracts ours and makes ones we read, minisign verifies
 * our signatures and signs with our secret key files, sha256sum -c accepts
 * our SHA256SUMS.
 */
#include <sodium.h>
#include <sys/stat.h>

#include "check.h"
#include "file.h"
#include "tr_int.h"

/* 2026-11-27T09:00:00Z */
#define TT_CREATED ((time_t)1795770000)
#define TT_NOW (TT_CREATED + 3600)

/* A key pair without the scrypt cost of tr_seckey_generate. */
static void tt_key(tr_seckey *sk, tr_pubkey *pk)
{
	sk->sk = sodium_malloc(64);
	CHECK(sk->sk != NULL);
	CHECK(crypto_sign_keypair(pk->pk, sk->sk) == 0);
	randombytes_buf(pk->keyid, sizeof pk->keyid);
	memcpy(sk->keyid, pk->keyid, sizeof pk->keyid);
}

static void tt_sign(const uint8_t *tar, size_t len, const tr_pubkey *pk, tr_seckey *sk,
    const char *tc, pc_buf *sig)
{
	CHECK_OK(tr_minisig_make(tar, len, pk, tc, tr_seckey_sign, sk, sig, &t_err));
}

/* The default request metadata: segment line3, sequence 17, one CSR. */
static tr_csr_entry tt_csr_a = { "a.csr", "tls-server", 0 };

static void tt_meta(tr_meta *m, const tr_pubkey *sender)
{
	memset(m, 0, sizeof *m);
	m->version = TR_FORMAT_VERSION;
	m->kind = TR_REQUEST;
	snprintf(m->segment, sizeof m->segment, "line3");
	tr_keyid_text(sender->keyid, m->sender);
	m->sequence = 17;
	m->created = TT_CREATED;
	m->expires = TT_CREATED + 30 * 86400;
	m->csrs = &tt_csr_a;
	m->ncsrs = 1;
}

static void write_pub(const char *name, const tr_pubkey *pk)
{
	pc_buf b = PC_BUF_INIT;

	tr_pubkey_format(pk, NULL, &b);
	CHECK(pc_buf_ok(&b));
	t_write(name, b.p, b.len);
	pc_buf_free(&b);
}

static void test_round_trip(void)
{
	tr_seckey sk;
	tr_pubkey pk, other, keys[2];
	tr_meta m;
	tr_member pl[2] = {
		{ "a.csr", (const uint8_t *)"-----BEGIN CERTIFICATE REQUEST-----\n", 36 },
		{ "notes.txt", (const uint8_t *)"", 0 },
	};
	pc_buf tar = PC_BUF_INIT, sig = PC_BUF_INIT, pub = PC_BUF_INIT;
	char name[128], tc[TR_COMMENT_MAX + 1], path[512];
	tr_bundle b;
	tr_seckey osk;

	tt_key(&sk, &pk);
	tt_key(&osk, &other);
	tt_meta(&m, &pk);
	CHECK_OK(tr_bundle_build(&m, pl, 2, &tar, &t_err));
	CHECK(tar.len % TR_BLOCK == 0);
	tr_bundle_name(m.kind, m.segment, m.sequence, name, sizeof name);
	CHECK(strcmp(name, "line3-request-000017") == 0);
	tr_trusted_comment(&m, name, tc, sizeof tc);
	CHECK(strncmp(tc, "plantca-bundle kind=request segment=line3 sender=", 49) == 0);
	CHECK(strstr(tc, " sequence=17 file=line3-request-000017.tar") != NULL);
	tt_sign(tar.p, tar.len, &pk, &sk, tc, &sig);
	CHECK_OK(tr_bundle_write(t_dir, name, &tar, &sig, &t_err));
	CHECK_RC(tr_bundle_write(t_dir, name, &tar, &sig, &t_err), PC_E_EXISTS);

	/* read with the signer second among two trusted keys */
	keys[0] = other;
	keys[1] = pk;
	t_path(path, sizeof path, "line3-request-000017.tar");
	CHECK_OK(tr_bundle_read(path, keys, 2, &b, &t_err));
	CHECK(b.signer == 1);
	CHECK(strcmp(b.name, name) == 0);
	CHECK(b.nmembers == 2);
	CHECK(strcmp(b.members[0].name, "a.csr") == 0 && b.members[0].len == 36);
	CHECK(memcmp(b.members[0].data, pl[0].data, 36) == 0);
	CHECK(strcmp(b.members[1].name, "notes.txt") == 0 && b.members[1].len == 0);
	CHECK(b.meta.kind == TR_REQUEST && b.meta.sequence == 17);
	CHECK(b.meta.created == TT_CREATED && b.meta.expires == m.expires);
	CHECK(strcmp(b.meta.sender, m.sender) == 0 && strcmp(b.meta.segment, "line3") == 0);
	CHECK(b.meta.ncsrs == 1 && strcmp(b.meta.csrs[0].profile, "tls-server") == 0);
	CHECK_OK(tr_bundle_check(&b, TR_REQUEST, "line3", 16, TT_NOW, &t_err));
	CHECK_OK(tr_bundle_check(&b, TR_REQUEST, NULL, 0, TT_NOW, &t_err));
	CHECK_RC(tr_bundle_check(&b, TR_REQUEST, "line3", 17, TT_NOW, &t_err), PC_E_REPLAY);
	CHECK_RC(tr_bundle_check(&b, TR_REQUEST, "line3", 16, m.expires, &t_err), PC_E_EXPIRED);
	tr_bundle_free(&b);

	/* only the other key trusted: unknown key */
	CHECK_RC(tr_bundle_read(path, &other, 1, &b, &t_err), PC_E_SIGNATURE);
	CHECK_MSG("signed by unknown key");

	/* the stock tools */
	write_pub("signer.pub", &pk);
	CHECK(t_sh("tar tvf line3-request-000017.tar > list.txt") == 0);
	CHECK(t_sh("grep -q ' BUNDLE$' list.txt && grep -q ' SHA256SUMS$' list.txt && "
	    "grep -q ' a.csr$' list.txt && grep -q '^-rw-r--r-- 0/0 .* 2026-11-27 09:00 ' "
	    "list.txt") == 0);
	CHECK(t_sh("head -1 list.txt | grep -q ' BUNDLE$'") == 0);
	CHECK(t_sh("minisign -V -q -p signer.pub -m line3-request-000017.tar") == 0);
	CHECK(t_sh("mkdir x && cd x && tar xf ../line3-request-000017.tar && "
	    "sha256sum --strict -c SHA256SUMS >/dev/null") == 0);
	CHECK(t_sh("cmp x/a.csr - <<'EOF'\n-----BEGIN CERTIFICATE REQUEST-----\nEOF") == 0);
	/* a flipped bit: minisign refuses as well */
	CHECK(t_sh("cp line3-request-000017.tar bad.tar && cp line3-request-000017.tar.minisig "
	    "bad.tar.minisig && printf 'X' | dd of=bad.tar bs=1 seek=700 conv=notrunc "
	    "2>/dev/null && ! minisign -V -q -p signer.pub -m bad.tar 2>/dev/null") == 0);

	/* the public key file parses back; a bare key line too */
	tr_pubkey_format(&pk, NULL, &pub);
	CHECK(pc_buf_ok(&pub));
	CHECK_OK(tr_pubkey_parse(pub.p, pub.len, "pub", &keys[0], &t_err));
	CHECK(memcmp(&keys[0], &pk, sizeof pk) == 0);
	{
		const uint8_t *nl = memchr(pub.p, '\n', pub.len);
		CHECK_OK(tr_pubkey_parse(nl + 1, pub.len - (size_t)(nl + 1 - pub.p), "pub",
		    &keys[0], &t_err));
		CHECK(memcmp(&keys[0], &pk, sizeof pk) == 0);
	}

	pc_buf_free(&pub);
	pc_buf_free(&tar);
	pc_buf_free(&sig);
	tr_seckey_free(&sk);
	tr_seckey_free(&osk);
}

static void test_meta(void)
{
	static const char text[] =
	    "format: 1\nkind: response\nsegment: line-3\nsender: 00000000DEADBEEF\n"
	    "sequence: 18446744073709551615\ncreated: 2028-02-29T23:59:59Z\n"
	    "expires: 2028-03-01T00:00:00Z\nin-reply-to: line-3-request-000001,x2\n";
	tr_meta m;
	pc_buf b = PC_BUF_INIT;

	CHECK_OK(tr_meta_parse((const uint8_t *)text, strlen(text), "t", &m, &t_err));
	CHECK(m.kind == TR_RESPONSE && m.sequence == UINT64_MAX && m.nreply == 2);
	CHECK(strcmp(m.in_reply_to[1], "x2") == 0 && m.in_reply_to[2] == NULL);
	CHECK(m.expires - m.created == 1);
	tr_meta_format(&m, &b);
	CHECK(pc_buf_ok(&b) && b.len == strlen(text) && memcmp(b.p, text, b.len) == 0);
	tr_meta_free(&m);
	pc_buf_free(&b);

	CHECK_RC(tr_meta_parse((const uint8_t *)"format: 1\n", 10, "t", &m, &t_err), PC_E_BUNDLE);
	CHECK_MSG("missing key \"kind\"");
	CHECK_RC(tr_meta_parse((const uint8_t *)"format: 1\nformat: 1\n", 20, "t", &m, &t_err),
	    PC_E_BUNDLE);
	CHECK_MSG("t: BUNDLE line 2: duplicate key");
	CHECK_RC(tr_meta_parse((const uint8_t *)"format: 1", 9, "t", &m, &t_err), PC_E_BUNDLE);
	CHECK_MSG("line 1: no newline");
	CHECK_RC(tr_meta_parse((const uint8_t *)"kind:  request\n", 15, "t", &m, &t_err),
	    PC_E_BUNDLE);
	CHECK_RC(tr_meta_parse((const uint8_t *)"created: 2027-02-29T00:00:00Z\n", 30, "t", &m,
	    &t_err), PC_E_BUNDLE);
	CHECK_MSG("created must be");
}

/* Our secret key file with the real minisign, and minisign's with us. */
static void test_minisign_keys(void)
{
	pc_secret pw = { NULL, 0 }, wrong = { NULL, 0 };
	pc_buf file = PC_BUF_INIT, tar = PC_BUF_INIT;
	tr_seckey sk, again;
	tr_pubkey pk, mpk;
	tr_meta m;
	tr_bundle b;
	char tc[TR_COMMENT_MAX + 1], path[512];
	uint8_t *data;
	size_t len;
	tr_member pl = { "a.csr", (const uint8_t *)"CSR-A\n", 6 };

	pw.s = sodium_malloc(64);
	wrong.s = sodium_malloc(64);
	CHECK(pw.s != NULL && wrong.s != NULL);
	strcpy(pw.s, "correct horse battery staple");
	pw.len = strlen(pw.s);
	strcpy(wrong.s, "correct horse battery stapler");
	wrong.len = strlen(wrong.s);

	CHECK_OK(tr_seckey_generate(&pw, NULL, &file, &pk, &sk, &t_err));
	CHECK(memcmp(sk.keyid, pk.keyid, TR_KEYID_LEN) == 0);
	t_write("station.key", file.p, file.len);
	CHECK_OK(tr_seckey_open(file.p, file.len, "station.key", &pw, &again, &t_err));
	CHECK(memcmp(again.sk, sk.sk, 64) == 0 && memcmp(again.keyid, sk.keyid, 8) == 0);
	tr_seckey_free(&again);
	CHECK_RC(tr_seckey_open(file.p, file.len, "station.key", &wrong, &again, &t_err),
	    PC_E_SIGNATURE);
	CHECK_MSG("station.key: wrong passphrase (checksum mismatch)");
	CHECK(again.sk == NULL);

	/* a request bundle made by hand: GNU tar, sha256sum, minisign -S */
	tt_meta(&m, &pk);
	tr_meta_format(&m, &tar);
	CHECK(pc_buf_ok(&tar));
	t_write("BUNDLE", tar.p, tar.len);
	t_write("a.csr", pl.data, pl.len);
	tr_trusted_comment(&m, "line3-request-000017", tc, sizeof tc);
	CHECK(t_sh("sha256sum a.csr > SHA256SUMS && tar --format=ustar -cf "
	    "line3-request-000017.tar BUNDLE SHA256SUMS a.csr && "
	    "printf '%%s\\n' '%s' | minisign -S -s station.key -t '%s' "
	    "-m line3-request-000017.tar >/dev/null", pw.s, tc) == 0);
	t_path(path, sizeof path, "line3-request-000017.tar");
	CHECK_OK(tr_bundle_read(path, &pk, 1, &b, &t_err));
	CHECK(b.nmembers == 1 && b.members[0].len == 6 && b.len % 10240 == 0);
	CHECK_OK(tr_bundle_check(&b, TR_REQUEST, "line3", 0, TT_NOW, &t_err));
	tr_bundle_free(&b);

	/* the key minisign -G makes opens with us, and signs what we verify */
	CHECK(t_sh("printf '%%s\\n%%s\\n' '%s' '%s' | minisign -G -p m.pub -s m.key "
	    ">/dev/null 2>&1", pw.s, pw.s) == 0);
	t_path(path, sizeof path, "m.key");
	CHECK_OK(pc_file_read(path, 4096, &data, &len, &t_err));
	CHECK_OK(tr_seckey_open(data, len, "m.key", &pw, &again, &t_err));
	free(data);
	t_path(path, sizeof path, "m.pub");
	CHECK_OK(pc_file_read(path, 4096, &data, &len, &t_err));
	CHECK_OK(tr_pubkey_parse(data, len, "m.pub", &mpk, &t_err));
	free(data);
	CHECK(memcmp(mpk.keyid, again.keyid, 8) == 0 && memcmp(mpk.pk, again.sk + 32, 32) == 0);
	tr_seckey_free(&again);

	pc_buf_free(&file);
	pc_buf_free(&tar);
	tr_seckey_free(&sk);
	pc_secret_free(&pw);
	pc_secret_free(&wrong);
}

int main(void)
{
	CHECK(sodium_init() >= 0);
	t_workdir("transfer");
	test_meta();
	test_round_trip();
	test_minisign_keys();
	return 0;
}
