/*
 * cmp_devices.c - BENCH/TEST ONLY: N simulated devices enroll through
 * plantca-station serve (docs/cmp.md "Performance"), CMP made in-process:
 *
 *   cmp_devices URL DIR N [--threads T] [--poll-ms MS] [--timeout S]
 *
 * Device i has DIR/i.idevid (its IEEE 802.1AR IDevID, PEM), DIR/i.idkey
 * (the IDevID's key) and DIR/mfg.pem (the manufacturer CA, sent as the
 * second extraCerts certificate).  Each device makes its own P-256 key
 * (DIR/i.key), sends an ir for "/O=Acme Plant/CN=dev-i" signed with its
 * IDevID (signature protection, RFC 9483 §3.2; signature POP by the new
 * key), polls (pollReq, every MS milliseconds, not the station's
 * checkAfter) until the ip brings its certificate (DIR/i.pem), and
 * confirms it (certConf -> pkiConf).  T threads carry all N devices; the
 * ir of every device goes out first.
 *
 * Every reply must be HTTP 200 application/pkixcmp, a PKIMessage whose
 * protection verifies with the key of its first extraCerts certificate
 * (the station's RA certificate; whether that chains to the plant root is
 * the shell's business, as is the check of the certificates with
 * `openssl verify`), whose transactionID is the device's and recipNonce
 * the senderNonce of its request.  Prints the latency of each kind of
 * message as the devices saw it (loopback, HTTP included; ir -> ip
 * waiting, pollReq -> pollRep, pollReq -> ip with the certificate,
 * certConf -> pkiConf) and exits 0 only when every device has its
 * certificate and pkiConf.
 *
 * Tests assert no time; the numbers are for scripts/bench.
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "file.h"
#include "pkix.h"

enum { K_IR, K_POLL, K_CONF, K_POLL_IP, K_N };   /* K_POLL: answered by a pollRep */
static const char *const kind_names[K_N] = { "ir -> ip waiting", "pollReq -> pollRep",
	"certConf -> pkiConf", "pollReq -> ip" };

typedef struct device {
	int i;
	uint8_t *idevid; size_t idevid_len;
	EVP_PKEY *idkey, *key;
	pkix_cert cert;                     /* the IDevID, parsed */
	uint8_t txid[16];
	uint8_t nonce[16];                  /* senderNonce of the last request */
	uint8_t rnonce[64]; size_t rnonce_len;   /* the last reply's senderNonce */
	uint8_t *ldevid; size_t ldevid_len;
	bool waiting, done;
	char err[300];
} device;

static const char *url, *dir;
static uint8_t *mfg; static size_t mfg_len;
static int ndev, nthreads = 32, poll_ms = 200, timeout_s = 600;
static device *devs;
static pthread_mutex_t stat_lock = PTHREAD_MUTEX_INITIALIZER;
static double *lat[K_N];
static size_t nlat[K_N], caplat[K_N];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void stat_add(int k, double ms)
{
	pthread_mutex_lock(&stat_lock);
	if (nlat[k] == caplat[k]) {
		caplat[k] = caplat[k] ? 2 * caplat[k] : 1024;
		lat[k] = realloc(lat[k], caplat[k] * sizeof *lat[k]);
		if (lat[k] == NULL)
			t_die("out of memory");
	}
	lat[k][nlat[k]++] = ms;
	pthread_mutex_unlock(&stat_lock);
}

/* ------------------------------------------------------------ files */

static uint8_t *pem_cert_der(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	uint8_t *der = NULL;
	int n;

	if (f == NULL)
		t_die("%s: cannot open", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL || (n = i2d_X509(x, &der)) <= 0)
		t_die("%s: not a PEM certificate", path);
	X509_free(x);
	*len = (size_t)n;
	return der;
}

static EVP_PKEY *pem_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL)
		t_die("%s: cannot open", path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		t_die("%s: not a PEM private key", path);
	return k;
}

/* ------------------------------------------------------------ crypto */

PC_CHECK static pc_rc sign_with(EVP_PKEY *k, const uint8_t *msg, size_t len, pc_buf *sig,
    pc_err *e)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t s[160];
	size_t n = sizeof s;
	int ok;

	ok = c != NULL && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(c, s, &n, msg, len) == 1;
	EVP_MD_CTX_free(c);
	if (!ok)
		return pc_fail(e, PC_E_INTERNAL, "ECDSA signing failed");
	pc_buf_append(sig, s, n);
	return PC_OK;
}

PC_CHECK static pc_rc idevid_sign(void *ctx, const uint8_t *msg, size_t len, pc_buf *sig,
    pc_err *e)
{
	return sign_with(((device *)ctx)->idkey, msg, len, sig, e);
}

/* ------------------------------------------------------------ requests */

/* ir [0] CertReqMessages with one CertReqMsg: certReqId 0, template
 * subject and publicKey, POP by signature of the new key over the DER
 * CertRequest (RFC 4211 §4.1). */
static bool body_ir(device *d, pc_der *b)
{
	char subj[64];
	pc_buf name = PC_BUF_INIT, sig = PC_BUF_INIT;
	uint8_t *spki = NULL;
	int spki_len;
	pc_der cr;
	pc_err e;
	size_t al;
	const uint8_t *alg = pkix_sigalg_der(pkix_sigalg_for_key(PKIX_KEY_EC_P256), &al);
	bool ok;

	snprintf(subj, sizeof subj, "/O=Acme Plant/CN=dev-%d", d->i);
	if (pkix_name_from_text(&name, subj, &e) != PC_OK)
		t_die("%s", e.msg);
	if ((spki_len = i2d_PUBKEY(d->key, &spki)) <= 0)
		t_die("i2d_PUBKEY");
	pc_der_init(&cr);
	pc_der_begin(&cr, DER_SEQUENCE);
	pc_der_u64(&cr, 0);
	pc_der_begin(&cr, DER_SEQUENCE);                 /* CertTemplate */
	pc_der_begin(&cr, DER_CTX_CONS | 5);
	pc_der_raw(&cr, name.p, name.len);
	pc_der_end(&cr);
	/* [6] IMPLICIT SubjectPublicKeyInfo: the SPKI's content under [6] */
	{
		pc_reader r = pc_reader_make(spki, (size_t)spki_len), c;
		if (!pc_der_read(&r, DER_SEQUENCE, &c))
			t_die("bad SPKI");
		pc_der_tlv(&cr, DER_CTX_CONS | 6, c.p + c.off, pc_reader_left(&c));
	}
	pc_der_end(&cr);
	pc_der_end(&cr);
	ok = pc_der_ok(&cr) && sign_with(d->key, cr.b.p, cr.b.len, &sig, &e) == PC_OK;
	pc_der_begin(b, DER_CTX_CONS | 0);
	pc_der_begin(b, DER_SEQUENCE);
	pc_der_begin(b, DER_SEQUENCE);
	pc_der_raw(b, cr.b.p, cr.b.len);
	pc_der_begin(b, DER_CTX_CONS | 1);               /* POPOSigningKey */
	pc_der_raw(b, alg, al);
	pc_der_bits(b, sig.p, sig.len, 0);
	pc_der_end(b);
	pc_der_end(b);
	pc_der_end(b);
	pc_der_end(b);
	OPENSSL_free(spki);
	pc_der_free(&cr);
	pc_buf_free(&name);
	pc_buf_free(&sig);
	return ok && pc_der_ok(b);
}

static void body_poll(pc_der *b)
{
	pc_der_begin(b, DER_CTX_CONS | 25);
	pc_der_begin(b, DER_SEQUENCE);
	pc_der_begin(b, DER_SEQUENCE);
	pc_der_u64(b, 0);
	pc_der_end(b);
	pc_der_end(b);
	pc_der_end(b);
}

/* certConf: the hash of the certificate with its signature's hash
 * (SHA-256: the line CA signs with ECDSA P-256 or Ed25519, RFC 9483 §4.1.1) */
static void body_conf(device *d, pc_der *b)
{
	uint8_t h[32];

	crypto_hash_sha256(h, d->ldevid, d->ldevid_len);
	pc_der_begin(b, DER_CTX_CONS | 24);
	pc_der_begin(b, DER_SEQUENCE);
	pc_der_begin(b, DER_SEQUENCE);
	pc_der_tlv(b, DER_OCTET_STRING, h, sizeof h);
	pc_der_u64(b, 0);
	pc_der_end(b);
	pc_der_end(b);
	pc_der_end(b);
}

/* ------------------------------------------------------------ HTTP */

static size_t sink(char *p, size_t sz, size_t n, void *ctx)
{
	pc_buf_append((pc_buf *)ctx, p, sz * n);
	return sz * n;
}

static bool post(CURL *c, const pc_buf *req, pc_buf *rsp, char *err, size_t errcap)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/pkixcmp");
	long status = 0;
	char *type = NULL;
	CURLcode rc;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->p);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rsp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		snprintf(err, errcap, "HTTP: %s", curl_easy_strerror(rc));
		return false;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
	if (status != 200 || type == NULL || strcmp(type, "application/pkixcmp") != 0) {
		snprintf(err, errcap, "HTTP %ld %s", status, type ? type : "(no type)");
		return false;
	}
	return pc_buf_ok(rsp);
}

/* ------------------------------------------------------------ replies */

typedef struct reply {
	int body;
	int status;                          /* PKIStatus of ip / error; -1 */
	pc_reader cert;                      /* ip: the certificate TLV */
	char text[200];
} reply;

/* PKIStatusInfo si: its status and the first UTF8String of its text. */
static void read_status(pc_reader si, reply *o)
{
	pc_reader v, ft, s;
	uint64_t st = 0;
	bool have = false;

	if (pc_der_read(&si, DER_INTEGER, &v) && pc_reader_left(&v) == 1)
		st = v.p[v.off];
	o->status = (int)st;
	if (pc_der_read_opt(&si, DER_SEQUENCE, &ft, &have) && have &&
	    pc_der_read(&ft, DER_UTF8STRING, &s))
		snprintf(o->text, sizeof o->text, "%.*s", (int)pc_reader_left(&s),
		    (const char *)s.p + s.off);
}

/* Check the reply's shape, protection, transactionID and recipNonce. */
static bool read_reply(device *d, const pc_buf *rsp, reply *o, char *err, size_t cap)
{
	pc_reader r = pc_reader_make(rsp->p, rsp->len), msg, hd, body, prot, extra, x, v;
	const uint8_t *hw, *bw, *cw;
	size_t hl, bl, cl;
	uint8_t tag, btag;
	bool txok = false, nonceok = false;
	pkix_cert ra;
	pkix_pubkey k;
	pc_der pp;
	pc_err e;
	bool ok;

	memset(o, 0, sizeof *o);
	o->status = -1;
	if (!pc_der_read(&r, DER_SEQUENCE, &msg) || !pc_der_read_any(&msg, &tag, &hd, &hw, &hl) ||
	    tag != DER_SEQUENCE || !pc_der_read_any(&msg, &btag, &body, &bw, &bl) ||
	    !pc_der_read(&msg, DER_CTX_CONS | 0, &prot) || !pc_der_read(&msg, DER_CTX_CONS | 1, &extra) ||
	    !pc_der_read(&extra, DER_SEQUENCE, &x) ||
	    !pc_der_read_any(&x, &tag, &v, &cw, &cl)) {
		snprintf(err, cap, "reply is not a protected PKIMessage with extraCerts");
		return false;
	}
	o->body = btag & 0x1f;
	/* header: pvno, sender, recipient, then tagged fields */
	(void)pc_der_read(&hd, DER_INTEGER, &v);
	(void)pc_der_read_any(&hd, &tag, &v, NULL, NULL);
	(void)pc_der_read_any(&hd, &tag, &v, NULL, NULL);
	while (pc_reader_left(&hd) > 0 && pc_der_read_any(&hd, &tag, &x, NULL, NULL)) {
		pc_reader oc;
		if (tag != (DER_CTX_CONS | 4) && tag != (DER_CTX_CONS | 5) && tag != (DER_CTX_CONS | 6))
			continue;
		if (!pc_der_read(&x, DER_OCTET_STRING, &oc))
			break;
		if (tag == (DER_CTX_CONS | 4))
			txok = pc_reader_left(&oc) == sizeof d->txid &&
			    memcmp(oc.p + oc.off, d->txid, sizeof d->txid) == 0;
		else if (tag == (DER_CTX_CONS | 6))
			nonceok = pc_reader_left(&oc) == sizeof d->nonce &&
			    memcmp(oc.p + oc.off, d->nonce, sizeof d->nonce) == 0;
		else if (pc_reader_left(&oc) <= sizeof d->rnonce) {
			d->rnonce_len = pc_reader_left(&oc);
			memcpy(d->rnonce, oc.p + oc.off, d->rnonce_len);
		}
	}
	if (!txok || !nonceok) {
		snprintf(err, cap, "reply: %s", !txok ? "not this transactionID" :
		    "recipNonce is not the request's senderNonce");
		return false;
	}
	/* protection: the RA certificate's key over ProtectedPart */
	pc_der_init(&pp);
	pc_der_begin(&pp, DER_SEQUENCE);
	pc_der_raw(&pp, hw, hl);
	pc_der_raw(&pp, bw, bl);
	pc_der_end(&pp);
	ok = pc_der_ok(&pp) && pc_der_read(&prot, DER_BIT_STRING, &v) && pc_reader_left(&v) > 1 &&
	    pkix_cert_parse(cw, cl, "reply signer", &ra, &e) == PC_OK &&
	    pkix_pubkey_parse(ra.spki, ra.spki_len, "reply signer", PC_E_INPUT, &k, &e) == PC_OK &&
	    pkix_verify(&k, pkix_sigalg_for_key(k.type), pp.b.p, pp.b.len, v.p + v.off + 1,
	    pc_reader_left(&v) - 1, "reply protection", &e) == PC_OK;
	pc_der_free(&pp);
	if (!ok) {
		snprintf(err, cap, "reply protection does not verify");
		return false;
	}
	if (o->body == PKIX_CMP_IP) {
		pc_reader rep, resp, cr, si, ckp, coc;
		bool have;
		if (!pc_der_read(&body, DER_SEQUENCE, &rep) ||
		    !pc_der_read_opt(&rep, DER_CTX_CONS | 1, &v, &have))
			goto bad;
		if (!pc_der_read(&rep, DER_SEQUENCE, &resp) || !pc_der_read(&resp, DER_SEQUENCE, &cr) ||
		    !pc_der_read(&cr, DER_INTEGER, &v) || !pc_der_read(&cr, DER_SEQUENCE, &si))
			goto bad;
		read_status(si, o);
		if (pc_reader_left(&cr) > 0) {
			const uint8_t *w;
			size_t wl;
			if (!pc_der_read(&cr, DER_SEQUENCE, &ckp) ||
			    !pc_der_read(&ckp, DER_CTX_CONS | 0, &coc) ||
			    !pc_der_read_any(&coc, &tag, &v, &w, &wl) || tag != DER_SEQUENCE)
				goto bad;
			o->cert = pc_reader_make(w, wl);
		}
	} else if (o->body == PKIX_CMP_ERROR) {
		pc_reader ec, si;
		if (pc_der_read(&body, DER_SEQUENCE, &ec) && pc_der_read(&ec, DER_SEQUENCE, &si))
			read_status(si, o);
	}
	return true;
bad:
	snprintf(err, cap, "reply: malformed ip");
	return false;
}

/* ------------------------------------------------------------ a device */

static bool send_msg(CURL *c, device *d, int kind, reply *o)
{
	pkix_cmp_reply h;
	pkix_cmp_signer s;
	const uint8_t *chain[1] = { mfg };
	size_t chain_len[1] = { mfg_len };
	pc_buf req = PC_BUF_INIT, rsp = PC_BUF_INIT;
	pc_der b;
	pc_err e;
	double t0;
	bool ok;

	pc_der_init(&b);
	if (kind == K_IR)
		ok = body_ir(d, &b);
	else {
		if (kind == K_POLL)
			body_poll(&b);
		else
			body_conf(d, &b);
		ok = pc_der_ok(&b);
	}
	memset(&h, 0, sizeof h);
	memset(&s, 0, sizeof s);
	h.pvno = 2;
	h.now = time(NULL);
	h.txid = d->txid;
	h.txid_len = sizeof d->txid;
	if (kind != K_IR) {
		h.recip_nonce = d->rnonce;
		h.recip_nonce_len = d->rnonce_len;
	}
	s.cert = d->idevid;
	s.cert_len = d->idevid_len;
	s.chain = chain;
	s.chain_len = chain_len;
	s.nchain = 1;
	s.alg = pkix_sigalg_for_key(PKIX_KEY_EC_P256);
	s.sign = idevid_sign;
	s.ctx = d;
	randombytes_buf(d->nonce, sizeof d->nonce);
	if (ok && pkix_cmp_write_as(&h, d->cert.subject, d->cert.subject_len, d->cert.ski,
	    d->cert.ski ? d->cert.ski_len : 0, d->nonce, sizeof d->nonce, &s, b.b.p, b.b.len, &req,
	    &e) != PC_OK) {
		snprintf(d->err, sizeof d->err, "writing the request: %.250s", e.msg);
		ok = false;
	}
	pc_der_free(&b);
	t0 = now_ms();
	ok = ok && post(c, &req, &rsp, d->err, sizeof d->err);
	t0 = now_ms() - t0;
	ok = ok && read_reply(d, &rsp, o, d->err, sizeof d->err);
	if (ok)
		stat_add(kind == K_POLL && o->body == PKIX_CMP_IP ? K_POLL_IP : kind, t0);
	if (ok && o->cert.p != NULL) {
		d->ldevid = malloc(o->cert.len);
		if (d->ldevid == NULL)
			t_die("out of memory");
		memcpy(d->ldevid, o->cert.p, o->cert.len);
		d->ldevid_len = o->cert.len;
	}
	pc_buf_free(&req);
	pc_buf_free(&rsp);
	return ok;
}

static bool expect_body(device *d, const reply *o, int body, const char *step)
{
	char nb[16];

	if (o->body == body)
		return true;
	snprintf(d->err, sizeof d->err, "%s: got %s (status %d: %s)", step,
	    pkix_cmp_body_name(o->body, nb, sizeof nb), o->status, o->text);
	return false;
}

static void *worker(void *arg)
{
	int w = (int)(intptr_t)arg, i, left = 0;
	CURL *c = curl_easy_init();
	double end = now_ms() + timeout_s * 1e3;
	reply o;

	if (c == NULL)
		t_die("curl_easy_init");
	for (i = w; i < ndev; i += nthreads) {
		device *d = &devs[i];
		if (send_msg(c, d, K_IR, &o) && expect_body(d, &o, PKIX_CMP_IP, "ir")) {
			if (o.status == PKIX_CMP_WAITING) {
				d->waiting = true;
				left++;
			} else
				snprintf(d->err, sizeof d->err, "ir: status %d: %s", o.status, o.text);
		}
	}
	while (left > 0 && now_ms() < end) {
		usleep((useconds_t)poll_ms * 1000);
		for (i = w; i < ndev; i += nthreads) {
			device *d = &devs[i];
			if (!d->waiting)
				continue;
			if (!send_msg(c, d, K_POLL, &o)) {
				d->waiting = false;
				left--;
				continue;
			}
			if (o.body == PKIX_CMP_POLLREP)
				continue;
			d->waiting = false;
			left--;
			if (!expect_body(d, &o, PKIX_CMP_IP, "pollReq"))
				continue;
			if (o.status != PKIX_CMP_ACCEPTED || d->ldevid == NULL) {
				snprintf(d->err, sizeof d->err, "ip: status %d: %s", o.status, o.text);
				continue;
			}
			if (send_msg(c, d, K_CONF, &o) && expect_body(d, &o, PKIX_CMP_PKICONF, "certConf"))
				d->done = true;
		}
	}
	for (i = w; i < ndev; i += nthreads)
		if (devs[i].waiting)
			snprintf(devs[i].err, sizeof devs[i].err, "no answer within %d s", timeout_s);
	curl_easy_cleanup(c);
	return NULL;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void write_pem(const char *path, const char *label, const uint8_t *der, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || PEM_write(f, label, "", der, (long)len) <= 0 || fclose(f) != 0)
		t_die("%s: cannot write", path);
}

int main(int argc, char **argv)
{
	pthread_t *th;
	char path[4096];
	int i, k, ok = 0;
	pc_err e;

	if (argc < 4)
		t_die("usage: cmp_devices URL DIR N [--threads T] [--poll-ms MS] [--timeout S]");
	url = argv[1];
	dir = argv[2];
	ndev = atoi(argv[3]);
	for (i = 4; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--threads") == 0)
			nthreads = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--poll-ms") == 0)
			poll_ms = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--timeout") == 0)
			timeout_s = atoi(argv[i + 1]);
		else
			t_die("unknown option %s", argv[i]);
	}
	if (i != argc || ndev < 1 || nthreads < 1 || poll_ms < 1 || timeout_s < 1)
		t_die("bad arguments");
	if (nthreads > ndev)
		nthreads = ndev;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		t_die("library initialisation failed");
	snprintf(path, sizeof path, "%s/mfg.pem", dir);
	mfg = pem_cert_der(path, &mfg_len);
	devs = calloc((size_t)ndev, sizeof *devs);
	th = calloc((size_t)nthreads, sizeof *th);
	if (devs == NULL || th == NULL)
		t_die("out of memory");
	for (i = 0; i < ndev; i++) {
		device *d = &devs[i];
		d->i = i + 1;
		snprintf(path, sizeof path, "%s/%d.idevid", dir, d->i);
		d->idevid = pem_cert_der(path, &d->idevid_len);
		if (pkix_cert_parse(d->idevid, d->idevid_len, path, &d->cert, &e) != PC_OK)
			t_die("%s", e.msg);
		snprintf(path, sizeof path, "%s/%d.idkey", dir, d->i);
		d->idkey = pem_key(path);
		if ((d->key = EVP_EC_gen("P-256")) == NULL)
			t_die("P-256 key generation failed");
		snprintf(path, sizeof path, "%s/%d.key", dir, d->i);
		{
			FILE *f = fopen(path, "w");
			if (f == NULL || PEM_write_PrivateKey(f, d->key, NULL, NULL, 0, NULL, NULL) != 1 ||
			    fclose(f) != 0)
				t_die("%s: cannot write", path);
		}
		randombytes_buf(d->txid, sizeof d->txid);
	}
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) != 0)
			t_die("pthread_create");
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	free(th);
	for (i = 0; i < ndev; i++) {
		device *d = &devs[i];
		if (d->done) {
			snprintf(path, sizeof path, "%s/%d.pem", dir, d->i);
			write_pem(path, "CERTIFICATE", d->ldevid, d->ldevid_len);
			ok++;
		} else
			fprintf(stderr, "cmp_devices: device %d: %s\n", d->i, d->err[0] ? d->err : "not done");
	}
	printf("devices %d enrolled %d failed %d\n", ndev, ok, ndev - ok);
	for (i = 0; i < K_N; i++) {
		static const int order[K_N] = { K_IR, K_POLL, K_POLL_IP, K_CONF };
		size_t n = nlat[k = order[i]];
		if (n == 0) {
			printf("%-24s %6d messages\n", kind_names[k], 0);
			continue;
		}
		qsort(lat[k], n, sizeof *lat[k], dcmp);
		printf("%-24s %6zu messages  median %7.2f ms  p95 %7.2f ms  max %7.2f ms\n",
		    kind_names[k], n, lat[k][n / 2], lat[k][(n * 95) / 100 < n ? (n * 95) / 100 : n - 1],
		    lat[k][n - 1]);
	}
	curl_global_cleanup();
	return ok == ndev ? 0 : 1;
}
