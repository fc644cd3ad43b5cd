/*
 * station.h - the inside of plantca-station, shared by its files and by the
 * tests and fuzz targets that reach its parsers; no other program includes
 * it.
 *
 * plantca-station is the plant side of plantca (README.md "The flow").  One
 * file per job:
 *
 *   main.c             the verb table: usage text, options, dispatch, lock
 *   init.c             verb init: a new station directory
 *   request.c          verb request: CSRs -> a signed request bundle
 *   accept.c           verb accept: a response bundle checked, then installed
 *   verify_firmware.c  verb verify-firmware: a firmware signature checked
 *   conf.c             station.conf read and written, the public key files
 *   layout.c           what goes where in PKI_DIR (flat, opcua)
 *   install.c          the new layout built beside PKI_DIR and switched in
 *   audit.c            the CA's audit checkpoints kept; verb audit-check
 *   certs.c            certificates and CRLs as the station holds them, sets
 *                      of certificates and their look-ups
 *   verify.c           a response's PKI checked: the chain to the station's root
 *   rootnext.c         a root roll: a new root only through NewWithOld, the
 *                      previous root kept until it expires
 *   names.c            the name sanitiser and small grammar helpers
 *   par.c              work spread over the cores (request's CSRs, accept's
 *                      certificates), errors in the serial order
 *   timings.c          what each phase took (--timings, --json)
 *   scan.c             verb scan: targets, the table and --json, the report
 *   scan_net.c         scan's network side: deadlines, TLS handshakes, workers
 *   opcua.c            scan's OPC UA exchange (Hello .. CloseSecureChannel)
 *   ra.c               verb ra-key: the station's CMP key pair and its CSR
 *   serve.c            verb serve: Lightweight CMP over HTTP (libmicrohttpd)
 *   status.c           verb status: trust, sequences, what runs out, what to
 *                      tell the CA officer
 *   keys.c             key rotation: the CA transfer keys accept trusts, the
 *                      switches a response makes (docs/lifecycle.md)
 *   rekey.c            verb rekey: a new station key, sent to the CA
 *   cmp_handle.c       one CMP message judged and answered (no HTTP)
 *   cmp_state.c        CMP transactions on disk, the answers of responses,
 *                      the trust serve needs (manufacturers, plant CAs, RA)
 *
 * Station directory (mode 0700):
 *   station.key      minisign secret key, 0600, created with O_EXCL
 *   station.pub      minisign public key: the CA officer enrolls it
 *   ca-transfer.pub  the CA transfer key: the only key `accept` trusts
 *   root.pem         the plant root certificate
 *   root.prev.pem    after a root roll: the root it replaced, trusted until
 *                    it expires (rootnext.c)
 *   station.conf     segment, next request sequence, last accepted response,
 *                    the key rotation state (keys.c)
 *   station.next.key, station.next.pub  a new station key (rekey) until the
 *                    CA confirms it
 *   lock             held by request and accept (pc_dir_lock)
 *   ra.key           the CMP RA key (Ed25519, minisign format, encrypted
 *                    with the station passphrase, 0600; ra-key makes it)
 *   ra.csr           its PKCS#10 request (profile cmp-ra)
 *   ra.pem           the RA certificate, then its issuing CA (accept)
 *   manufacturers.pem  the IDevID trust anchors the officer accepted for
 *                    this segment (accept; empty: none)
 *   plant.pem        the plant's CA certificates of the last response
 *                    (trust.pem), crls.pem its CRLs: LDevIDs chain to them
 *   audit/           the CA's signed audit checkpoints, SEQ.checkpoint,
 *                    one from each accepted response (audit.c)
 *   cmp/             one file per CMP transaction: TXID.tx (state),
 *                    TXID.msg (the device's signed request), TXID.crt
 *                    (the certificate once delivered); never removed, so
 *                    that a transaction ID is never used twice
 *
 * Errors follow pc.h: every pc_rc function fills a pc_err with "WHAT: WHY"
 * naming the file, member or serial; only main() prints and exits.
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_STATION_H
#define PLANTCA_STATION_H

#include <limits.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "auditev.h"
#include "buf.h"
#include "pc.h"
#include "pkix.h"
#include "scanreport.h"
#include "text.h"
#include "transfer.h"

enum {
	ST_CSR_MAX = 64 * 1024,        /* bytes in one CSR file */
	ST_KEYFILE_MAX = 4096,         /* minisign key files */
	ST_CERT_FILE_MAX = 64 * 1024,  /* DIR/root.pem, --trust, one certificate */
	ST_CONF_MAX = 4096,            /* station.conf */
	ST_CN_MAX = 64,                /* RFC 5280 ub-common-name */
	ST_FILE_STEM_MAX = 64,         /* sanitised output names (before the suffix) */
	ST_CHAIN_DEPTH_MAX = 8,        /* CA certificates above one device certificate */
	ST_EXPIRES_DEFAULT = 30,       /* days a request bundle stays valid */
	ST_EXPIRES_MAX = TR_LIFETIME_MAX_DAYS,   /* the CA refuses longer-lived bundles */
	ST_SERIAL_HEX = 40,            /* member SERIAL.crt: 20-octet serials (RFC 5280 §4.1.2.2) */
	ST_SERIAL_MAX = 21,            /* octets of a serial's magnitude the station reads */
	ST_SAN_MAX = 64,               /* SAN entries in one certificate (the CA's POLICY_SANS_MAX) */
	ST_CLOCK_SKEW = PC_DAY,        /* a CRL's thisUpdate may be this far ahead of our clock */
	ST_EXPIRING_DAYS_MAX = 36500,  /* --expiring DAYS (scan, status): 100 years */
	ST_SAN_TEXT_MAX = 240,         /* SANs as shown in one message */
	ST_OWN_FILE_MAX = 1024 * 1024, /* an existing certificate file that accept would replace */
	ST_THREADS_MAX = 64,           /* --threads, and the most st_threads picks */
	ST_PHASES_MAX = 16,            /* phases one verb times */
};

/* ------------------------------------------------------ the command line */

/* Options after parsing; NULL / 0 / false when not given.  main.c refuses
 * an option the verb does not take, so each verb reads only its own. */
typedef struct st_opts {
	const char *segment, *ca_key, *trust, *pass_file;   /* init (pass_file: request too) */
	const char *media;                                  /* request: -o MEDIA_DIR */
	unsigned expires_days;                              /* request: --expires */
	const char *out, *layout;                           /* accept */
	bool der;                                           /* accept */
	const char *pki, *min_version, *target;             /* verify-firmware */
	const char **crls;                                  /* verify-firmware: --crl ... */
	size_t ncrls;
	const char *listen;                                 /* serve: ADDR:PORT */
	const char *cmp_profile;                            /* serve: --profile for enrollments */
	unsigned check_after, expire_hours, max_conn;       /* serve */
	unsigned timeout;                                   /* serve, scan: --timeout S (0: default) */
	size_t max_request;                                 /* serve: bytes of one request */
	uint64_t kdf_memory, kdf_ops;                       /* init: --kdf-memory (bytes), --kdf-ops; 0: default */
	unsigned threads;                                   /* request, accept: --threads; 0: one per core */
	bool timings;                                       /* request, accept: --timings */
	bool json;                                          /* every verb */
	const char *scan;                                   /* request: --scan REPORT */
	unsigned connect_s, concurrency;                    /* scan (0: the default) */
	int expiring;                                       /* scan: --expiring DAYS, -1: default */
} st_opts;

/* An operand after DIR, with the --profile in force before it (request). */
typedef struct st_operand {
	const char *path;
	const char *profile;           /* NULL: none given before it */
} st_operand;

/* What a verb handler gets: borrowed from argv, valid for the whole run. */
typedef struct st_args {
	const char *dir;               /* the station directory, first operand */
	const st_operand *ops;         /* the operands after DIR, in order */
	size_t nops;
	st_opts o;
} st_args;

/* The verb handlers (one file each).  main.c checked the operand count. */
pc_rc st_init(const st_args *a, pc_err *e) PC_CHECK;
pc_rc st_request(const st_args *a, pc_err *e) PC_CHECK;
pc_rc st_accept(const st_args *a, pc_err *e) PC_CHECK;
pc_rc st_verify_firmware(const st_args *a, pc_err *e) PC_CHECK;
pc_rc st_scan(const st_args *a, pc_err *e) PC_CHECK;
pc_rc st_audit_check(const st_args *a, pc_err *e) PC_CHECK;
pc_rc st_ra_key(const st_args *a, pc_err *e) PC_CHECK;
pc_rc st_serve(const st_args *a, pc_err *e) PC_CHECK;
pc_rc st_status(const st_args *a, pc_err *e) PC_CHECK;
pc_rc st_rekey(const st_args *a, pc_err *e) PC_CHECK;
/* request.c's work with the passphrase read already (rekey), or NULL: asked for. */
pc_rc st_request_with(const st_args *a, const pc_secret *pass, pc_err *e) PC_CHECK;

/* ------------------------------------------------------------- names.c */

bool st_is_alnum(char c);
bool st_has_suffix(const char *s, const char *suf);
/* Reduce arbitrary text to [A-Za-z0-9][A-Za-z0-9._-]{0,max-1} in out
 * (max + 1 bytes): other bytes become '_', leading non-alphanumerics and
 * trailing '.', '_', '-' are dropped, runs of '_' and of '.' collapse.
 * False when nothing is left. */
bool st_sanitise(const char *in, size_t inlen, char *out, size_t max);
/* A decimal without sign or leading spaces, at most 20 digits, < 2^64. */
bool st_u64_parse(const char *s, uint64_t *out);
/* Where a reader stands: its next unread byte (pc_reader_left() of them). */
static inline const uint8_t *st_reader_at(const pc_reader *r)
{
	return r->p + r->off;
}
/* out = DIR/NAME; PC_E_USAGE when longer than PATH_MAX. */
pc_rc st_path_join(char out[PATH_MAX], const char *dir, const char *name, pc_err *e) PC_CHECK;

/* ---------------------------------------------------- par.c, timings.c */

/* Threads for `items` items: `asked` (--threads) or one per online core,
 * at most ST_THREADS_MAX and at most `items`, at least 1. */
unsigned st_threads(unsigned asked, size_t items);
/* One item of a parallel run; must be safe to call from several threads
 * at once for different i.  e is the item's own. */
typedef pc_rc (*st_par_fn)(void *ctx, size_t i, pc_err *e);
/* fn(ctx, i) for i in 0..n-1 on `threads` threads (the caller's among
 * them).  On failure the error of the lowest failing i, exactly what a
 * serial loop would return; items above it may not have run. */
pc_rc st_par_run(size_t n, unsigned threads, st_par_fn fn, void *ctx, pc_err *e) PC_CHECK;

typedef struct st_timings {
	struct { const char *name; double ms; } phase[ST_PHASES_MAX];
	size_t n;
	double start, last;            /* ms, CLOCK_MONOTONIC */
} st_timings;

void st_timings_start(st_timings *t);
/* The phase that ends now (since the last mark or the start); name static. */
void st_timings_mark(st_timings *t, const char *phase);
/* "timings":{"threads":T,"NAME_ms":...,"total_ms":...,"peak_rss_kib":...} */
void st_timings_json(const st_timings *t, unsigned threads, FILE *f);
/* One line: "timings (T threads): NAME X ms, ... total X ms, peak RSS N KiB". */
void st_timings_text(const st_timings *t, unsigned threads, FILE *f);

/* -------------------------------------------------------------- conf.c */

typedef struct st_conf {
	char segment[TR_SEGMENT_MAX + 1];
	uint64_t next_request;         /* sequence of the next request bundle, 1 .. 2^64-2 */
	uint64_t last_response;        /* last accepted response sequence, 0: none */
	char last_bundle[TR_NAME_MAX + 1];   /* informational, "" if none */
	/* key rotation (docs/lifecycle.md): the CA transfer key announced and
	 * held beside ca-transfer.pub until a response signed by it arrives;
	 * the one it replaced, refused by name from then on; the station's own
	 * new key (station.next.key) until a response confirms it */
	bool has_transfer_next, has_transfer_replaced;
	tr_pubkey transfer_next, transfer_replaced;
	char station_next[17];         /* key id, "" if none */
} st_conf;

/* Parse station.conf from p[0..len) (untrusted: the file lives on a plant
 * PC).  Lines "key: value" (segment, next-request-sequence,
 * last-response-sequence, last-response-bundle), each key once, the first
 * three required; '#' comments and empty lines.  A refusal is PC_E_INPUT
 * (PC_E_LIMIT over ST_CONF_MAX) with "PATH:LINE: WHY". */
pc_rc st_conf_parse(const uint8_t *p, size_t len, const char *path, st_conf *c, pc_err *e) PC_CHECK;
/* st_conf_parse of the file at path. */
pc_rc st_conf_read(const char *path, st_conf *c, pc_err *e) PC_CHECK;
/* DIR/station.conf; PC_E_NOTFOUND when DIR is not a station directory. */
pc_rc st_conf_load(const char *dir, st_conf *c, pc_err *e) PC_CHECK;
/* The text st_conf_parse reads back to *c; check pc_buf_ok(b). */
void st_conf_format(const st_conf *c, pc_buf *b);
/* Write DIR/station.conf atomically; create: it must not exist yet. */
pc_rc st_conf_save(const char *dir, const st_conf *c, bool create, pc_err *e) PC_CHECK;
/* ---------------------------------------------------------- keys.c */

/* The keys accept trusts for a response: ca-transfer.pub and the
 * announced next key, never the replaced one (which is given so that a
 * bundle it signed is refused by name). */
typedef struct st_transfer_keys {
	tr_pubkey v[3];
	size_t n;
	int current, next, replaced;   /* index into v, -1: none */
} st_transfer_keys;
pc_rc st_transfer_keys_load(const char *dir, const st_conf *c, st_transfer_keys *k,
    pc_err *e) PC_CHECK;
/* What a response does to the keys, judged right after its signature
 * and before anything else: a bundle signed by the replaced key is
 * refused by name (PC_E_SIGNATURE); an announced transfer key must be
 * endorsed by the key that signed the bundle; a bundle signed by the next
 * key switches to it; station-keys naming station_next confirms the
 * station's rekey. */
typedef struct st_keys_plan {
	bool transfer_announce;        /* the bundle endorses transfer_new */
	tr_pubkey transfer_new;
	bool transfer_switch;          /* signed by the next key: it becomes ca-transfer.pub */
	bool station_switch;           /* station.next.key becomes station.key */
} st_keys_plan;
pc_rc st_keys_check(const st_transfer_keys *k, const tr_bundle *b, const st_conf *c,
    st_keys_plan *p, pc_err *e) PC_CHECK;
/* After accept's layout switch: for a transfer switch the replaced key
 * recorded in station.conf first, then ca-transfer.pub rewritten; the
 * station key files renamed; *c updated for the caller's save with the
 * sequence. */
pc_rc st_keys_apply(const char *dir, const st_transfer_keys *k, const st_keys_plan *p,
    st_conf *c, pc_err *e) PC_CHECK;
/* Finish a station key switch a crash interrupted (request, rekey, accept). */
pc_rc st_keys_settle(const char *dir, st_conf *c, pc_err *e) PC_CHECK;

/* DIR/NAME, a minisign public key file (station.pub, ca-transfer.pub). */
pc_rc st_pubkey_load(const char *dir, const char *name, tr_pubkey *k, pc_err *e) PC_CHECK;
/* SHA-256 of the Ed25519 SubjectPublicKeyInfo holding the CA transfer key:
 * what plantca init prints as "transfer SPKI SHA-256". */
void st_transfer_fingerprint(const tr_pubkey *k, char out[PC_FINGERPRINT_MAX]);

/* ------------------------------------------------------------- certs.c */

/* One certificate as the station sees it.  The pointers into der stay valid
 * until st_cert_free(). */
typedef struct st_cert {
	uint8_t *der;                  /* owned */
	size_t len;
	const uint8_t *issuer, *subject;   /* whole Name TLVs, into der */
	size_t issuer_len, subject_len;
	char serial[2 * ST_SERIAL_MAX + 1];   /* lowercase hex of the INTEGER's magnitude */
	char cn[ST_CN_MAX + 1];        /* CN, controls as '?'; "" if none or too long */
	bool is_ca, self_signed;
	time_t not_before;
	/* the device's identity (RFC 5280 §4.2.1.6; for OPC UA the URI entry
	 * is the ApplicationUri, OPC 10000-6 §6.2.2): whole GeneralName TLVs,
	 * into der, in certificate order */
	const uint8_t *san[ST_SAN_MAX];
	size_t san_len[ST_SAN_MAX];
	size_t nsan;
	const char *from;              /* the file it came in (static), for messages; NULL: a member */
	pkix_cert pc;                  /* the PKIX layer's view, into der */
} st_cert;

void st_cert_free(st_cert *c);
/* One DER certificate (copied).  Refusals: PC_E_INPUT ("WHAT: not a DER
 * X.509 certificate", "WHAT: certificate does not parse"), PC_E_LIMIT
 * (more than ST_SAN_MAX SANs); *c is then empty. */
pc_rc st_cert_parse(const uint8_t *der, size_t len, const char *what, st_cert *c, pc_err *e) PC_CHECK;
/* Exactly one PEM CERTIFICATE block, or DER (a bundle's SERIAL.crt). */
pc_rc st_cert_load(const uint8_t *p, size_t len, const char *what, st_cert *c, pc_err *e) PC_CHECK;
/* The first certificate of a file the station wrote before (PEM with the
 * chain after it, or DER): whose certificate a file holds. */
pc_rc st_cert_load_first(const uint8_t *p, size_t len, const char *what, st_cert *c,
    pc_err *e) PC_CHECK;
/* The station's trusted root (DIR/root.pem, init --trust): one PEM
 * certificate, self-signed, a CA. */
pc_rc st_root_load(const char *path, st_cert *root, pc_err *e) PC_CHECK;

typedef struct st_certs {
	st_cert *v;
	size_t n, cap;
	const char *what;              /* the file they came in, for messages */
} st_certs;

void st_certs_free(st_certs *s);
/* Append *c (ownership moves; on failure *c is freed). */
pc_rc st_certs_push(st_certs *s, st_cert *c, pc_err *e) PC_CHECK;
/* Every CERTIFICATE block of a PEM file (chain.pem, trust.pem). */
pc_rc st_certs_add_pem(st_certs *s, const uint8_t *p, size_t len, pc_err *e) PC_CHECK;
/* One DER certificate (trust.p7b's). */
pc_rc st_certs_add_der(st_certs *s, const uint8_t *der, size_t len, pc_err *e) PC_CHECK;
const st_cert *st_certs_find_der(const st_certs *s, const st_cert *c);
/* The CA of s whose subject is c's issuer (RFC 5280 §6.1 name chaining). */
const st_cert *st_certs_find_issuer(const st_certs *s, const st_cert *c);
/* The certificate of s with subject name[0..len), the one whose subject key
 * identifier is kid when several have that name (a CA's key generations). */
const st_cert *st_certs_find_subject(const st_certs *s, const uint8_t *name, size_t len,
    const uint8_t *kid, size_t kid_len);

typedef struct st_crl {
	char stem[ST_FILE_STEM_MAX + 1];   /* NAME of NAME.crl (set by accept) */
	char member[TR_NAME_MAX + 1];  /* NAME.crl as in the bundle, for messages */
	uint8_t *der;                  /* owned */
	size_t len;
	const uint8_t *issuer;         /* whole Name TLV, into der */
	size_t issuer_len;
	time_t next_update;            /* 0: none */
	pkix_crl pc;                   /* the PKIX layer's view, into der */
} st_crl;

/* A CRL in PEM (one X509 CRL block) or DER: its shape, issuer and
 * nextUpdate.  Refusal: PC_E_BUNDLE "WHAT: not an X.509 CRL" (or the PEM
 * reader's error); c->der is then NULL. */
pc_rc st_crl_parse(const uint8_t *p, size_t len, const char *what, st_crl *c, pc_err *e) PC_CHECK;
void st_crl_free(st_crl *c);

/* ------------------------------------------------------------ verify.c */

/* What a response delivers, as parsed, before anything is written. */
typedef struct st_pki {
	st_cert root;                  /* the station's own root (DIR/root.pem) */
	st_cert prev;                  /* DIR/root.prev.pem, trusted until it expires (der
	                                * NULL: none, or expired: prev_expired) */
	bool prev_expired;
	size_t nroots;                 /* set by st_pki_verify: cas[0..nroots) are the
	                                * station's roots (root, prev) */
	size_t next_i;                 /* set by st_pki_verify: the index in cas of a new
	                                * root reached through NewWithOld, 0: none */
	st_certs chain, trust, p7;     /* chain.pem, trust.pem, trust.p7b */
	bool have_p7b;                 /* trust.p7b was in the bundle */
	st_certs devices;              /* SERIAL.crt members */
	st_crl *crls;                  /* NAME.crl members, ncrls of them */
	size_t ncrls;
	/* set by st_pki_verify: the root, then the CAs of chain, trust and p7
	 * without duplicates; borrowed entries, only the array is owned */
	st_certs cas;
	unsigned threads;              /* for the device certificates' chains; 0: 1 */
} st_pki;

void st_pki_free(st_pki *p);
/* The checks before anything is written (RFC 5280 §6.1): every CA of
 * chain/trust/p7 a CA, the only self-signed one the station's root, each
 * chained by name and signature from the root down; every device
 * certificate issued and signed by one of them, none twice; every CRL
 * issued by one of them, not past its nextUpdate, signed by it.
 * Refusals name the bundle (PC_E_BUNDLE, PC_E_EXPIRED, PC_E_CRYPTO). */
pc_rc st_pki_verify(st_pki *p, const char *bundle, pc_err *e) PC_CHECK;

/* ---------------------------------------------------------- rootnext.c */

#define ST_ROOT_PREV "root.prev.pem"
/* DIR/root.prev.pem into p->prev if it exists and has not expired. */
pc_rc st_root_prev_load(const char *dir, st_pki *p, pc_err *e) PC_CHECK;
/* Is self-signed c (member `member` of `bundle`, not the station's root)
 * a new root reached by key continuity: the response holds a CA
 * certificate of c's name and key signed by the station's root itself
 * (NewWithOld), and c is a valid CA whose self-signature verifies?
 * PC_E_BUNDLE "...: new root '...' (SHA-256 ...) is not cross-certified by
 * the trusted root '...' (DIR/root.pem)..." otherwise. */
pc_rc st_root_continuity(const st_pki *a, const st_cert *c, const char *bundle,
    const char *member, pc_err *e) PC_CHECK;
/* After a response is installed: a new root becomes DIR/root.pem and the
 * old one DIR/root.prev.pem; an expired root.prev.pem is removed. */
pc_rc st_root_rotate(const char *dir, const st_pki *a, pc_err *e) PC_CHECK;

/* After st_pki_verify: the CA (of p->cas) that issued CRL c, or NULL. */
const st_cert *st_pki_crl_issuer(const st_pki *p, const st_crl *c);
/* After st_pki_verify: does CA c issue other CAs of the set (or is it the
 * root)?  Then it is an issuer, else it issues device certificates only. */
bool st_pki_ca_issues_cas(const st_pki *p, const st_cert *c);

/* ------------------------------------------------------------ layout.c */

/* One file accept will write, relative to PKI_DIR. */
typedef struct st_out {
	char *rel;                     /* owned; a name, not PATH_MAX bytes: 20,000 of them */
	uint8_t *data;                 /* owned */
	size_t len;
	const st_cert *cert;           /* a device certificate file: whose; else NULL */
} st_out;

typedef struct st_outs {
	st_out *v;
	size_t n, cap;
} st_outs;

void st_outs_free(st_outs *s);
/* Queue one output file; takes b's bytes (b is reset). */
pc_rc st_outs_add(st_outs *s, const char *rel, pc_buf *b, pc_err *e) PC_CHECK;
/* After the last st_outs_add: two outputs of one name are refused
 * (PC_E_BUNDLE "BUNDLE: two outputs named REL"), one would be lost. */
pc_rc st_outs_unique(const st_outs *s, const char *bundle, pc_err *e) PC_CHECK;
/* The files of the flat or OPC UA layout (README, DESIGN "The OPC UA
 * layout") for a verified p; der: DER where a file holds one object. */
pc_rc st_layout_plan(const st_pki *p, bool opcua, bool der, const char *bundle, st_outs *outs,
    pc_err *e) PC_CHECK;
/* Refuses (PC_E_EXISTS) when a device certificate file in pki_dir would be
 * replaced by a certificate of another identity (subjectAltName set). */
pc_rc st_layout_check_replacements(const char *pki_dir, const st_outs *outs, const char *bundle,
    pc_err *e) PC_CHECK;
/* ----------------------------------------------------------- install.c */

enum {
	ST_LAYOUT_FILES_MAX = 100000,              /* files listed in PKI_DIR/.plantca-layout */
	ST_LAYOUT_LIST_MAX = 16 * 1024 * 1024,     /* its bytes */
};

/* What a file of the layout is: which bundles supersede it. */
typedef enum st_layout_kind {
	ST_KIND_CA,                    /* chain/trust files, trusted/ and issuers/ certs */
	ST_KIND_CRL,
	ST_KIND_DEVICE,
	ST_KIND_FIRMWARE,
	ST_KIND_N
} st_layout_kind;

/* The paths of PKI_DIR/.plantca-layout, sorted. */
typedef struct st_layout_list {
	char **v;
	size_t n, cap;
} st_layout_list;

/* Is rel a path a layout writes?  Then *kind says what it holds. */
bool st_layout_kind_of(const char *rel, st_layout_kind *kind);
/* PKI_DIR/.plantca-layout from p[0..len) (untrusted: PKI_DIR is shared
 * with the applications): one path of the layout per line, each once;
 * PC_E_INPUT "PATH:LINE: WHY", PC_E_LIMIT over the caps. */
pc_rc st_layout_list_parse(const uint8_t *p, size_t len, const char *path, st_layout_list *l,
    pc_err *e) PC_CHECK;
void st_layout_list_free(st_layout_list *l);

typedef struct st_install {
	char pki[PATH_MAX], parent[PATH_MAX], stage[PATH_MAX];
	bool existed;                  /* PKI_DIR was there before */
	bool staged;                   /* a tree sits at stage that cleanup removes */
	bool switched;
	size_t nremoved;               /* superseded files not carried over */
} st_install;

/* Build the new layout beside pki: the old tree carried over (less the
 * listed files of a kind that replaces[] says this bundle supersedes),
 * outs written, everything synced.  On failure the stage is gone and
 * pki untouched. */
pc_rc st_install_stage(const char *pki, const st_outs *outs, bool opcua,
    const bool replaces[ST_KIND_N], st_install *in, pc_err *e) PC_CHECK;
/* Exchange the stage with pki in one rename, then sync the parent. */
pc_rc st_install_switch(st_install *in, pc_err *e) PC_CHECK;
/* Remove what is left at the stage's name (the old tree); a failure is a
 * warning: the next accept removes it. */
void st_install_cleanup(st_install *in);

/* ------------------------------------------------------------- audit.c */

enum { ST_TRAIL_MAX = 512 * 1024 * 1024 };   /* bytes of a CA audit trail file */

/* The checkpoints kept in DIR/audit/, sorted by sequence. */
typedef struct st_kept {
	tr_checkpoint *v;
	size_t n, cap;
} st_kept;

/* Every DIR/audit/ *.checkpoint, parsed and signature-checked (a damaged
 * one is an error naming it); none: empty. */
pc_rc st_kept_load(const char *dir, st_kept *k, pc_err *e) PC_CHECK;
void st_kept_free(st_kept *k);
/* A bundle's audit-checkpoint.txt: parsed, its signature checked, its key
 * the one of the checkpoints kept (PC_E_SIGNATURE otherwise). */
pc_rc st_checkpoint_check(const char *dir, const uint8_t *p, size_t len, const char *what,
    tr_checkpoint *cp, pc_err *e) PC_CHECK;
/* Keep cp in DIR/audit/ (after the bundle was installed); an older one or
 * another head for a kept sequence is kept too, with a warning. */
pc_rc st_checkpoint_keep(const char *dir, const tr_checkpoint *cp, const char *bundle,
    pc_err *e) PC_CHECK;

/* Called for each event of a trail, hash recomputed and chained. */
typedef pc_rc (*st_trail_fn)(void *ctx, const pc_audit_event *ev, pc_err *e);
/* A CA audit trail (common/auditev.h PC_AUDIT_TRAIL_MAGIC) from p[0..len)
 * (untrusted): PC_E_INPUT "PATH:LINE: WHY"; fn's error stops it. */
pc_rc st_trail_parse(const uint8_t *p, size_t len, const char *path, st_trail_fn fn, void *ctx,
    pc_err *e) PC_CHECK;

/* The SANs of c as one line of text for messages, cut at ST_SAN_TEXT_MAX. */
void st_san_text(const st_cert *c, char out[ST_SAN_TEXT_MAX + 1]);
/* The file name a certificate gets in own/ and the CA folders: its CN
 * sanitised, else its serial. */
void st_cert_stem(const st_cert *c, char out[ST_FILE_STEM_MAX + 1]);

/* ------------------------------------------------------------- opcua.c */

/* Byte I/O for a protocol exchange: read exactly n bytes, write all n.
 * The scanner's implementation holds the deadline (scan_net.c); the fuzz
 * target and the bad-input table read from memory. */
typedef struct st_io {
	pc_rc (*read)(void *ctx, uint8_t *p, size_t n, pc_err *e);
	pc_rc (*write)(void *ctx, const uint8_t *p, size_t n, pc_err *e);
	void *ctx;
} st_io;

enum {
	ST_UA_CHUNK_MAX = 65536,               /* our Hello's ReceiveBufferSize */
	ST_UA_MESSAGE_MAX = 4 * 1024 * 1024,   /* our Hello's MaxMessageSize */
	ST_UA_CHUNKS_MAX = 64,                 /* our Hello's MaxChunkCount */
	ST_UA_STRING_MAX = 4096,               /* a String we read or skip */
	ST_UA_BYTES_MAX = 256 * 1024,          /* a ByteString (a certificate chain) */
	ST_UA_ARRAY_MAX = 1024,                /* elements of an array */
	ST_UA_DIAG_DEPTH = 4,                  /* nested DiagnosticInfos */
};

/* One EndpointDescription as the server sent it; cert points into the
 * result's msg (the serverCertificate ByteString: DER, maybe a chain). */
typedef struct st_ua_desc {
	uint32_t mode;
	uint8_t policy[SR_TEXT_MAX];
	size_t policy_len;
	uint8_t app_uri[SR_TEXT_MAX];
	size_t app_uri_len;
	const uint8_t *cert;
	size_t cert_len;
} st_ua_desc;

typedef struct st_ua_result {
	uint8_t *msg;                  /* the GetEndpoints response body, owned */
	size_t len;
	st_ua_desc desc[SR_UA_MAX];
	size_t n;
	bool more;                     /* the server listed more than SR_UA_MAX */
} st_ua_result;

/* Hello, OpenSecureChannel (SecurityPolicy None, mode None, no
 * certificate), GetEndpoints(url), CloseSecureChannel over io; now is
 * the request timestamp (OPC UA DateTime).  Refusals of the server's
 * bytes are PC_E_INPUT or PC_E_LIMIT with the reason (the caller names
 * the endpoint); the io's own errors pass through. */
pc_rc st_ua_probe(const st_io *io, const char *url, int64_t now, uint32_t timeout_ms,
    st_ua_result *out, pc_err *e) PC_CHECK;
/* The body of a GetEndpoints response (type id on): for the probe and
 * the tests. */
pc_rc st_ua_parse_endpoints(const uint8_t *msg, size_t len, st_ua_result *out,
    pc_err *e) PC_CHECK;
void st_ua_result_free(st_ua_result *r);

/* ---------------------------------------------------------- scan_net.c */

enum {
	ST_SCAN_CONCURRENCY_MAX = 256,  /* --concurrency */
	ST_SCAN_CONCURRENCY = 16,       /* its default */
	ST_SCAN_TIMEOUT_S = 10,         /* --timeout default: one endpoint's whole exchange */
	ST_SCAN_CONNECT_S = 3,          /* --connect-timeout default */
	ST_SCAN_TIMEOUT_MAX_S = 300,
	ST_SCAN_PROGRESS_S = 5,         /* seconds between progress lines on stderr */
	ST_TLS_CERTS_MAX = 128 * 1024,  /* bytes of a TLS Certificate message libssl accepts */
};

typedef struct st_scan_cfg {
	unsigned timeout_ms, connect_ms, concurrency;
	bool progress;                 /* progress lines on stderr */
} st_scan_cfg;

/* One network endpoint to probe, and what came back. */
typedef struct st_scan_job {
	sr_kind kind;                  /* SR_TLS, SR_MQTTS, SR_OPCUA */
	char host[SR_HOST_MAX + 1];    /* as given, or the address of a range */
	uint16_t port;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	bool resolved, sni;            /* sni: host is a name (sent in the ClientHello) */
	sr_result result;
	char reason[SR_REASON_MAX + 1];
	char tls_version[16];
	uint8_t *certs[SR_CHAIN_MAX];  /* DER, owned (TLS kinds) */
	size_t cert_len[SR_CHAIN_MAX];
	size_t ncerts;
	st_ua_result *ua;              /* opc.tcp, owned */
} st_scan_job;

/* Probe every job, at most cfg->concurrency at a time. */
pc_rc st_scan_run(st_scan_job *jobs, size_t n, const st_scan_cfg *cfg, pc_err *e) PC_CHECK;
void st_scan_job_free(st_scan_job *j);
/* ----------------------------------------------- CMP (cmp_state.c etc.) */

enum {
	ST_TXID_MAX = 32,              /* transactionID bytes we accept (RFC 9483: 128 bits) */
	ST_TX_FILE_MAX = 8192,         /* one TXID.tx */
	ST_CMP_REQUEST_DEFAULT = 64 * 1024,   /* serve --max-request default */
	ST_CMP_REQUEST_MAX = 256 * 1024,      /* PKIX_CMP_MSG_MAX */
	ST_CHECK_AFTER_DEFAULT = 60,   /* seconds a polling device waits */
	ST_EXPIRE_DEFAULT = 24 * 14,   /* hours an enrollment may stay open */
	ST_TIMEOUT_DEFAULT = 10,       /* seconds a connection may idle */
	ST_CONN_DEFAULT = 64,          /* connections at once */
	ST_CONN_MAX = 1024,            /* serve --max-connections */
	ST_CMP_REQUEST_MIN = 1024,     /* serve --max-request, smallest */
	ST_SERVE_TIMEOUT_MAX_S = 3600, /* serve --timeout */
	ST_CHECK_AFTER_MAX = PC_DAY,   /* serve --check-after, seconds */
	ST_EXPIRE_MAX = 24 * 366,      /* serve --expire, hours */
	ST_TX_TEXT_MAX = 400,          /* a reason or device name as stored */
	ST_TRUST_MAX = 1024 * 1024,    /* manufacturers.pem, plant.pem, crls.pem */
};

typedef enum st_tx_state {
	ST_TX_QUEUED = 1,              /* accepted, waits for the next request bundle */
	ST_TX_SENT,                    /* in a request bundle (tx.bundle), no answer yet */
	ST_TX_ANSWERED,                /* the certificate came back (TXID.crt) */
	ST_TX_DELIVERED,               /* sent to the device, certConf awaited */
	ST_TX_CONFIRMED,               /* certConf received: done */
	ST_TX_REJECTED,                /* the CA refused it (tx.reason) */
	ST_TX_CLOSED,                  /* rejection delivered, device error, or rr answered */
	ST_TX_EXPIRED,                 /* no answer in time (serve --expire) */
	ST_TX_CERT_REJECTED,           /* the device refused the certificate in its certConf
	                                * (TXID.conf): reported in the next request bundle */
	ST_TX_REPORTED,                /* that refusal is in request bundle tx.bundle: done */
} st_tx_state;

/* One CMP transaction as kept in DIR/cmp/TXID.tx. */
typedef struct st_tx {
	char txid[2 * ST_TXID_MAX + 1];            /* lower-case hex */
	int body;                                  /* pkix_cmp_body of the request */
	st_tx_state state;
	uint64_t created, updated;
	long cert_req_id;
	char profile[TR_PROFILE_MAX + 1];
	char bundle[TR_NAME_MAX + 1];              /* the request bundle it went in; "" */
	char serial[2 * ST_SERIAL_MAX + 1];        /* issued certificate; "" */
	char signer[65];                           /* SHA-256 hex of the protection cert */
	char reason[ST_TX_TEXT_MAX + 1];           /* escaped */
	char device[ST_TX_TEXT_MAX + 1];           /* escaped: subject, hardware serial */
	bool implicit_confirm;                     /* the request asked for it (RFC 4210 §5.1.1.1) */
} st_tx;

const char *st_tx_state_name(st_tx_state s);
/* TXID.tx text; parse is strict (fuzz_station_tx): "key: value" lines,
 * each known key once; PC_E_INPUT "WHAT:LINE: WHY". */
void st_tx_format(const st_tx *t, pc_buf *b);
pc_rc st_tx_parse(const uint8_t *p, size_t len, const char *what, st_tx *t, pc_err *e) PC_CHECK;
/* DIR/cmp/TXID.tx (PC_E_NOTFOUND when there is none) / written atomically. */
pc_rc st_tx_load(const char *dir, const char *txid, st_tx *t, pc_err *e) PC_CHECK;
pc_rc st_tx_save(const char *dir, const st_tx *t, pc_err *e) PC_CHECK;
/* DIR/cmp/TXID.EXT, written atomically (0600) / read (cap bytes). */
pc_rc st_tx_file_write(const char *dir, const char *txid, const char *ext, const uint8_t *p,
    size_t len, pc_err *e) PC_CHECK;
pc_rc st_tx_file_read(const char *dir, const char *txid, const char *ext, size_t cap,
    uint8_t **p, size_t *len, pc_err *e) PC_CHECK;
/* Many files of DIR/cmp at once, durably, for request and accept: each
 * written under TXID.EXT.new, one sync of the file system, then each
 * renamed over TXID.EXT and one fsync of DIR/cmp (two syncs in all, not
 * two per file).  A failure part-way leaves every file either as it was
 * or as new, each whole. */
typedef struct st_tx_file {
	const char *txid, *ext;
	const uint8_t *p; size_t len;
} st_tx_file;
pc_rc st_tx_files_write(const char *dir, const st_tx_file *v, size_t n, pc_err *e) PC_CHECK;
/* st_tx_save for n transactions, through st_tx_files_write. */
pc_rc st_tx_save_many(const char *dir, const st_tx *t, size_t n, pc_err *e) PC_CHECK;
/* Every transaction in DIR/cmp, in txid order (caller frees *v). */
pc_rc st_tx_list(const char *dir, st_tx **v, size_t *n, pc_err *e) PC_CHECK;
/* DIR/cmp.lock, held (flock) while transactions change: serve for each
 * message, request and accept while they move transactions on. */
pc_rc st_tx_lock_open(const char *dir, int *fd, pc_err *e) PC_CHECK;
/* st_tx_lock_open, then the lock taken (blocking). */
pc_rc st_tx_lock(const char *dir, int *fd, pc_err *e) PC_CHECK;
void st_tx_lock_close(int *fd);

/* What a response says about one transaction: member cmp-TXID.answer,
 * "key: value" lines: transaction, status (issued|rejected|revoked|
 * refused), serial (issued), reason (rejected, refused).  Strict
 * (fuzz_station_tx); PC_E_BUNDLE naming the member. */
typedef struct st_answer {
	char txid[2 * ST_TXID_MAX + 1];
	char status[16];
	char serial[2 * ST_SERIAL_MAX + 1];
	char reason[ST_TX_TEXT_MAX + 1];
} st_answer;
pc_rc st_answer_parse(const uint8_t *p, size_t len, const char *what, st_answer *a,
    pc_err *e) PC_CHECK;
/* Is NAME "cmp-TXID.answer"?  txid gets TXID. */
bool st_answer_member(const char *name, char txid[2 * ST_TXID_MAX + 1]);
/* What serve (or a test, in-process) answers CMP messages with
 * (cmp_handle.c).  st_cmp_open loads ra.key (with the passphrase),
 * ra.pem and station.conf; the trust files are read again for every
 * message, so that an accept while serve runs takes effect at once. */
typedef struct st_cmp_ctx {
	const char *dir;
	char segment[TR_SEGMENT_MAX + 1];
	const char *profile;           /* ir/cr/p10cr ask for it (kur: the CA keeps the old one's) */
	unsigned check_after;          /* pollRep checkAfter, seconds */
	uint64_t expire;               /* seconds an enrollment may wait for the CA */
	tr_seckey ra;                  /* the RA key (sodium memory) */
	st_certs ra_certs;             /* ra.pem: the RA certificate, then its CA(s) */
	time_t (*clock)(void);         /* time source (tests); NULL: time() */
} st_cmp_ctx;

/* One line of serve's log (no secrets: names, ids and reasons, escaped). */
typedef struct st_cmp_log {
	char body[16];                 /* "ir", "pollReq", "-" when unreadable */
	char reply[16];
	char txid[2 * ST_TXID_MAX + 1];
	char outcome[24];              /* "waiting", "delivered", "refused", ... */
	char fail[24];                 /* PKIFailureInfo name or "none" */
	char msg[PC_ERR_MSG_MAX];
} st_cmp_log;

pc_rc st_cmp_open(st_cmp_ctx *c, const char *dir, const pc_secret *pass, pc_err *e) PC_CHECK;
void st_cmp_close(st_cmp_ctx *c);
/* Judge one request and build the reply (a signed PKIMessage: a CMP
 * error where the request is refused).  PC_OK whenever a reply is in
 * `out`; an error only when not even an error reply could be made. */
pc_rc st_cmp_handle(st_cmp_ctx *c, const uint8_t *req, size_t len, pc_buf *out,
    st_cmp_log *log, pc_err *e) PC_CHECK;
/* The reply to a request that was not read at all (too large, cut off):
 * an error message with failInfo `fail` and no transaction. */
pc_rc st_cmp_refuse(st_cmp_ctx *c, int fail, const char *text, pc_buf *out,
    pc_err *e) PC_CHECK;

/* Record the answers of an accepted response (after every check passed):
 * each transaction named moves to answered (its certificate, from
 * `devices`, written to TXID.crt), rejected or closed. */
pc_rc st_answers_apply(const char *dir, const st_answer *v, size_t n, const st_certs *devices,
    pc_err *e) PC_CHECK;

#endif
