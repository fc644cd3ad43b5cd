/*
 * test_hsm.c - the HSM layer against a private SoftHSM2 token.
 *
 * usage: test-hsm MODULE TOKEN-LABEL PIN-FILE WORKDIR TWIN-LABEL
 * (run through run-hsm-test.sh, which makes the token; TWIN-LABEL names
 * two tokens that share a label).
 *
 * Signatures and public keys are checked with OpenSSL as well as with our
 * own verifier, and the private key attributes are read back through raw
 * PKCS#11 after the hsm is closed: a bug shared by our writer and our
 * reader would be invisible otherwise.
 */
#include <dlfcn.h>

#include <p11-kit/pkcs11.h>
#include <sodium.h>

#include "check.h"
#include "hsm.h"
#include "secret.h"

static const char *module, *token, *pinfile, *workdir, *twin;

/* The call must fail with `want`, and t_err's message must contain `sub`. */
static void expect(pc_rc rc, pc_rc want, const char *sub, const char *what)
{
	CHECKF(rc == want, "%s: got %s (%d), want %s: %s", what, pc_rc_name(rc), (int)rc,
	    pc_rc_name(want), rc != PC_OK ? t_err.msg : "");
	if (rc != PC_OK && sub != NULL)
		CHECKF(strstr(t_err.msg, sub) != NULL, "%s: message \"%s\" lacks \"%s\"", what,
		    t_err.msg, sub);
	if (rc != PC_OK)
		printf("  ok (%s): %s\n", what, t_err.msg);
}

static void write_file(const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", workdir, name);
	f = fopen(path, "wb");
	CHECKF(f != NULL && fwrite(p, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
}

/* Run a shell command in WORKDIR; its exit status. */
static int run(const char *cmd)
{
	char full[8192];
	int st;

	snprintf(full, sizeof full, "cd '%s' && %s >/dev/null 2>&1", workdir, cmd);
	st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Output of a command run in WORKDIR (NUL-terminated, at most cap-1). */
static void capture(const char *cmd, char *out, size_t cap)
{
	char full[8192];
	size_t n = 0;
	FILE *p;

	out[0] = '\0';
	snprintf(full, sizeof full, "cd '%s' && %s 2>&1", workdir, cmd);
	p = popen(full, "r");
	if (p == NULL)
		return;
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	(void)pclose(p);
}

static hsm *open_token(const char *tok, bool login)
{
	pc_secret pin = { 0 };
	hsm *h = NULL;

	CHECK_OK(hsm_open(module, tok, &h, &t_err));
	if (login) {
		CHECK_OK(pc_secret_read(&pin, pinfile, "PIN", &t_err));
		CHECK_OK(hsm_login(h, &pin, &t_err));
		pc_secret_free(&pin);
	}
	return h;
}

/* ---- module and token errors, login ---- */

static void test_open_errors(void)
{
	hsm_alg alg;
	hsm *h = NULL;
	char uri[256];

	printf("open errors\n");
	CHECK_OK(hsm_alg_parse("ec-p256", &alg, &t_err));
	CHECKF(alg == HSM_EC_P256, "ec-p256");
	CHECK_OK(hsm_alg_parse("rsa4096", &alg, &t_err));
	CHECKF(alg == HSM_RSA_4096 && strcmp(hsm_alg_name(alg), "rsa-4096") == 0, "rsa4096");
	expect(hsm_alg_parse("dsa", &alg, &t_err), PC_E_USAGE, "dsa", "unknown algorithm");

	expect(hsm_open("/nonexistent/libnope.so", token, &h, &t_err), PC_E_HSM_MODULE,
	    "/nonexistent/libnope.so", "missing module");
	CHECKF(h == NULL, "no hsm on failure");
	expect(hsm_open("libm.so.6", token, &h, &t_err), PC_E_HSM_MODULE,
	    "C_GetFunctionList", "not a PKCS#11 module");
	expect(hsm_open(module, "no such token", &h, &t_err), PC_E_HSM_TOKEN,
	    "no such token", "unknown label");
	/* the message lists the tokens there are */
	CHECKF(strstr(t_err.msg, token) != NULL, "tokens present listed: %s", t_err.msg);
	expect(hsm_open(module, "pkcs11:token=no%20such", &h, &t_err), PC_E_HSM_TOKEN,
	    module, "unknown token URI");
	expect(hsm_open(module, "pkcs11:token=%zz", &h, &t_err), PC_E_USAGE,
	    "URI", "malformed URI");
	expect(hsm_open(module, "", &h, &t_err), PC_E_USAGE, NULL, "empty token");
	expect(hsm_open(module, twin, &h, &t_err), PC_E_HSM_TOKEN, "2 tokens", "two tokens");

	/* by URI, with the label percent-encoded */
	snprintf(uri, sizeof uri, "pkcs11:model=SoftHSM%%20v2;token=");
	for (const char *p = token; *p != '\0'; p++) {
		size_t n = strlen(uri);
		if (*p == ' ')
			snprintf(uri + n, sizeof uri - n, "%%20");
		else
			snprintf(uri + n, sizeof uri - n, "%c", *p);
	}
	CHECK_OK(hsm_open(module, uri, &h, &t_err));
	if (h != NULL) {
		CHECKF(strcmp(hsm_token_label(h), token) == 0, "label by URI: %s", hsm_token_label(h));
		hsm_close(h);
		h = NULL;
	}
	/* a key's URI names its token */
	CHECK_OK(hsm_open(module, "pkcs11:token=plantca%20test;id=%01;object=x;type=private", &h,
	    &t_err));
	hsm_close(h);
	h = NULL;
	expect(hsm_open(module, "pkcs11:token=plantca%20test?pin-value=1234", &h, &t_err),
	    PC_E_USAGE, "PIN", "PIN in the URI");
	expect(hsm_open(module, "pkcs11:foo=bar;token=plantca%20test", &h, &t_err),
	    PC_E_USAGE, "does not know", "unknown URI attribute");
	expect(hsm_open(module, "pkcs11:library-manufacturer=Nobody;token=plantca%20test", &h, &t_err),
	    PC_E_HSM_TOKEN, "another module", "URI of another module");
	expect(hsm_open(module, "pkcs11:slot-id=4294967295;token=plantca%20test", &h, &t_err),
	    PC_E_HSM_TOKEN, "no such", "URI of another slot");
	/* a URI matching a token of another model finds nothing */
	expect(hsm_open(module, "pkcs11:model=NotSoftHSM", &h, &t_err), PC_E_HSM_TOKEN,
	    NULL, "URI of another model");
}

static void test_login(hsm *h)
{
	pc_secret bad = { 0 }, pin = { 0 };
	hsm_key *k = NULL;

	printf("login\n");
	expect(hsm_key_generate(h, HSM_EC_P256, "early", &k, &t_err), PC_E_STATE,
	    "not logged in", "generate before login");
	expect(hsm_key_open(h, "pkcs11:object=early", &k, &t_err), PC_E_STATE,
	    "not logged in", "open before login");

	bad.s = sodium_malloc(16);
	CHECK(bad.s != NULL);
	memcpy(bad.s, "not-the-pin", 12);
	bad.len = 11;
	expect(hsm_login(h, &bad, &t_err), PC_E_HSM_PIN, "wrong user PIN", "wrong PIN");
	CHECKF(strstr(t_err.msg, "tries") != NULL || strstr(t_err.msg, "try") != NULL,
	    "wrong PIN message mentions tries: %s", t_err.msg);
	CHECKF(strstr(t_err.msg, token) != NULL, "wrong PIN message names the token: %s", t_err.msg);
	pc_secret_free(&bad);

	CHECK_OK(pc_secret_read(&pin, pinfile, "PIN", &t_err));
	CHECK_OK(hsm_login(h, &pin, &t_err));
	CHECK_OK(hsm_login(h, &pin, &t_err));   /* already logged in is fine */
	pc_secret_free(&pin);
}

/* ---- keys ---- */

struct algcase {
	hsm_alg alg;
	const char *label;
	const char *pkey_text;      /* in `openssl pkey -text` output */
	const char *dgst;           /* openssl dgst flag, NULL: Ed25519 */
	const uint8_t *sigalg;
	size_t sigalg_len;
	size_t sig_len;             /* exact, 0: variable (ECDSA DER) */
	char uri[512];
};

static const uint8_t sa_p256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	0x3d, 0x04, 0x03, 0x02 };
static const uint8_t sa_p384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	0x3d, 0x04, 0x03, 0x03 };
static const uint8_t sa_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
static const uint8_t sa_ed[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };

static struct algcase cases[] = {
	{ HSM_EC_P256, "ca key p256", "prime256v1", "-sha256", sa_p256, sizeof sa_p256, 0, "" },
	{ HSM_EC_P384, "ca-key-p384", "secp384r1", "-sha384", sa_p384, sizeof sa_p384, 0, "" },
	{ HSM_RSA_3072, "ca-key-rsa3072", "(3072 bit)", "-sha256", sa_rsa, sizeof sa_rsa, 384, "" },
	{ HSM_RSA_4096, "ca-key-rsa4096", "(4096 bit)", "-sha256", sa_rsa, sizeof sa_rsa, 512, "" },
	{ HSM_ED25519, "ca/key;ed25519", "ED25519", NULL, sa_ed, sizeof sa_ed, 64, "" },
};
enum { NCASES = sizeof cases / sizeof cases[0] };

static const uint8_t message[] = "tbsCertificate stand-in: plantca signs this";

/* Verify with OpenSSL, from files; returns openssl's exit status. */
static int openssl_verify(const struct algcase *c, const char *sigfile)
{
	char cmd[1024];

	if (c->dgst != NULL)
		snprintf(cmd, sizeof cmd,
		    "openssl dgst %s -verify spki.der -keyform DER -signature %s msg.bin",
		    c->dgst, sigfile);
	else
		snprintf(cmd, sizeof cmd,
		    "openssl pkeyutl -verify -pubin -inkey spki.der -keyform DER -rawin -in msg.bin -sigfile %s",
		    sigfile);
	return run(cmd);
}

static void test_key_case(hsm *h, struct algcase *c)
{
	pc_buf sig = PC_BUF_INIT, sig2 = PC_BUF_INIT;
	hsm_key *k = NULL, *k2 = NULL;
	const uint8_t *spki, *spki2, *sa;
	size_t spki_len, spki2_len, sa_len;
	char text[8192], prefix[128];
	uint8_t *bad;

	printf("key %s (%s)\n", c->label, hsm_alg_name(c->alg));
	CHECK_OK(hsm_key_generate(h, c->alg, c->label, &k, &t_err));
	if (k == NULL)
		return;
	CHECKF(hsm_key_alg(k) == c->alg, "alg");
	snprintf(c->uri, sizeof c->uri, "%s", hsm_key_uri(k));
	printf("  uri %s\n", c->uri);
	snprintf(prefix, sizeof prefix, "pkcs11:token=%s;id=%%", "plantca%20test");
	CHECKF(strncmp(c->uri, prefix, strlen(prefix)) == 0, "uri prefix: %s", c->uri);
	/* 16 random bytes as %XX, then the label, encoded */
	CHECKF(strlen(c->uri) > strlen(prefix) + 47 && strstr(c->uri, ";object=") != NULL,
	    "uri id/object: %s", c->uri);

	spki = hsm_key_spki(k, &spki_len);
	sa = hsm_key_sigalg(k, &sa_len);
	CHECKF(sa_len == c->sigalg_len && memcmp(sa, c->sigalg, sa_len) == 0, "sigalg bytes");
	write_file("spki.der", spki, spki_len);
	capture("openssl pkey -pubin -inform DER -in spki.der -noout -text", text, sizeof text);
	CHECKF(strstr(text, c->pkey_text) != NULL, "openssl reads the SPKI as %s: %s",
	    c->pkey_text, text);
	/* DER round trip through OpenSSL must give the same bytes */
	CHECKF(run("openssl pkey -pubin -inform DER -in spki.der -outform DER -out spki2.der"
	    " && cmp spki.der spki2.der") == 0, "SPKI re-encoded identically by OpenSSL");

	CHECK_OK(hsm_sign(k, message, sizeof message, &sig, &t_err));
	if (c->sig_len != 0)
		CHECKF(sig.len == c->sig_len, "signature length %zu", sig.len);
	else
		CHECKF(sig.len >= 8 && sig.p[0] == 0x30, "DER ECDSA signature");
	CHECK_OK(hsm_verify_spki(spki, spki_len, message, sizeof message, sig.p, sig.len, &t_err));
	write_file("msg.bin", message, sizeof message);
	write_file("sig.bin", sig.p, sig.len);
	CHECKF(openssl_verify(c, "sig.bin") == 0, "OpenSSL verifies the %s signature",
	    hsm_alg_name(c->alg));

	/* a flipped bit fails both verifiers */
	bad = malloc(sig.len);
	CHECK(bad != NULL);
	memcpy(bad, sig.p, sig.len);
	bad[sig.len - 3] ^= 0x10;
	expect(hsm_verify_spki(spki, spki_len, message, sizeof message, bad, sig.len, &t_err),
	    PC_E_SIGNATURE, NULL, "corrupted signature");
	write_file("bad.bin", bad, sig.len);
	CHECKF(openssl_verify(c, "bad.bin") != 0, "OpenSSL rejects the corrupted signature");
	free(bad);
	expect(hsm_verify_spki(spki, spki_len, message, sizeof message - 1, sig.p, sig.len, &t_err),
	    PC_E_SIGNATURE, NULL, "other message");
	expect(hsm_verify_spki(spki, spki_len - 1, message, sizeof message, sig.p, sig.len, &t_err),
	    PC_E_INPUT, NULL, "truncated SPKI");

	/* RSA PKCS#1 v1.5 is deterministic: the same block twice */
	if (c->alg == HSM_RSA_3072 || c->alg == HSM_RSA_4096) {
		CHECK_OK(hsm_sign(k, message, sizeof message, &sig2, &t_err));
		CHECKF(sig2.len == sig.len && memcmp(sig2.p, sig.p, sig.len) == 0,
		    "RSA signatures are deterministic");
		pc_buf_free(&sig2);
	}

	/* the same label again: refused, whatever the algorithm */
	expect(hsm_key_generate(h, HSM_EC_P256, c->label, &k2, &t_err), PC_E_EXISTS,
	    c->label, "duplicate label");
	CHECKF(k2 == NULL, "no key on PC_E_EXISTS");

	/* open by URI: same key, same SPKI, can sign */
	CHECK_OK(hsm_key_open(h, c->uri, &k2, &t_err));
	if (k2 != NULL) {
		spki2 = hsm_key_spki(k2, &spki2_len);
		CHECKF(spki2_len == spki_len && memcmp(spki2, spki, spki_len) == 0,
		    "SPKI round-trips through the URI");
		CHECKF(hsm_key_alg(k2) == c->alg, "alg round-trips");
		CHECKF(strcmp(hsm_key_uri(k2), c->uri) == 0, "URI round-trips: %s", hsm_key_uri(k2));
		pc_buf_free(&sig2);
		CHECK_OK(hsm_sign(k2, message, 1, &sig2, &t_err));
		CHECK_OK(hsm_verify_spki(spki, spki_len, message, 1, sig2.p, sig2.len, &t_err));
		hsm_key_free(k2);
	}
	pc_buf_free(&sig2);
	pc_buf_free(&sig);
	hsm_key_free(k);
}

static void test_key_errors(hsm *h)
{
	hsm_key *k = NULL;

	printf("key errors\n");
	expect(hsm_key_open(h, "pkcs11:token=plantca%20test;id=%01%02%03;object=nope", &k, &t_err),
	    PC_E_HSM_KEY, "no such private key", "unknown key URI");
	CHECKF(k == NULL, "no key");
	expect(hsm_key_open(h, "pkcs11:object=nope", &k, &t_err), PC_E_HSM_KEY,
	    "plantca test", "unknown key label");
	expect(hsm_key_open(h, "pkcs11:token=other;object=ca%20key%20p256", &k, &t_err),
	    PC_E_HSM_KEY, "another token", "key on another token");
	expect(hsm_key_open(h, "pkcs11:library-manufacturer=Nobody;object=ca%20key%20p256", &k, &t_err),
	    PC_E_HSM_KEY, "another token", "key in another module");
	expect(hsm_key_open(h, "pkcs11:object=ca%20key%20p256?pin-value=1234", &k, &t_err),
	    PC_E_USAGE, "PIN", "PIN in a key URI");
	expect(hsm_key_open(h, "pkcs11:object=%zz", &k, &t_err), PC_E_USAGE, NULL, "bad key URI");
	expect(hsm_key_open(h, "pkcs11:token=plantca%20test", &k, &t_err), PC_E_USAGE,
	    "names no key", "URI without a key");
	expect(hsm_key_generate(h, HSM_EC_P256, "", &k, &t_err), PC_E_USAGE, NULL, "empty label");
	expect(hsm_key_generate(h, HSM_EC_P256, "tab\there", &k, &t_err), PC_E_USAGE, NULL,
	    "control character in label");
	expect(hsm_key_generate(h, (hsm_alg)99, "x", &k, &t_err), PC_E_USAGE, NULL, "bad alg");
}

/* ---- the token's key pairs as a whole (hsm/keys.c) ---- */

static const hsm_pair *pair_named(const hsm_pairs *l, const char *label)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].label, label) == 0)
			return &l->v[i];
	return NULL;
}

static void test_pairs(hsm *h)
{
	hsm_key *a = NULL, *b = NULL, *o = NULL;
	hsm_pairs l, all;
	const hsm_pair *pa, *pb;
	char uri[512], bad[512];
	size_t n;

	printf("key pairs: list, match, destroy\n");
	CHECK_OK(hsm_key_generate(h, HSM_EC_P256, "pfx-a", &a, &t_err));
	CHECK_OK(hsm_key_generate(h, HSM_ED25519, "pfx-b", &b, &t_err));
	CHECK_OK(hsm_key_generate(h, HSM_EC_P256, "other-pfx-c", &o, &t_err));
	CHECK_OK(hsm_pairs_list(h, "", &all, &t_err));
	CHECK_OK(hsm_pairs_list(h, "pfx-", &l, &t_err));
	CHECKF(l.n == 2, "two pairs with the prefix, got %zu", l.n);
	CHECKF(l.others + 2 * l.n == all.others + 2 * all.n, "every object counted once: %zu+%zu vs %zu+%zu",
	    l.others, l.n, all.others, all.n);
	CHECKF(pair_named(&l, "other-pfx-c") == NULL, "a label with the prefix inside is not listed");
	pa = pair_named(&l, "pfx-a");
	pb = pair_named(&l, "pfx-b");
	CHECKF(pa != NULL && pb != NULL, "both pairs listed");
	if (pa == NULL || pb == NULL)
		return;
	CHECKF(pa->npriv == 1 && pa->npub == 1 && pa->note == NULL && pa->alg == HSM_EC_P256,
	    "pfx-a whole, P-256");
	CHECKF(pb->alg == HSM_ED25519, "pfx-b Ed25519");
	CHECKF(strcmp(pa->uri, hsm_key_uri(a)) == 0, "the pair's URI is the key's: %s", pa->uri);
	n = 0;
	CHECKF(pa->spki_len == (hsm_key_spki(a, &n), n) && memcmp(pa->spki, hsm_key_spki(a, &n), n) == 0,
	    "the pair's SPKI is the key's");
	CHECKF(hsm_pair_named_by(h, pa, hsm_key_uri(a)), "named by its URI");
	CHECKF(!hsm_pair_named_by(h, pb, hsm_key_uri(a)), "not by another key's URI");
	CHECKF(hsm_pair_named_by(h, pa, "pkcs11:object=pfx-a"), "a label-only URI names it");
	snprintf(bad, sizeof bad, "pkcs11:token=plantca%%20test;id=%%01%%02;object=pfx-a");
	CHECKF(!hsm_pair_named_by(h, pa, bad), "the label with another CKA_ID does not name it");
	snprintf(uri, sizeof uri, "%s", hsm_key_uri(a));
	*strstr(uri, "object=pfx-a") = '\0';
	strncat(uri, "object=pfx-b", sizeof uri - strlen(uri) - 1);
	CHECKF(!hsm_pair_named_by(h, pa, uri), "its CKA_ID with another label does not name it");
	CHECKF(!hsm_pair_named_by(h, pa, "pkcs11:token=other;object=pfx-a"), "another token's");
	CHECKF(!hsm_pair_named_by(h, pa, "pkcs11:object=%zz"), "an unparsable URI names nothing");
	CHECKF(!hsm_pair_named_by(h, pa, "pkcs11:token=plantca%20test"), "a URI naming no key");
	CHECKF(!hsm_pair_named_by(h, pa, NULL), "no URI");
	hsm_key_free(a);
	hsm_key_free(b);
	hsm_key_free(o);
#ifdef PC_FAULT_POINTS
	/* stopped between the two destroys: the public half is listed */
	setenv("PLANTCA_FAULT", "hsm.destroy:2:eio", 1);
	expect(hsm_pair_destroy(h, pa, &t_err), PC_E_IO, "hsm.destroy", "destroy cut after the private key");
	unsetenv("PLANTCA_FAULT");
	{
		hsm_pairs half;
		const hsm_pair *ph;
		CHECK_OK(hsm_pairs_list(h, "pfx-", &half, &t_err));
		ph = pair_named(&half, "pfx-a");
		CHECKF(ph != NULL && ph->npriv == 0 && ph->npub == 1 && ph->spki == NULL &&
		    ph->note != NULL && strstr(ph->note, "no private key") != NULL,
		    "the public half of pfx-a is listed with a note");
		hsm_pairs_free(&half);
	}
#endif
	CHECK_OK(hsm_pair_destroy(h, pa, &t_err));
	CHECK_OK(hsm_pair_destroy(h, pb, &t_err));
	hsm_pairs_free(&l);
	CHECK_OK(hsm_pairs_list(h, "pfx-", &l, &t_err));
	CHECKF(l.n == 0, "destroyed pairs are gone, %zu left", l.n);
	CHECKF(l.others == all.others + 2 * all.n - 4, "the other objects stay: %zu", l.others);
	hsm_pairs_free(&l);
	hsm_pairs_free(&all);
}

/* Two hsm objects on one token at once (one per thread in real use): they
 * share the module's initialisation and the login; closing one leaves the
 * other working.  Also other spellings of a key URI. */
static void test_two_sessions(hsm *h, const char *uri)
{
	pc_secret pin = { 0 };
	pc_buf sig = PC_BUF_INIT;
	hsm *h2 = NULL;
	hsm_key *k1 = NULL, *k2 = NULL, *k3 = NULL;
	const uint8_t *spki;
	size_t spki_len;
	char u[600];

	printf("two sessions\n");
	CHECK_OK(hsm_open(module, token, &h2, &t_err));
	if (h2 == NULL)
		return;
	/* already logged in through h: keys open without a login */
	CHECK_OK(hsm_key_open(h2, uri, &k2, &t_err));
	CHECK_OK(hsm_key_open(h, uri, &k1, &t_err));
	if (pc_secret_read(&pin, pinfile, "PIN", &t_err) == PC_OK) {
		CHECK_OK(hsm_login(h2, &pin, &t_err));
		pc_secret_free(&pin);
	}
	if (k1 != NULL && k2 != NULL) {
		spki = hsm_key_spki(k1, &spki_len);
		CHECK_OK(hsm_sign(k2, message, sizeof message, &sig, &t_err));
		CHECK_OK(hsm_verify_spki(spki, spki_len, message, sizeof message, sig.p, sig.len, &t_err));
		sig.len = 0;
		CHECK_OK(hsm_sign(k1, message, sizeof message, &sig, &t_err));
		hsm_key_free(k1);
	}
	/* label only, and with type=private */
	CHECK_OK(hsm_key_open(h2, "pkcs11:object=ca%20key%20p256", &k3, &t_err));
	hsm_key_free(k3);
	k3 = NULL;
	snprintf(u, sizeof u, "%s;type=private", uri);
	CHECK_OK(hsm_key_open(h2, u, &k3, &t_err));
	hsm_key_free(k3);
	k3 = NULL;
	hsm_key_free(k2);
	/* a key left open when its hsm closes can still be freed, not used */
	CHECK_OK(hsm_key_open(h2, uri, &k3, &t_err));
	hsm_close(h2);
	if (k3 != NULL) {
		sig.len = 0;
		expect(hsm_sign(k3, message, sizeof message, &sig, &t_err), PC_E_STATE,
		    "closed", "key outliving its hsm");
		hsm_key_free(k3);
	}
	/* h still works after h2 closed */
	CHECK_OK(hsm_key_open(h, uri, &k1, &t_err));
	if (k1 != NULL) {
		sig.len = 0;
		CHECK_OK(hsm_sign(k1, message, sizeof message, &sig, &t_err));
		hsm_key_free(k1);
	}
	pc_buf_free(&sig);
}

/* Many signatures in a row with one key, each checked (the figures are
 * scripts/bench-hsm's). */
static void test_many_signs(hsm *h)
{
	enum { N = 2000 };
	pc_buf sig = PC_BUF_INIT;
	const uint8_t *spki;
	size_t spki_len;
	hsm_key *k = NULL;
	int i;

	printf("%d signatures with one key\n", N);
	CHECK_OK(hsm_key_generate(h, HSM_EC_P256, "many-p256", &k, &t_err));
	spki = hsm_key_spki(k, &spki_len);
	for (i = 0; i < N; i++) {
		sig.len = 0;
		CHECK_OK(hsm_sign(k, message, sizeof message, &sig, &t_err));
		CHECK_OK(hsm_verify_spki(spki, spki_len, message, sizeof message, sig.p, sig.len,
		    &t_err));
	}
	pc_buf_free(&sig);
	hsm_key_free(k);
}

/* ---- raw PKCS#11: attributes as the token has them ---- */

struct raw {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE s;
};

static void raw_open(struct raw *r)
{
	union { void *p; CK_C_GetFunctionList fn; } gfl;
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO ti;
	pc_secret pin = { 0 };
	bool found = false;

	r->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	gfl.p = r->dl != NULL ? dlsym(r->dl, "C_GetFunctionList") : NULL;
	if (gfl.p == NULL || gfl.fn(&r->f) != CKR_OK || r->f->C_Initialize(NULL) != CKR_OK ||
	    r->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
		FAIL("raw PKCS#11 setup failed");
	}
	for (i = 0; i < n && !found; i++) {
		size_t l = strlen(token);
		if (r->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, token, l) == 0 && (l == 32 || ti.label[l] == ' ')) {
			found = r->f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
			    NULL, NULL, &r->s) == CKR_OK;
		}
	}
	if (!found || pc_secret_read(&pin, pinfile, "PIN", &t_err) != PC_OK ||
	    r->f->C_Login(r->s, CKU_USER, (CK_UTF8CHAR_PTR)pin.s, pin.len) != CKR_OK) {
		FAIL("raw PKCS#11 login failed");
	}
	pc_secret_free(&pin);
}

static void raw_close(struct raw *r)
{
	r->f->C_CloseSession(r->s);
	r->f->C_Finalize(NULL);
	dlclose(r->dl);
}

static CK_ULONG raw_find(struct raw *r, CK_OBJECT_CLASS cls, const char *label,
    CK_OBJECT_HANDLE *o)
{
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE found[4];
	CK_ULONG n = 0;

	if (r->f->C_FindObjectsInit(r->s, t, 2) != CKR_OK)
		return 0;
	(void)r->f->C_FindObjects(r->s, found, 4, &n);
	(void)r->f->C_FindObjectsFinal(r->s);
	if (n > 0)
		*o = found[0];
	return n;
}

static void raw_check(struct raw *r, const struct algcase *c)
{
	CK_OBJECT_HANDLE priv = 0, pub = 0;
	CK_BBOOL token_ = 0, private_ = 0, sens = 0, extr = 1, asens = 0, nextr = 0, sign = 0,
	    decrypt = 1, derive = 1;
	uint8_t id1[64], id2[64], secret[1024];
	CK_ATTRIBUTE a[] = {
		{ CKA_TOKEN, &token_, 1 }, { CKA_PRIVATE, &private_, 1 },
		{ CKA_SENSITIVE, &sens, 1 }, { CKA_EXTRACTABLE, &extr, 1 },
		{ CKA_ALWAYS_SENSITIVE, &asens, 1 }, { CKA_NEVER_EXTRACTABLE, &nextr, 1 },
		{ CKA_SIGN, &sign, 1 }, { CKA_DECRYPT, &decrypt, 1 }, { CKA_DERIVE, &derive, 1 },
		{ CKA_ID, id1, sizeof id1 },
	};
	CK_ATTRIBUTE b = { CKA_ID, id2, sizeof id2 };
	CK_ATTRIBUTE v = { CKA_VALUE, secret, sizeof secret };
	CK_RV rv;

	printf("raw PKCS#11 check of %s\n", c->label);
	CHECKF(raw_find(r, CKO_PRIVATE_KEY, c->label, &priv) == 1, "one private key");
	CHECKF(raw_find(r, CKO_PUBLIC_KEY, c->label, &pub) == 1, "one public key");
	rv = r->f->C_GetAttributeValue(r->s, priv, a, sizeof a / sizeof a[0]);
	CHECKF(rv == CKR_OK, "private attributes readable: 0x%lx", (unsigned long)rv);
	CHECKF(token_ && private_ && sign, "CKA_TOKEN, CKA_PRIVATE, CKA_SIGN");
	CHECKF(sens && !extr, "CKA_SENSITIVE=TRUE, CKA_EXTRACTABLE=FALSE");
	CHECKF(asens && nextr, "CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE");
	CHECKF(!decrypt && !derive, "CKA_DECRYPT, CKA_DERIVE false");
	CHECKF(a[9].ulValueLen == 16, "16-byte CKA_ID");
	rv = r->f->C_GetAttributeValue(r->s, pub, &b, 1);
	CHECKF(rv == CKR_OK && b.ulValueLen == a[9].ulValueLen &&
	    memcmp(id1, id2, b.ulValueLen) == 0, "public key has the same CKA_ID");
	if (c->alg == HSM_RSA_3072 || c->alg == HSM_RSA_4096)
		v.type = CKA_PRIVATE_EXPONENT;
	rv = r->f->C_GetAttributeValue(r->s, priv, &v, 1);
	CHECKF(rv == CKR_ATTRIBUTE_SENSITIVE, "private value unreadable: 0x%lx", (unsigned long)rv);
}

/* Give public key objects `a` and `b` each other's CKA_ID, so that opening
 * a's URI pairs a's private key with b's public key. */
static void raw_swap(struct raw *r, const char *a, const char *b)
{
	CK_OBJECT_HANDLE pa = 0, pb = 0;
	uint8_t ida[64], idb[64];
	CK_ATTRIBUTE ta = { CKA_ID, ida, sizeof ida }, tb = { CKA_ID, idb, sizeof idb };

	if (raw_find(r, CKO_PUBLIC_KEY, a, &pa) != 1 || raw_find(r, CKO_PUBLIC_KEY, b, &pb) != 1 ||
	    r->f->C_GetAttributeValue(r->s, pa, &ta, 1) != CKR_OK ||
	    r->f->C_GetAttributeValue(r->s, pb, &tb, 1) != CKR_OK ||
	    r->f->C_SetAttributeValue(r->s, pa, &tb, 1) != CKR_OK ||
	    r->f->C_SetAttributeValue(r->s, pb, &ta, 1) != CKR_OK) {
		FAIL("cannot swap public key ids of %s and %s", a, b);
	}
}

/* A token whose signature does not match the public key: PC_E_HSM_BADSIG. */
static void test_badsig(hsm *h, const char *uri, const char *what)
{
	pc_buf sig = PC_BUF_INIT;
	hsm_key *k = NULL;

	CHECK_OK(hsm_key_open(h, uri, &k, &t_err));
	if (k == NULL)
		return;
	pc_buf_str(&sig, "x");
	expect(hsm_sign(k, message, sizeof message, &sig, &t_err), PC_E_HSM_BADSIG,
	    "does not verify", what);
	CHECKF(sig.len == 1, "nothing appended on PC_E_HSM_BADSIG");
	pc_buf_free(&sig);
	{
		/* the pipelined path must refuse the same way and hand back nothing */
		enum { N = 9 };
		const uint8_t *msgs[N];
		size_t lens[N], i;
		pc_buf sigs[N];
		for (i = 0; i < N; i++) {
			msgs[i] = message;
			lens[i] = sizeof message;
			sigs[i] = (pc_buf)PC_BUF_INIT;
		}
		expect(hsm_sign_many(k, msgs, lens, N, sigs, &t_err), PC_E_HSM_BADSIG,
		    "does not verify", what);
		for (i = 0; i < N; i++) {
			CHECKF(sigs[i].len == 0, "hsm_sign_many: nothing returned on PC_E_HSM_BADSIG");
			pc_buf_free(&sigs[i]);
		}
	}
	hsm_key_free(k);
}

/* hsm_sign_many: every signature is right (checked by our verifier and for
 * a sample by OpenSSL via test_key_case's path) and in the right slot. */
static void test_sign_many(hsm *h, const char *uri)
{
	enum { N = 300 };
	static uint8_t bufs[N][40];
	const uint8_t *msgs[N];
	size_t lens[N], i, spki_len;
	pc_buf sigs[N];
	const uint8_t *spki;
	hsm_key *k = NULL;

	CHECK_OK(hsm_key_open(h, uri, &k, &t_err));
	if (k == NULL)
		return;
	spki = hsm_key_spki(k, &spki_len);
	for (i = 0; i < N; i++) {
		snprintf((char *)bufs[i], sizeof bufs[i], "message number %zu", i);
		msgs[i] = bufs[i];
		lens[i] = strlen((char *)bufs[i]);
		sigs[i] = (pc_buf)PC_BUF_INIT;
	}
	CHECK_OK(hsm_sign_many(k, msgs, lens, N, sigs, &t_err));
	for (i = 0; i < N; i++) {
		CHECK_OK(hsm_verify_spki(spki, spki_len, msgs[i], lens[i], sigs[i].p, sigs[i].len, &t_err));
		/* signature i belongs to message i, not to its neighbour */
		if (i > 0)
			CHECKF(hsm_verify_spki(spki, spki_len, msgs[i - 1], lens[i - 1], sigs[i].p,
			    sigs[i].len, &t_err) == PC_E_SIGNATURE, "hsm_sign_many: signatures out of order");
		pc_buf_free(&sigs[i]);
	}
	hsm_key_free(k);
}

int main(int argc, char **argv)
{
	char swap_uri[4][512];
	static const char *swap_label[4] = { "swap-a", "swap-b", "swap-c", "swap-d" };
	struct raw r;
	hsm *h;
	int i;

	if (argc != 6) {
		fprintf(stderr, "usage: test-hsm MODULE TOKEN PIN-FILE WORKDIR TWIN\n");
		return 2;
	}
	module = argv[1];
	token = argv[2];
	pinfile = argv[3];
	workdir = argv[4];
	twin = argv[5];
	if (sodium_init() < 0)
		return 2;

	test_open_errors();

	h = open_token(token, false);
	test_login(h);
	for (i = 0; i < NCASES; i++)
		test_key_case(h, &cases[i]);
	test_key_errors(h);
	test_pairs(h);
	test_two_sessions(h, cases[0].uri);
	for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++)
		test_sign_many(h, cases[i].uri);
	for (i = 0; i < 4; i++) {
		hsm_key *k = NULL;
		CHECK_OK(hsm_key_generate(h, i < 2 ? HSM_EC_P256 : HSM_ED25519, swap_label[i], &k, &t_err));
		snprintf(swap_uri[i], sizeof swap_uri[i], "%s", k != NULL ? hsm_key_uri(k) : "");
		hsm_key_free(k);
	}
	test_many_signs(h);
	hsm_close(h);

	/* The token's own view, through PKCS#11 without our code. */
	raw_open(&r);
	for (i = 0; i < NCASES; i++)
		raw_check(&r, &cases[i]);
	raw_swap(&r, swap_label[0], swap_label[1]);
	raw_swap(&r, swap_label[2], swap_label[3]);
	raw_close(&r);

	printf("mismatched key pairs\n");
	h = open_token(token, true);
	test_badsig(h, swap_uri[0], "ECDSA signature not matching the public key");
	test_badsig(h, swap_uri[2], "Ed25519 signature not matching the public key");
	hsm_close(h);

	printf("test-hsm: ok\n");
	return 0;
}
