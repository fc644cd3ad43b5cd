/*
 * scanreport.h - the scan report: what `plantca-station scan` saw on a
 * plant segment, in the one format that the station writes (-o REPORT),
 * a request bundle carries to the CA (docs/bundle-format.md, `scan:`
 * line) and the CA reads back (plantca import, plantca discovered); and
 * the findings both sides derive from it (docs/discovery.md).
 *
 * The report holds observations only: the certificates each endpoint
 * presented (DER, each distinct certificate once), the TLS version, the
 * OPC UA endpoint descriptions (security mode, policy, ApplicationUri).
 * Findings (self-signed, expired, weak, not the plant's, ...) are not in
 * it: each reader derives them with sr_judge() against its own trust (the
 * station's root; the CA's own certificates), at its own clock.
 *
 * Text, one "key: value" line each, LF line ends, printable ASCII only:
 *
 *   plantca-scan: 1
 *   segment: line3
 *   started: 2026-12-01T10:00:00Z
 *   finished: 2026-12-01T10:00:07Z
 *   cert: 0 MIIB...            (index, canonical base64 of one DER SEQUENCE)
 *   endpoint: tls://127.0.0.1:8443
 *   result: ok
 *   tls: TLSv1.3
 *   chain: 0 1                 (certificate indexes, the leaf first)
 *   endpoint: opc.tcp://127.0.0.1:4840
 *   result: ok
 *   ua: None 2 http://opcfoundation.org/UA/SecurityPolicy%23None urn:x
 *   endpoint: dir:/srv/pki/own/certs/app.der
 *   result: ok
 *   chain: 3
 *
 * sr_parse() is strict: header lines in that order, certificates numbered
 * 0, 1, ... without a duplicate, each endpoint once, its lines in the
 * order endpoint, result, tls (TLS kinds), chain, ua (OPC UA), values in
 * their exact grammar (below), nothing else.  Free text that came from a
 * device (OPC UA URIs, file names) is a TOKEN: bytes other than '!'..'~'
 * and '%' itself are written %XX (upper-case hex) and only those, so each
 * value has one spelling and decodes to the exact bytes seen.  A reason
 * (after result) is printable ASCII made by the station.
 *
 * Errors: PC_E_INPUT "WHAT:LINE: WHY", PC_E_LIMIT over the caps below.
 * Ownership: an sr_report owns everything it points to (sr_report_free).
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_SCANREPORT_H
#define PLANTCA_SCANREPORT_H

#include <time.h>

#include "buf.h"
#include "pkix.h"
#include "text.h"

#define SR_NONE ((size_t)-1)

enum {
	SR_VERSION = 1,
	SR_REPORT_MAX = 32 * 1024 * 1024,   /* bytes in one report */
	SR_CERT_MAX = PKIX_CERT_MAX,        /* bytes of one certificate kept */
	SR_CERTS_MAX = 65536,               /* distinct certificates in a report */
	SR_ENDPOINTS_MAX = 65536,           /* endpoints in a report */
	SR_CHAIN_MAX = 16,                  /* certificates kept per endpoint */
	SR_UA_MAX = 64,                     /* OPC UA endpoint descriptions kept per server */
	SR_HOST_MAX = 253,                  /* a DNS name (RFC 1035) or an address */
	SR_PATH_MAX = 4096,                 /* a dir: file path */
	SR_TEXT_MAX = 1024,                 /* an OPC UA URI, decoded */
	SR_REASON_MAX = 300,                /* why an endpoint did not answer */
	SR_SEGMENT_MAX = 63,                /* transfer.h TR_SEGMENT_MAX */
};

typedef enum sr_kind { SR_TLS = 1, SR_MQTTS, SR_OPCUA, SR_DIR } sr_kind;
typedef enum sr_result {
	SR_OK = 1,          /* answered: certificates recorded */
	SR_TIMEOUT,         /* connected, then no complete answer within the time allowed */
	SR_REFUSED,         /* nothing listens (connection refused) */
	SR_UNREACHABLE,     /* no connection within the connect timeout, no route */
	SR_ERROR,           /* answered, but not with the protocol (the reason says how) */
} sr_result;

/* OPC UA MessageSecurityMode (OPC 10000-4 §7.20). */
enum { SR_MODE_INVALID = 0, SR_MODE_NONE = 1, SR_MODE_SIGN = 2, SR_MODE_SIGN_ENCRYPT = 3 };

typedef struct sr_cert {
	uint8_t *der;                       /* owned: one DER SEQUENCE, <= SR_CERT_MAX */
	size_t len;
	uint8_t hash[32];                   /* SHA-256 of der */
} sr_cert;

/* One OPC UA EndpointDescription (OPC 10000-4 §7.14). */
typedef struct sr_ua {
	uint32_t mode;                      /* SR_MODE_*, or another value as sent */
	size_t cert;                        /* its serverCertificate (first of the chain); SR_NONE */
	uint8_t policy[SR_TEXT_MAX];        /* securityPolicyUri, as sent */
	size_t policy_len;
	uint8_t app_uri[SR_TEXT_MAX];       /* server.applicationUri, as sent */
	size_t app_uri_len;
} sr_ua;

typedef struct sr_endpoint {
	sr_kind kind;
	char host[SR_HOST_MAX + 1];         /* network kinds: name or address, no brackets */
	uint16_t port;
	char *path;                         /* SR_DIR: the file, owned; NULL otherwise */
	sr_result result;
	char reason[SR_REASON_MAX + 1];     /* "" for SR_OK */
	char tls_version[16];               /* "TLSv1.3"; "" when not TLS or not known */
	size_t chain[SR_CHAIN_MAX];         /* certificate indexes, the leaf first */
	size_t nchain;
	sr_ua *ua;                          /* owned, nua of them */
	size_t nua;
} sr_endpoint;

typedef struct sr_report {
	char segment[SR_SEGMENT_MAX + 1];
	time_t started, finished;
	sr_cert *certs;
	size_t ncerts, certs_cap;
	sr_endpoint *eps;
	size_t neps, eps_cap;
	uint32_t *index;                    /* hash index of certs (sr_cert_add) */
	size_t index_cap;
} sr_report;

void sr_report_init(sr_report *r);
void sr_report_free(sr_report *r);

/* The index of certificate der[0..len) in r, added if new (a copy).
 * PC_E_LIMIT over SR_CERTS_MAX or SR_CERT_MAX; PC_E_INPUT when it is not
 * one DER SEQUENCE. */
pc_rc sr_cert_add(sr_report *r, const uint8_t *der, size_t len, size_t *index,
    pc_err *e) PC_CHECK;
/* A new endpoint (zeroed, result SR_ERROR until set); *out stays valid
 * until the next sr_endpoint_add.  path: SR_DIR only (copied). */
pc_rc sr_endpoint_add(sr_report *r, sr_kind kind, const char *host, uint16_t port,
    const char *path, sr_endpoint **out, pc_err *e) PC_CHECK;
/* Append one OPC UA description to ep (at most SR_UA_MAX). */
pc_rc sr_ua_add(sr_endpoint *ep, const sr_ua *ua, pc_err *e) PC_CHECK;

/* "tls://HOST:PORT", "mqtts://...", "opc.tcp://...", "dir:PATH" ([v6]
 * addresses in brackets), cut at n - 1 bytes; the path as a TOKEN. */
void sr_endpoint_url(const sr_endpoint *ep, char *out, size_t n);
const char *sr_kind_scheme(sr_kind k);         /* "tls", "mqtts", "opc.tcp", "dir" */
const char *sr_result_name(sr_result r);       /* "ok", "timeout", ... */
/* "None", "Sign", "SignAndEncrypt", "Invalid", or "mode-N" in buf. */
const char *sr_mode_name(uint32_t mode, char buf[16]);

/* The report as text (the grammar above); check pc_buf_ok(out). */
void sr_format(const sr_report *r, pc_buf *out);
/* Parse p[0..len) strictly into *out (sr_report_init'ed here; freed on a
 * refusal).  what names the source in messages. */
pc_rc sr_parse(const uint8_t *p, size_t len, const char *what, sr_report *out,
    pc_err *e) PC_CHECK;

/* ------------------------------------------------------------ findings */

/* What is wrong, per certificate or endpoint (docs/discovery.md). */
enum {
	SR_F_SELF_SIGNED = 1u << 0,      /* issuer == subject */
	SR_F_EXPIRED = 1u << 1,          /* notAfter passed */
	SR_F_NOT_YET_VALID = 1u << 2,    /* notBefore ahead */
	SR_F_EXPIRING = 1u << 3,         /* notAfter within the margin */
	SR_F_WEAK_KEY = 1u << 4,         /* RSA below 2048 bits */
	SR_F_WEAK_SIG = 1u << 5,         /* signed with SHA-1 or MD5 */
	SR_F_NOT_PLANT = 1u << 6,        /* not issued by this plant's CA */
	SR_F_SHARED_KEY = 1u << 7,       /* the same public key at another endpoint */
	SR_F_NAME_MISMATCH = 1u << 8,    /* the host name or address is not in the SAN */
	SR_F_URI_MISMATCH = 1u << 9,     /* the OPC UA ApplicationUri is not a URI SAN */
	SR_F_UNREADABLE = 1u << 10,      /* not a certificate the PKIX reader accepts */
	SR_F_NO_CERT = 1u << 11,         /* answered without a certificate */
	SR_F_POLICY_NONE = 1u << 12,     /* OPC UA SecurityPolicy None / mode None offered */
	SR_F_DEPRECATED_POLICY = 1u << 13,   /* Basic128Rsa15 or Basic256 offered */
	SR_F_TIMEOUT = 1u << 14,         /* connected, no complete answer in time */
	SR_F_PROTOCOL_ERROR = 1u << 15,  /* answered something else than the protocol */
	SR_F_COUNT = 16,
};

/* The finding's stable name ("self-signed", ...) for bit 1u << i. */
const char *sr_finding_name(unsigned i);

/* Who is the plant: certificates that chain to one of the anchors (with
 * the CAs of cas and every CA certificate seen in the reports as the
 * pool), or for which issued() says so, are the plant's. */
typedef struct sr_judge {
	const pkix_cert *anchors;
	size_t nanchors;
	const pkix_cert *cas;
	size_t ncas;
	bool (*issued)(void *ctx, const uint8_t *der, size_t len);   /* NULL: chains only */
	void *ctx;
	time_t now;
	unsigned expiring_days;
} sr_judge;

/* One judged certificate at one endpoint (cert SR_NONE: the endpoint
 * itself: no answer, OPC UA policies, no certificate). */
typedef struct sr_item {
	size_t report, ep, cert;
	unsigned flags;                  /* SR_F_* */
	bool plant;                      /* issued by this plant's CA */
	char key[32];                    /* "rsa-1024", "ec-p256", "" unknown */
	char sigalg[40];                 /* "sha256WithRSAEncryption", "sha1WithRSAEncryption" */
	char fingerprint[PC_FINGERPRINT_MAX];   /* SHA-256 "aa:bb:..." (pc_fingerprint) */
	char subject[160];               /* RFC 4514, display-safe, cut */
	time_t not_after;
	size_t shared;                   /* other endpoints with the same key */
	char why[SR_REASON_MAX + 1];     /* unreadable: the reader's reason; policies offered */
} sr_item;

typedef struct sr_items {
	sr_item *v;
	size_t n, cap;
} sr_items;

void sr_items_free(sr_items *s);
/* Judge every endpoint of n reports together (a key shared between two
 * reports counts too).  Items in report, endpoint order; a network
 * endpoint that did not answer (refused, unreachable) gets none. */
pc_rc sr_judge_reports(const sr_report *const *reports, size_t n, const sr_judge *j,
    sr_items *out, pc_err *e) PC_CHECK;

/* ----------------------------------------------------- showing (scanprint.c) */

#include <stdio.h>

typedef struct sr_tally {
	size_t endpoints, results[SR_ERROR + 1];
	size_t certs, plant, enroll;      /* distinct certificates in use */
} sr_tally;

/* Counts of report ri (items from sr_judge_reports). */
void sr_tally_count(const sr_report *r, size_t ri, const sr_items *items, sr_tally *t);
/* "N endpoints: ..." line, or a JSON object. */
void sr_print_tally(FILE *f, const sr_tally *t, bool json);
/* Report ri's endpoints and their findings: text (what answered, each
 * certificate, "to enroll"), or the elements of a JSON array. */
void sr_print_endpoints(FILE *f, const sr_report *r, size_t ri, const sr_items *items, bool json);
/* The names of the flags, space-separated, or as JSON strings. */
void sr_print_flags(FILE *f, unsigned flags, bool json);

#endif
