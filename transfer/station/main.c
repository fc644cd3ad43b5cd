/*
 * main.c - plantca-station's command line: one table of verbs and one of
 * options, from which the usage text, the per-verb help, the refusal of
 * options a verb does not take and the dispatch are all derived, so that
 * help and behaviour cannot drift apart.  One verb per run; request and
 * accept hold the station directory's lock.  The only place that prints an
 * error and exits.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file.h"
#include "secret.h"
#include "station.h"
#include "text.h"

/* ------------------------------------------------------------- options */

enum st_opt_id {
	O_SEGMENT, O_CA_KEY, O_TRUST, O_PASS_FILE, O_PROFILE, O_OUTPUT, O_EXPIRES,
	O_OUT, O_LAYOUT, O_DER, O_PKI, O_CRL, O_MIN_VERSION, O_TARGET, O_SCAN, O_TIMEOUT,
	O_CONNECT_TIMEOUT, O_CONCURRENCY, O_EXPIRING, O_LISTEN, O_CHECK_AFTER, O_EXPIRE,
	O_MAX_CONN, O_MAX_REQUEST, O_KDF_MEMORY, O_KDF_OPS, O_THREADS, O_TIMINGS, O_JSON, O_HELP,
	O_COUNT,
};

#define OPT(id) (1u << (id))
#define OPT_LONG_BASE 256          /* getopt_long values of the long options */
#define OPT_HELP_COLUMN 26         /* where option descriptions start */
#define OPT_EVERY_VERB (OPT(O_JSON) | OPT(O_HELP))

typedef struct st_option {
	const char *name;              /* long name, without "--" */
	const char *short_flag;        /* "-o", or NULL */
	const char *arg;               /* metavariable; NULL: takes no argument */
	const char *help;              /* lines separated by '\n' */
} st_option;

static const st_option options[O_COUNT] = {
	[O_SEGMENT] = { "segment", NULL, "S", "Plant segment name: [a-z0-9][a-z0-9-]{0,62}." },
	[O_CA_KEY] = { "ca-key", NULL, "FILE", "The CA transfer public key (minisign format)." },
	[O_TRUST] = { "trust", NULL, "FILE",
		"The plant root certificate (one PEM CERTIFICATE)." },
	[O_PASS_FILE] = { "passphrase-file", NULL, "F",
		"Station key passphrase, first line of F.  Without it\n"
		"plantca-station prompts on the terminal with echo off\n"
		"(twice for init).  Never taken from the command line\n"
		"or the environment." },
	[O_PROFILE] = { "profile", NULL, "P", "Certificate profile for the CSRs that follow." },
	[O_OUTPUT] = { "output", "-o", "PATH", "request: the media directory for the bundle;\n"
		"scan: the report file to write." },
	[O_EXPIRES] = { "expires", NULL, "DAYS",
		"Validity of a request bundle, 1..366 (default 30)." },
	[O_OUT] = { "out", NULL, "PKI_DIR", "PKI directory that accept writes (created if missing)." },
	[O_LAYOUT] = { "layout", NULL, "L", "flat (default) or opcua." },
	[O_DER] = { "der", NULL, NULL, "DER instead of PEM where a file holds one object." },
	[O_PKI] = { "pki", NULL, "PKI_DIR",
		"The PKI directory accept wrote: its CRLs are checked\n"
		"(verify-firmware); its CRLs and certificates are shown\n"
		"(status)." },
	[O_CRL] = { "crl", NULL, "FILE", "A CRL to check the signer against (repeatable)." },
	[O_MIN_VERSION] = { "min-version", NULL, "V",
		"Refuse firmware older than version V (rollback)." },
	[O_TARGET] = { "target", NULL, "OID", "A target the firmware must list (once)." },
	[O_SCAN] = { "scan", NULL, "REPORT", "A scan report (scan -o) to carry to the CA." },
	[O_TIMEOUT] = { "timeout", NULL, "S",
		"scan: seconds one endpoint's whole exchange may take,\n"
		"1..300 (default 10); serve: close a connection idle\n"
		"this long (slow or half-open clients), 1..3600\n"
		"(default 10)." },
	[O_CONNECT_TIMEOUT] = { "connect-timeout", NULL, "S",
		"Seconds a TCP connection may take (default 3)." },
	[O_CONCURRENCY] = { "concurrency", NULL, "N",
		"Endpoints probed at once (default 16, 1..256)." },
	[O_EXPIRING] = { "expiring", NULL, "DAYS",
		"Flag certificates ending within DAYS (default 30)." },
	[O_LISTEN] = { "listen", NULL, "ADDR:PORT",
		"serve: numeric address and TCP port (127.0.0.1:8080,\n"
		"[::1]:8080, 0.0.0.0:8080; port 0: any free port,\n"
		"printed when serve starts)." },
	[O_CHECK_AFTER] = { "check-after", NULL, "SECONDS",
		"serve: how long a waiting device sleeps between polls\n"
		"(pollRep checkAfter), 1..86400 (default 60)." },
	[O_EXPIRE] = { "expire", NULL, "HOURS",
		"serve: an enrollment the CA has not answered after\n"
		"HOURS is refused to the device, 1..8784 (default 336)." },
	[O_MAX_CONN] = { "max-connections", NULL, "N",
		"serve: connections served at once, 1..1024 (default 64)." },
	[O_MAX_REQUEST] = { "max-request", NULL, "BYTES",
		"serve: largest CMP request read, 1024..262144\n"
		"(default 65536); larger ones get a CMP error." },
	[O_KDF_MEMORY] = { "kdf-memory", NULL, "MIB",
		"init: memory the station key's scrypt costs each time the\n"
		"key is opened (every request), 16, 32, 64 ... 1024 MiB\n"
		"(default 64: a 512 MiB gateway can spare it; minisign's\n"
		"own default is 1024).  Stored in station.key." },
	[O_KDF_OPS] = { "kdf-ops", NULL, "N",
		"init: scrypt operations (libsodium opslimit), 524288 ..\n"
		"33554432, at least MIB * 32768 (default: 4 times that,\n"
		"at most 33554432).  Time grows with N." },
	[O_THREADS] = { "threads", NULL, "N",
		"Threads for checking CSRs (request) or certificates\n"
		"(accept), 1..64 (default: one per core)." },
	[O_TIMINGS] = { "timings", NULL, NULL,
		"What each phase took and the peak memory, on stderr\n"
		"(with --json: a \"timings\" object in the summary)." },
	[O_JSON] = { "json", NULL, NULL, "Machine-readable summary on stdout." },
	[O_HELP] = { "help", "-h", NULL, "This text; after a verb, that verb's help." },
};

/* ---------------------------------------------------------------- verbs */

typedef struct st_verb {
	const char *name;
	const char *synopsis;          /* after "plantca-station "; '\n': where it wraps */
	const char *help;              /* lines separated by '\n' */
	unsigned options;              /* OPT() bits of the options it takes */
	size_t min_ops, max_ops;       /* operands after the verb, DIR included */
	bool locks;                    /* holds DIR/lock (sequence numbers are used once) */
	pc_rc (*run)(const st_args *a, pc_err *e);
} st_verb;

static const st_verb verbs[] = {
	{ "init",
	  "init DIR --segment S --ca-key TRANSFER.pub\n"
	  "--trust ROOT.pem [--kdf-memory MIB] [--kdf-ops N]\n"
	  "[--passphrase-file F] [--json]",
	  "Create the station directory DIR (must not exist, or be empty; mode\n"
	  "0700): a new Ed25519 station key pair in minisign format\n"
	  "(DIR/station.key, encrypted with the passphrase, mode 0600;\n"
	  "DIR/station.pub), the CA transfer public key (DIR/ca-transfer.pub)\n"
	  "and plant root certificate (DIR/root.pem) that plantca init wrote to\n"
	  "the CA home's public/ folder, and DIR/station.conf.  Prints the\n"
	  "station key id and the fingerprints to compare with the ones plantca\n"
	  "init printed.  The CA officer then enrolls DIR/station.pub with\n"
	  "'plantca station add S station.pub --ca NAME'.  Every request opens\n"
	  "the key: its scrypt cost (--kdf-memory, --kdf-ops) is paid each time;\n"
	  "init says what it chose and what opening the key took here.  The cost\n"
	  "is in station.key, where minisign reads it too.",
	  OPT(O_SEGMENT) | OPT(O_CA_KEY) | OPT(O_TRUST) | OPT(O_PASS_FILE) | OPT(O_KDF_MEMORY) |
	  OPT(O_KDF_OPS) | OPT_EVERY_VERB,
	  1, 1, false, st_init },
	{ "request",
	  "request DIR [--profile P CSR|FOLDER...]... [--scan REPORT]\n"
	  "-o MEDIA_DIR [--expires DAYS] [--threads N] [--timings]\n"
	  "[--passphrase-file F] [--json]",
	  "Sign the CSRs (PKCS#10, PEM or DER, at most 64 KiB each) into a\n"
	  "request bundle MEDIA_DIR/SEGMENT-request-NNNNNN.tar (+ .minisig).\n"
	  "A FOLDER stands for its files named *.csr, *.pem or *.der, in byte\n"
	  "order of their names.  Each CSR's shape and self-signature (proof of\n"
	  "possession) are checked on all cores before the passphrase is asked\n"
	  "for; the first bad one in command-line order is named (the CA judges\n"
	  "the rest: names, keys, extensions).\n"
	  "Each --profile applies to the CSRs after it (tls-server, tls-client,\n"
	  "opcua-app, ...); the CA decides what it grants.  --scan adds a scan\n"
	  "report (plantca-station scan -o REPORT, checked here as the CA will\n"
	  "check it, of this station's segment) as the member report.scan; a\n"
	  "bundle may carry a report and no CSR.  The bundle is valid\n"
	  "for DAYS days (default 30, at most 366).  The sequence number in\n"
	  "station.conf is advanced after the bundle is written; one request or\n"
	  "accept runs at a time in DIR (DIR/lock).  The CMP requests that serve\n"
	  "queued (DIR/cmp/) go in the same bundle, as the devices signed them\n"
	  "(members cmp-TXID.cmp); with none of them waiting, at least one CSR is\n"
	  "needed (or --scan).",
	  OPT(O_PROFILE) | OPT(O_OUTPUT) | OPT(O_EXPIRES) | OPT(O_PASS_FILE) | OPT(O_SCAN) |
	  OPT(O_THREADS) | OPT(O_TIMINGS) | OPT_EVERY_VERB,
	  1, SIZE_MAX, true, st_request },
	{ "rekey",
	  "rekey DIR -o MEDIA_DIR [--kdf-memory MIB] [--kdf-ops N]\n"
	  "[--expires DAYS] [--passphrase-file F] [--json]",
	  "Make a new station key (DIR/station.next.key, encrypted with the\n"
	  "passphrase of the current key, at the current key's scrypt cost unless\n"
	  "--kdf-memory/--kdf-ops choose another, as init does) and send its\n"
	  "public key to the CA in a request bundle signed by the current key\n"
	  "(members station-key.pub and station-key.pub.minisig, the\n"
	  "endorsement).  Both keys are kept: requests are signed with the\n"
	  "current key and carry the new one again until a response of the CA\n"
	  "confirms it, when accept makes it DIR/station.key.  Run again before\n"
	  "that, rekey sends the same new key once more.",
	  OPT(O_OUTPUT) | OPT(O_EXPIRES) | OPT(O_PASS_FILE) | OPT(O_KDF_MEMORY) | OPT(O_KDF_OPS) |
	  OPT_EVERY_VERB,
	  1, 1, true, st_rekey },
	{ "accept",
	  "accept DIR BUNDLE.tar --out PKI_DIR\n"
	  "[--layout flat|opcua] [--der] [--threads N] [--timings] [--json]",
	  "Verify a response bundle (BUNDLE.tar and BUNDLE.tar.minisig): signed\n"
	  "by the CA transfer key, addressed to this segment, sequence newer than\n"
	  "the last accepted one, not expired, every SHA-256 right; every\n"
	  "certificate in every file (certificates, chain.pem, trust.pem,\n"
	  "trust.p7b, the signers in firmware-*.p7s) and every CRL either the\n"
	  "station's root (DIR/root.pem) or signed by a CA that chains to it;\n"
	  "trust.p7b a certs-only PKCS#7 holding exactly trust.pem's\n"
	  "certificates; firmware signatures by a codeSigning certificate, not\n"
	  "revoked; no CRL past its nextUpdate; no device certificate file\n"
	  "replaced by another identity (below).  Nothing is written unless all\n"
	  "of that holds; then each file is replaced atomically.\n"
	  "--layout flat (default):\n"
	  "  certs/SERIAL.pem   delivered certificates, by serial\n"
	  "  chain.pem          issuing CA(s), then the root\n"
	  "  trust.pem          the root and the segment's issuing CAs\n"
	  "  trust.p7b          the same as PKCS#7 certs-only (DER)\n"
	  "  crl/NAME.crl       CRLs, NAME the CA's name ('root' for the root)\n"
	  "--layout opcua (OPC 10000-12 certificate store):\n"
	  "  trusted/certs/     the segment's issuing CA certificate(s)\n"
	  "  trusted/crl/       their CRLs\n"
	  "  issuers/certs/     the root (and any CA between)\n"
	  "  issuers/crl/       the root's CRL\n"
	  "  own/certs/CN.pem   each delivered certificate followed by its chain\n"
	  "                     up to, not including, the root (CN sanitised;\n"
	  "                     the serial when there is no usable CN)\n"
	  "A device certificate file (own/certs/CN.pem, certs/SERIAL.pem; .der\n"
	  "or .pem) that exists is replaced only by a renewal: a certificate with\n"
	  "the same subjectAltName set (for OPC UA, the same ApplicationUri),\n"
	  "with a new key or not.  Another device's certificate under the same\n"
	  "name, in this bundle or in the file, refuses the whole response,\n"
	  "naming both (move the old file away if the device really changed).\n"
	  "One identity twice in a bundle: the newest (notBefore) takes CN.pem,\n"
	  "the others are written by serial.\n"
	  "Firmware signatures (firmware-*.p7s) go to firmware/ in both layouts.\n"
	  "--der writes certificates and CRLs as DER (one certificate per file:\n"
	  "own/certs then holds only the device certificate; chain.pem and\n"
	  "trust.pem stay PEM).  PEM is the default because some OPC UA stacks\n"
	  "misread short DER files.  One request or accept runs at a time in\n"
	  "DIR (DIR/lock).",
	  OPT(O_OUT) | OPT(O_LAYOUT) | OPT(O_DER) | OPT(O_THREADS) | OPT(O_TIMINGS) |
	  OPT_EVERY_VERB,
	  2, 2, true, st_accept },
	{ "scan",
	  "scan DIR TARGET... [-o REPORT] [--timeout S] [--connect-timeout S]\n"
	  "[--concurrency N] [--expiring DAYS] [--json]",
	  "Inventory the certificates this segment really uses.  Only the\n"
	  "targets given are contacted, each endpoint once:\n"
	  "  tls://HOST[:PORT]       TLS handshake (default port 443)\n"
	  "  mqtts://HOST[:PORT]     the same on an MQTT broker (8883)\n"
	  "  opc.tcp://HOST[:PORT]   OPC UA Hello, OpenSecureChannel with\n"
	  "                          SecurityPolicy None, GetEndpoints,\n"
	  "                          CloseSecureChannel (4840)\n"
	  "  HOST:PORT[,PORT...]     the kind by port: 4840 opc.tcp, 8883\n"
	  "                          mqtts, any other tls\n"
	  "  ADDRESS/PREFIX:PORTS    every address of a range (IPv4 a.b.c.d/20\n"
	  "                          or smaller, IPv6 [x::/116] or smaller; an\n"
	  "                          IPv4 range's network and broadcast left\n"
	  "                          out), e.g. 10.3.0.0/24:443,4840,8883\n"
	  "  dir:PATH                certificate files (PEM or DER) in a folder\n"
	  "                          and the folders below it (4 deep; not\n"
	  "                          private/, no symbolic links), such as an OPC\n"
	  "                          UA application's PKI store\n"
	  "What is sent: a TLS handshake and then nothing (no data, no MQTT\n"
	  "CONNECT, no close_notify); for OPC UA the four messages above,\n"
	  "nothing that needs a session.  Every endpoint has --connect-timeout\n"
	  "S to connect (default 3) and --timeout S for everything (default 10);\n"
	  "every reply is bounded (a TLS certificate message at most 128 KiB, an\n"
	  "OPC UA message at most 4 MiB in 64 chunks of 64 KiB); --concurrency\n"
	  "N endpoints at once (default 16).  A range holds at most 4096\n"
	  "addresses, a scan at most 16384 endpoints.  Progress goes to stderr\n"
	  "every few seconds on a long scan.\n"
	  "Each certificate is read by plantca's own X.509 reader and judged\n"
	  "(docs/discovery.md): self-signed, expired, not-yet-valid, expiring\n"
	  "(within --expiring DAYS, default 30), weak-key (RSA below 2048),\n"
	  "weak-signature (SHA-1, MD5), not-plant (does not chain to\n"
	  "DIR/root.pem through the CA certificates seen in the scan),\n"
	  "shared-key (the same key at another endpoint), name-mismatch (the\n"
	  "host or address scanned is not in the subjectAltName), uri-mismatch\n"
	  "(the OPC UA ApplicationUri is not a URI SAN), unreadable,\n"
	  "no-certificate; per OPC UA server policy-none (SecurityPolicy or mode\n"
	  "None offered) and deprecated-policy (Basic128Rsa15, Basic256); per\n"
	  "endpoint timeout and protocol-error.  The table (or --json) lists\n"
	  "what answered, with \"to enroll\" for every certificate the plant CA\n"
	  "did not issue.  -o REPORT writes the scan report (the observations,\n"
	  "not the findings: the CA judges again) for 'request DIR --scan\n"
	  "REPORT'.  Nothing secret is read or written: private/ folders and\n"
	  "key files are skipped.  Exit 0 when the scan ran, whatever it found.",
	  OPT(O_OUTPUT) | OPT(O_TIMEOUT) | OPT(O_CONNECT_TIMEOUT) | OPT(O_CONCURRENCY) |
	  OPT(O_EXPIRING) | OPT_EVERY_VERB,
	  2, SIZE_MAX, false, st_scan },
	{ "verify-firmware",
	  "verify-firmware DIR IMAGE SIG [--pki PKI_DIR]\n"
	  "[--crl FILE]... [--min-version V] [--target OID] [--json]",
	  "Check a firmware signature (CMS .p7s from plantca firmware sign)\n"
	  "against this station's root (DIR/root.pem) and the CRLs a response\n"
	  "delivered (--pki: the PKI_DIR given to accept) or --crl files: image\n"
	  "digest, signature, chain, codeSigning, revocation, version not below\n"
	  "V (rollback), target listed.  Exit 0 valid, 1 refused with the reason.",
	  OPT(O_PKI) | OPT(O_CRL) | OPT(O_MIN_VERSION) | OPT(O_TARGET) | OPT_EVERY_VERB,
	  3, 3, false, st_verify_firmware },
	{ "audit-check",
	  "audit-check DIR TRAIL [--json]",
	  "Prove that a CA audit trail (TRAIL, written by 'plantca audit export')\n"
	  "still holds every head the plant was shown: each accepted response\n"
	  "carries the CA's chain head signed by its audit key, kept in\n"
	  "DIR/audit/.  The trail's hashes are recomputed from its events; every\n"
	  "kept checkpoint must name an event of the trail with exactly the\n"
	  "signed hash.  Exit 0 when all do, 1 naming the first event that\n"
	  "differs or is missing (the trail was rewritten or cut).",
	  OPT_EVERY_VERB,
	  2, 2, false, st_audit_check },
	{ "ra-key",
	  "ra-key DIR [--passphrase-file F] [--json]",
	  "Make the station's CMP identity: a new Ed25519 key pair, the secret\n"
	  "key encrypted with the station passphrase (DIR/ra.key, minisign\n"
	  "format, mode 0600; refused if it exists), and its PKCS#10 request\n"
	  "DIR/ra.csr, subject O=plantca, OU=SEGMENT, CN=CMP RA KEYID (KEYID: the\n"
	  "station key's id).  Send it with 'request DIR --profile cmp-ra\n"
	  "DIR/ra.csr -o MEDIA_DIR': the CA issues a cmp-ra certificate\n"
	  "(keyUsage digitalSignature, EKU id-kp-cmcRA) only to the enrolled\n"
	  "station that signed the bundle, only when the officer approves that\n"
	  "request by its id.  accept installs it as DIR/ra.pem, and serve signs\n"
	  "every CMP reply with it.",
	  OPT(O_PASS_FILE) | OPT_EVERY_VERB,
	  1, 1, true, st_ra_key },
	{ "status",
	  "status DIR [--pki PKI_DIR] [--json]",
	  "What this station trusts and holds, and what to tell the CA officer:\n"
	  "the plant root (DIR/root.pem) and the CA transfer key with the\n"
	  "fingerprints plantca init printed, the next request sequence and the\n"
	  "last accepted response, the plant CAs (DIR/plant.pem) and the RA\n"
	  "certificate with their notAfter, each CRL of the last response\n"
	  "(DIR/crls.pem; with --pki, the CRLs in PKI_DIR that the devices read)\n"
	  "with its nextUpdate and days left, and with --pki the device\n"
	  "certificates there.  Then one line per thing to act on: no response\n"
	  "yet, a CRL within 3 days of its nextUpdate or past it, a certificate\n"
	  "within 30 days of its notAfter or past it.  Reads only; exit 0 unless\n"
	  "a file is missing or does not parse.",
	  OPT(O_PKI) | OPT_EVERY_VERB,
	  1, 1, false, st_status },
	{ "serve",
	  "serve DIR --listen ADDR:PORT [--profile P] [--check-after S]\n"
	  "[--expire H] [--timeout S] [--max-connections N]\n"
	  "[--max-request BYTES] [--passphrase-file F]",
	  "Answer Lightweight CMP (RFC 9483) over HTTP (RFC 6712: POST,\n"
	  "Content-Type application/pkixcmp, any path) for the devices of this\n"
	  "segment, signing every reply with the RA certificate (DIR/ra.pem; serve\n"
	  "refuses to start without it).  Supported: ir (signed with a\n"
	  "manufacturer IDevID that chains to a manufacturer the CA officer\n"
	  "accepted for this segment), cr and kur (signed with the device's\n"
	  "LDevID from this plant), p10cr (either), certConf, pollReq, rr (signed\n"
	  "by the certificate it revokes), error.  Refused with a CMP error and\n"
	  "PKIFailureInfo: unprotected or MAC-protected messages, an untrusted,\n"
	  "expired or revoked signer, a reused transactionID, a wrong recipient,\n"
	  "malformed or oversize requests.  A certificate request is kept in\n"
	  "DIR/cmp/ and answered 'waiting'; the next 'request' carries it, signed\n"
	  "and unchanged, to the CA; 'accept' of the response stores the answer,\n"
	  "and the device's next pollReq gets its certificate (or the CA's\n"
	  "reason).  --profile P (default ldevid) is the profile asked for.  An rr\n"
	  "is queued the same way and answered at once (docs/cmp.md says what the\n"
	  "rp means).  One log line per message on stderr.  Runs until SIGTERM or\n"
	  "SIGINT; every open transaction is on disk before its reply is sent, so\n"
	  "a restart or a crash loses none.",
	  OPT(O_LISTEN) | OPT(O_PROFILE) | OPT(O_CHECK_AFTER) | OPT(O_EXPIRE) | OPT(O_TIMEOUT) |
	  OPT(O_MAX_CONN) | OPT(O_MAX_REQUEST) | OPT(O_PASS_FILE) | OPT(O_HELP),
	  1, 1, false, st_serve },
};

#define NVERBS (sizeof verbs / sizeof verbs[0])

static const char help_intro[] =
"plantca-station runs on a plant segment's station.  It builds request bundles\n"
"of device CSRs for the offline plantca workstation and verifies and unpacks\n"
"the response bundles (certificates, chains, trust bundles, CRLs) it sends\n"
"back.  Bundles travel on removable media as NAME.tar + NAME.tar.minisig.\n";

static const char help_exit[] =
"Exit status: 0 done; 1 refused (bad signature, wrong passphrase, replayed,\n"
"expired or misaddressed bundle, malformed input); 2 usage, environment or\n"
"system error.  Messages go to stderr as \"plantca-station: WHAT: WHY\".\n";

/* ------------------------------------------------------------------ help */

/* text, each line after prefix; cont: the prefix of lines after the first */
static void put_lines(FILE *f, const char *first, const char *cont, const char *text)
{
	const char *p = text, *prefix = first;

	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		fprintf(f, "%s%.*s\n", prefix, (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
		prefix = cont;
	}
}

static void put_option(FILE *f, const st_option *o)
{
	static const char help_indent[OPT_HELP_COLUMN + 1] = "                          ";
	char left[64];
	int n;

	n = snprintf(left, sizeof left, "  %s%s--%s%s%s", o->short_flag ? o->short_flag : "",
	    o->short_flag ? ", " : "", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	if (n >= OPT_HELP_COLUMN) {
		fprintf(f, "%s\n", left);
		put_lines(f, help_indent, help_indent, o->help);
		return;
	}
	fprintf(f, "%-*s", OPT_HELP_COLUMN, left);
	put_lines(f, "", help_indent, o->help);
}

static void help_all(void)
{
	size_t i;

	printf("usage: plantca-station VERB [ARGS]\n\n%s\nVerbs:\n", help_intro);
	for (i = 0; i < NVERBS; i++) {
		put_lines(stdout, "  ", "       ", verbs[i].synopsis);
		put_lines(stdout, "        ", "        ", verbs[i].help);
	}
	printf("\nOptions:\n");
	for (i = 0; i < O_COUNT; i++)
		put_option(stdout, &options[i]);
	printf("\nplantca-station VERB --help shows one verb and the options it takes.\n\n%s",
	    help_exit);
}

static void help_verb(const st_verb *v)
{
	size_t i;

	put_lines(stdout, "usage: plantca-station ", "       ", v->synopsis);
	putchar('\n');
	put_lines(stdout, "", "", v->help);
	printf("\nOptions:\n");
	for (i = 0; i < O_COUNT; i++)
		if (v->options & OPT(i))
			put_option(stdout, &options[i]);
	printf("\n%s", help_exit);
}

/* ---------------------------------------------------------------- errors */

/* Messages quote bundle members, certificate names and firmware fields:
 * they reach the terminal only through the display escaper. */
static int fail(const pc_err *e)
{
	fputs("plantca-station: ", stderr);
	pc_text_fputs(stderr, e->msg);
	fputc('\n', stderr);
	return pc_rc_exit_status(e->rc);
}

/* Exit status 2 with "plantca-station: MESSAGE" and where help is found. */
static int usage_error(const st_verb *v, const char *fmt, ...) PC_PRINTF(2, 3);
static int usage_error(const st_verb *v, const char *fmt, ...)
{
	va_list ap;
	char msg[PC_ERR_MSG_MAX];

	/* arguments are quoted: escaped like every other message */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "plantca-station: ");
	pc_text_fputs(stderr, msg);
	if (v != NULL)
		fprintf(stderr, "\n(plantca-station %s --help shows its operands and options)\n",
		    v->name);
	else
		fprintf(stderr, "\n(plantca-station --help shows the verbs and options)\n");
	return 2;
}

/* The synopsis on one line, for messages. */
static const char *synopsis_line(const st_verb *v, char *buf, size_t cap)
{
	size_t i;

	snprintf(buf, cap, "%s", v->synopsis);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	return buf;
}

/* ----------------------------------------------------------------- lock */

/* The station directory's lock (pc_dir_lock), taken only in a directory
 * that holds a station (elsewhere the verb's own message says what is
 * wrong, and no lock file is left in a stranger's directory). */
PC_CHECK static pc_rc station_lock(const char *dir, int *fd, pc_err *e)
{
	char path[PATH_MAX];
	struct stat sb;

	*fd = -1;
	if (st_path_join(path, dir, "station.conf", e) != PC_OK || stat(path, &sb) != 0)
		return PC_OK;
	return pc_dir_lock(dir, "plantca-station", fd, e);
}

/* ----------------------------------------------------------------- main */

typedef struct st_given {
	enum st_opt_id id;
	const char *as_typed;          /* "--layout", "-o": for the refusal */
} st_given;

static const st_verb *verb_find(const char *name)
{
	size_t i;

	for (i = 0; i < NVERBS; i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static char long_typed[O_COUNT][32];
	struct option longopts[O_COUNT + 1];
	const st_verb *v;
	st_args a;
	st_operand *pos;
	st_given *given;
	const char *profile = NULL, *expires = NULL, *numeric[O_COUNT] = { NULL };
	char line[512];
	size_t npos = 0, ngiven = 0, ntarget = 0, i;
	pc_err e = { PC_OK, "" };
	pc_rc rc = PC_OK;
	bool help = false;
	int c, li, st = 0, lock_fd = -1;

	if (pc_secure_process(&e) != PC_OK)
		return fail(&e);
	memset(&a, 0, sizeof a);
	memset(longopts, 0, sizeof longopts);
	for (i = 0; i < O_COUNT; i++) {
		longopts[i].name = options[i].name;
		longopts[i].has_arg = options[i].arg ? required_argument : no_argument;
		longopts[i].val = OPT_LONG_BASE + (int)i;
		snprintf(long_typed[i], sizeof long_typed[i], "--%s", options[i].name);
	}
	a.o.expires_days = ST_EXPIRES_DEFAULT;
	pos = calloc((size_t)argc + 1, sizeof *pos);
	given = calloc((size_t)argc + 1, sizeof *given);
	a.o.crls = calloc((size_t)argc + 1, sizeof *a.o.crls);
	if (pos == NULL || given == NULL || a.o.crls == NULL) {
		st = usage_error(NULL, "%s", "out of memory");
		goto done;
	}
	opterr = 0;
	/* "-": operands are returned in order (as 1), so that each CSR picks up
	 * the --profile given before it */
	for (;;) {
		enum st_opt_id id;

		li = -1;
		if ((c = getopt_long(argc, argv, "-ho:", longopts, &li)) == -1)
			break;
		if (c == 1) {
			pos[npos].path = optarg;
			pos[npos].profile = profile;
			npos++;
			continue;
		}
		if (c == 'h')
			id = O_HELP;
		else if (c == 'o')
			id = O_OUTPUT;
		else if (c >= OPT_LONG_BASE && c < OPT_LONG_BASE + O_COUNT)
			id = (enum st_opt_id)(c - OPT_LONG_BASE);
		else {
			st = usage_error(NULL, "unknown or incomplete option '%s'", argv[optind - 1]);
			goto done;
		}
		given[ngiven].id = id;
		given[ngiven].as_typed = li >= 0 ? long_typed[id] : options[id].short_flag;
		ngiven++;
		switch (id) {
		case O_SEGMENT: a.o.segment = optarg; break;
		case O_CA_KEY: a.o.ca_key = optarg; break;
		case O_TRUST: a.o.trust = optarg; break;
		case O_PASS_FILE: a.o.pass_file = optarg; break;
		case O_PROFILE: profile = optarg; break;
		case O_OUTPUT: a.o.media = optarg; break;
		case O_EXPIRES: expires = optarg; break;
		case O_OUT: a.o.out = optarg; break;
		case O_LAYOUT: a.o.layout = optarg; break;
		case O_DER: a.o.der = true; break;
		case O_PKI: a.o.pki = optarg; break;
		case O_CRL: a.o.crls[a.o.ncrls++] = optarg; break;
		case O_MIN_VERSION: a.o.min_version = optarg; break;
		case O_TARGET: a.o.target = optarg; ntarget++; break;
		case O_SCAN: a.o.scan = optarg; break;
		case O_LISTEN: a.o.listen = optarg; break;
		case O_TIMEOUT: case O_CONNECT_TIMEOUT: case O_CONCURRENCY: case O_EXPIRING:
		case O_CHECK_AFTER: case O_EXPIRE: case O_MAX_CONN: case O_MAX_REQUEST:
		case O_KDF_MEMORY: case O_KDF_OPS: case O_THREADS:
			numeric[id] = optarg;
			break;
		case O_TIMINGS: a.o.timings = true; break;
		case O_JSON: a.o.json = true; break;
		case O_HELP: help = true; break;
		case O_COUNT: break;
		}
	}
	if (npos == 0) {
		if (help)
			help_all();
		else
			st = usage_error(NULL, "%s", "no verb given");
		goto done;
	}
	if ((v = verb_find(pos[0].path)) == NULL) {
		st = usage_error(NULL, "unknown verb '%s'", pos[0].path);
		goto done;
	}
	if (help) {
		help_verb(v);
		goto done;
	}
	/* an option that means nothing for this verb is a mistake in the
	 * command (init --out, request --layout): refused, not ignored */
	for (i = 0; i < ngiven; i++)
		if (!(v->options & OPT(given[i].id))) {
			st = usage_error(v, "%s: option %s does not apply", v->name, given[i].as_typed);
			goto done;
		}
	if (ntarget > 1) {
		st = usage_error(v, "%s", "verify-firmware takes one --target");
		goto done;
	}
	if (npos - 1 < v->min_ops || npos - 1 > v->max_ops) {
		st = usage_error(v, "usage: plantca-station %s", synopsis_line(v, line, sizeof line));
		goto done;
	}
	if (expires != NULL) {
		uint64_t days;
		if (!st_u64_parse(expires, &days) || days == 0 || days > ST_EXPIRES_MAX) {
			st = usage_error(v, "--expires '%s': expected 1..%d days", expires, ST_EXPIRES_MAX);
			goto done;
		}
		a.o.expires_days = (unsigned)days;
	}
	{
		/* the numbers: option, range, where it goes (--timeout is scan's
		 * and serve's, with its own range in each; init --kdf-*: the
		 * combination is judged by tr_kdf_check) */
		const struct { enum st_opt_id id; uint64_t lo, hi; } nums[] = {
			{ O_TIMEOUT, 1, v->run == st_scan ? ST_SCAN_TIMEOUT_MAX_S : ST_SERVE_TIMEOUT_MAX_S },
			{ O_CONNECT_TIMEOUT, 1, ST_SCAN_TIMEOUT_MAX_S },
			{ O_CONCURRENCY, 1, ST_SCAN_CONCURRENCY_MAX },
			{ O_EXPIRING, 0, ST_EXPIRING_DAYS_MAX },
			{ O_CHECK_AFTER, 1, ST_CHECK_AFTER_MAX }, { O_EXPIRE, 1, ST_EXPIRE_MAX },
			{ O_MAX_CONN, 1, ST_CONN_MAX },
			{ O_MAX_REQUEST, ST_CMP_REQUEST_MIN, ST_CMP_REQUEST_MAX },
			{ O_KDF_MEMORY, TR_KDF_MEM_MIN / TR_KDF_MIB, TR_KDF_MEM_MAX / TR_KDF_MIB },
			{ O_KDF_OPS, TR_KDF_OPS_MIN, TR_KDF_OPS_MAX }, { O_THREADS, 1, ST_THREADS_MAX },
		};
		a.o.expiring = -1;
		for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
			uint64_t n;
			const char *t = numeric[nums[i].id];
			if (t == NULL)
				continue;
			if (!st_u64_parse(t, &n) || n < nums[i].lo || n > nums[i].hi) {
				st = usage_error(v, "--%s '%s': expected %llu..%llu", options[nums[i].id].name,
				    t, (unsigned long long)nums[i].lo, (unsigned long long)nums[i].hi);
				goto done;
			}
			switch (nums[i].id) {
			case O_TIMEOUT: a.o.timeout = (unsigned)n; break;
			case O_CONNECT_TIMEOUT: a.o.connect_s = (unsigned)n; break;
			case O_CONCURRENCY: a.o.concurrency = (unsigned)n; break;
			case O_EXPIRING: a.o.expiring = (int)n; break;
			case O_CHECK_AFTER: a.o.check_after = (unsigned)n; break;
			case O_EXPIRE: a.o.expire_hours = (unsigned)n; break;
			case O_MAX_CONN: a.o.max_conn = (unsigned)n; break;
			case O_KDF_MEMORY: a.o.kdf_memory = n * TR_KDF_MIB; break;
			case O_KDF_OPS: a.o.kdf_ops = n; break;
			case O_THREADS: a.o.threads = (unsigned)n; break;
			default: a.o.max_request = (size_t)n; break;
			}
		}
	}
	a.o.cmp_profile = profile;
	a.dir = pos[1].path;
	a.ops = pos + 2;
	a.nops = npos - 2;
	/* one request or accept at a time per station: two at once would take
	 * the same sequence number, and the CA would refuse the second bundle
	 * as a replay */
	if (v->locks)
		rc = station_lock(a.dir, &lock_fd, &e);
	if (rc == PC_OK)
		rc = v->run(&a, &e);
	if (rc == PC_OK && fflush(stdout) != 0)
		rc = pc_fail(&e, PC_E_IO, "stdout: write failed");
	st = rc == PC_OK ? 0 : fail(&e);
done:
	if (help && fflush(stdout) != 0)
		st = 2;
	pc_dir_unlock(&lock_fd);
	free(pos);
	free(given);
	free(a.o.crls);
	return st;
}
