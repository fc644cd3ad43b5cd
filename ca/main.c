/*
 * main.c - plantca, the offline CA workstation program.  One verb per run.
 *
 * The verb table below is the whole command line: an entry's words,
 * synopsis and help are what --help prints, its option set is what the
 * parser lets through for that verb (any other option is refused, never
 * ignored), its `home` says whether the CA home is opened and whether the
 * command holds HOME/lock, and its handler calls the engine (ca.h).  Usage
 * text and dispatch come from the same entries, so they cannot drift.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "backup.h"
#include "ca.h"
#include "checkpoint.h"
#include "cmp.h"
#include "crl.h"
#include "discovery.h"
#include "firmware.h"
#include "keyroll.h"
#include "pc.h"
#include "report.h"
#include "secret.h"
#include "text.h"
#include "verbs.h"

/* ------------------------------------------------------------ messages */

/* Messages quote CSR contents, bundle members and stored fields: they
 * reach the terminal only through the display escaper (common/text.h). */
static int fail(const pc_err *e)
{
	/* an empty message was reported already (usage_rc) */
	if (e->msg[0] != '\0') {
		fputs("plantca: ", stderr);
		pc_text_fputs(stderr, e->msg);
		fputc('\n', stderr);
	}
	return pc_rc_exit_status(e->rc);
}

/* A usage problem a handler finds: reported at once, as the table's own
 * checks are, and returned as PC_E_USAGE with an empty message. */
PC_CHECK static pc_rc usage_rc(pc_err *e, const char *fmt, ...) PC_PRINTF(2, 3);
PC_CHECK static pc_rc usage_rc(pc_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usage_vprint(fmt, ap);
	va_end(ap);
	e->rc = PC_E_USAGE;
	e->msg[0] = '\0';
	return PC_E_USAGE;
}

/* ------------------------------------------------------------ handlers */

PC_CHECK static pc_rc run_init(ca_ctx *c, const struct args *a, pc_err *e)
{
	ca_init_opts o = { a->module, a->token, a->subject, a->key, a->days };

	(void)c;
	return ca_init(a->home, &o, a->pin_file, a->json, e);
}

PC_CHECK static pc_rc run_ca_new(ca_ctx *c, const struct args *a, pc_err *e)
{
	ca_new_opts o = { a->arg[0], a->subject, a->key, a->days, a->path_len, a->permit, false };

	return ca_new(c, &o, e);
}

PC_CHECK static pc_rc run_ca_roll(ca_ctx *c, const struct args *a, pc_err *e)
{
	ca_new_opts o = { a->arg[0], NULL, a->key, a->days, -1, NULL, a->again };

	return ca_roll(c, &o, e);
}

PC_CHECK static pc_rc run_root_roll(ca_ctx *c, const struct args *a, pc_err *e)
{
	ca_new_opts o = { "root", NULL, a->key, a->days, -1, NULL, false };

	return ca_root_roll(c, &o, e);
}

PC_CHECK static pc_rc run_ca_list(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_list(c, stdout, e);
}

PC_CHECK static pc_rc run_ca_cert(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_cert(c, a->arg[0], stdout, e);
}

PC_CHECK static pc_rc run_issue(ca_ctx *c, const struct args *a, pc_err *e)
{
	ca_issue_opts o = { a->ca, a->profile, (const char *const *)a->arg, (size_t)a->narg,
		a->out, a->out_dir, a->der, a->days };

	return ca_issue(c, &o, e);
}

PC_CHECK static pc_rc run_policy_check(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)c;
	return ca_policy_check(a->arg[0], a->json, stdout, e);
}

PC_CHECK static pc_rc run_policy_show(ca_ctx *c, const struct args *a, pc_err *e)
{
	/* without a CA home: the built-in default */
	return ca_policy_show(c ? c->home : NULL, a->json, stdout, e);
}

PC_CHECK static pc_rc run_policy_set(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_policy_set(c, a->arg[0], e);
}

PC_CHECK static pc_rc run_manufacturer_add(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_manufacturer_add(c, a->arg[0], a->arg[1], a->segments, a->nsegments, e);
}

PC_CHECK static pc_rc run_manufacturer_list(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_manufacturer_list(c, stdout, e);
}

PC_CHECK static pc_rc run_manufacturer_remove(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_manufacturer_remove(c, a->arg[0], e);
}

PC_CHECK static pc_rc run_station_add(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_station_add(c, a->arg[0], a->arg[1], a->ca, e);
}

PC_CHECK static pc_rc run_transfer_roll(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_transfer_roll(c, e);
}

PC_CHECK static pc_rc run_keys(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_keys_list(c, stdout, e);
}

PC_CHECK static pc_rc run_keys_remove(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_keys_remove(c, a->arg[0], e);
}

PC_CHECK static pc_rc run_station_list(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_station_list(c, stdout, e);
}

PC_CHECK static pc_rc run_import(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_import(c, a->arg[0], e);
}

PC_CHECK static pc_rc run_requests(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_requests(c, a->status, stdout, e);
}

PC_CHECK static pc_rc run_approve(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_approve(c, (const char *const *)a->arg, (size_t)a->narg, a->all, e);
}

PC_CHECK static pc_rc run_reject(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_reject(c, a->arg[0], a->reason, e);
}

PC_CHECK static pc_rc run_sign(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_sign(c, e);
}

PC_CHECK static pc_rc run_export(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_export(c, a->arg[0], a->arg[1], e);
}

PC_CHECK static pc_rc run_certs(ca_ctx *c, const struct args *a, pc_err *e)
{
	ca_certs_filter f = { a->segment, a->expiring, a->revoked };

	return ca_certs(c, &f, stdout, e);
}

PC_CHECK static pc_rc run_status(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_status(c, a->margin_set ? a->margin : 3, a->expiring >= 0 ? (unsigned)a->expiring
	    : 30, stdout, e);
}

PC_CHECK static pc_rc run_discovered(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_discovered(c, a->segment, a->expiring >= 0 ? (unsigned)a->expiring : 30, stdout, e);
}

PC_CHECK static pc_rc run_discovered_expect(ca_ctx *c, const struct args *a, pc_err *e)
{
	if (a->segment == NULL)
		return usage_rc(e, "%s", "usage: plantca discovered expect ENDPOINT... --segment S "
		    "[--reason TEXT]");
	return ca_discovered_expect(c, a->segment, (const char *const *)a->arg, (size_t)a->narg,
	    a->reason, e);
}

PC_CHECK static pc_rc run_report(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_report(c, a->out, stdout, e);
}

PC_CHECK static pc_rc run_show(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_show(c, a->arg[0], a->pem, stdout, e);
}

PC_CHECK static pc_rc run_revoke(ca_ctx *c, const struct args *a, pc_err *e)
{
	if ((a->narg == 1) == (a->from_file != NULL))
		return usage_rc(e, "%s", "usage: plantca revoke SERIAL --reason R | revoke "
		    "--from-file FILE --reason R");
	return ca_revoke(c, a->narg == 1 ? a->arg[0] : NULL, a->from_file, a->reason, e);
}

PC_CHECK static pc_rc run_crl(ca_ctx *c, const struct args *a, pc_err *e)
{
	ca_crl_opts o = { a->ca, a->out, a->der, a->next_update, a->clock_override, a->reason };

	return ca_crl(c, &o, e);
}

PC_CHECK static pc_rc run_fw_signer_new(ca_ctx *c, const struct args *a, pc_err *e)
{
	ca_fw_signer_opts o = { a->arg[0], a->ca, a->subject, a->key, a->days, a->packages,
		a->npackages };

	return ca_fw_signer_new(c, &o, e);
}

PC_CHECK static pc_rc run_fw_signer_list(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_fw_signer_list(c, stdout, e);
}

PC_CHECK static pc_rc run_fw_sign(ca_ctx *c, const struct args *a, pc_err *e)
{
	ca_fw_sign_opts o = { a->arg[0], a->signer, a->fw_version,
		a->npackages ? a->packages[0] : NULL, a->targets, a->ntargets, a->out, a->minisign,
		a->format };

	if (a->npackages > 1)
		return usage_rc(e, "%s", "firmware sign takes one --package");
	return ca_fw_sign(c, &o, e);
}

PC_CHECK static pc_rc run_fw_list(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_fw_list(c, stdout, e);
}

PC_CHECK static pc_rc run_fw_verify(ca_ctx *c, const struct args *a, pc_err *e)
{
	/* needs no CA home: anyone with the trusted roots can verify */
	ca_fw_verify_opts o = { a->arg[0], a->arg[1], a->trust, a->ntrust, a->crls, a->ncrls,
		a->min_version, a->ntargets ? a->targets[0] : NULL, a->json };

	(void)c;
	if (a->ntargets > 1)
		return usage_rc(e, "%s", "firmware verify takes one --target");
	return ca_fw_verify(&o, stdout, e);
}

PC_CHECK static pc_rc run_fw_publish(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_fw_publish(c, a->arg[0], a->arg[1], e);
}

PC_CHECK static pc_rc run_audit_log(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_audit_log(c, stdout, e);
}

PC_CHECK static pc_rc run_audit_verify(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_audit_verify(c, stdout, e);
}

PC_CHECK static pc_rc run_audit_checkpoint(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	return ca_audit_checkpoint_verb(c, e);
}

PC_CHECK static pc_rc run_audit_interval(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_audit_interval(c, a->arg[0], e);
}

PC_CHECK static pc_rc run_audit_export(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_audit_export(c, a->arg[0], e);
}

PC_CHECK static pc_rc run_backup(ca_ctx *c, const struct args *a, pc_err *e)
{
	return ca_backup(c, a->arg[0], e);
}

PC_CHECK static pc_rc run_restore(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)c;
	return ca_restore(a->arg[0], a->home, a->pin_file, a->json, e);
}

PC_CHECK static pc_rc run_renew(ca_ctx *c, const struct args *a, pc_err *e)
{
	ca_renew_opts o = { a->expiring, a->segment, a->serials, a->nserials };

	if (a->nserials > 0 && a->expiring >= 0)
		return usage_rc(e, "%s", "renew: --serial names the certificates; --expiring chooses "
		    "them by date: give one or the other");
	return ca_renew(c, &o, stdout, e);
}

PC_CHECK static pc_rc run_migrate(ca_ctx *c, const struct args *a, pc_err *e)
{
	(void)a;
	/* ca_open upgraded the store already, holding the lock */
	fprintf(stdout, "store schema %u (current)\n", store_schema(c->st));
	return PC_OK;
}

/* ----------------------------------------------------------- the verbs */

const struct verb ca_verbs[] = {
	{ { "init" }, "--module SO --token LABEL|URI --subject DN [--key ALG] [--days N]",
	  "Create the CA home: store, root key and CA transfer key in the token, the "
	  "self-signed root.  Writes HOME/public/root.pem and HOME/public/transfer.pub (minisign "
	  "format) for plant stations.  ALG: ec-p384 (default), ec-p256, rsa-3072, rsa-4096.  "
	  "Days: 7300.",
	  OPT(O_MODULE) | OPT(O_TOKEN) | OPT(O_SUBJECT) | OPT(O_KEY) | OPT(O_DAYS),
	  0, 0, HOME_NONE, run_init },
	{ { "ca", "new" }, "NAME --subject DN [--key ALG] [--days N] [--path-len N] "
	  "[--permit TYPE:VALUE]...",
	  "Issuing CA signed by the root, key in the token (default ec-p256, 3650 days, path "
	  "length 0).  --permit adds a critical name constraint (dns:line3.plant.local, "
	  "ip:10.3.0.0/16, uri:HOST, email:DOMAIN).",
	  OPT(O_SUBJECT) | OPT(O_KEY) | OPT(O_DAYS) | OPT(O_PATH_LEN) | OPT(O_PERMIT),
	  1, 1, HOME_WRITE, run_ca_new },
	{ { "ca", "roll" }, "NAME [--key ALG] [--days N] [--again]",
	  "A new key generation of an issuing CA: a new key in the token and a new certificate "
	  "from the root with the same subject, path length and name constraints (key type: the "
	  "old one's unless --key; 3650 days).  The new key signs every certificate from now "
	  "on; the old one signs only its own CRL until the last certificate it issued has "
	  "expired, then plantca crl signs its final CRL and retires it.  Until then exports "
	  "carry both CA certificates and both CRLs.  A generation made by a roll that has not "
	  "issued a certificate yet is not rolled again (a repeat after a crash would leave one "
	  "that never issues) unless --again says so (its key is lost or compromised).",
	  OPT(O_KEY) | OPT(O_DAYS) | OPT(O_AGAIN),
	  1, 1, HOME_WRITE, run_ca_roll },
	{ { "root", "roll" }, "[--key ALG] [--days N]",
	  "A new root key generation (RFC 4210 4.4): a new key in the token and a self-signed "
	  "certificate with the same subject (key type: the old one's unless --key; 7300 days), "
	  "the cross-certificates NewWithOld (new key, signed by the old root) and OldWithNew "
	  "(old key, signed by the new root), both until the old root expires, and a certificate "
	  "from the new root for the key of every issuing CA.  New CA certificates come from the "
	  "new root; the old one signs only its CRL until it expires.  Exports carry both roots, "
	  "both cross-certificates and both CA certificates until then; stations take the new "
	  "root only through NewWithOld.  Run again after an interruption, it completes the roll; "
	  "while the previous root is valid it makes no second one.",
	  OPT(O_KEY) | OPT(O_DAYS),
	  0, 0, HOME_WRITE, run_root_roll },
	{ { "ca", "list" }, "",
	  "CAs with key type, validity and SHA-256 fingerprints, and the key generations "
	  "a ca roll replaced (signing CRLs until a date, or retired).",
	  0, 0, ANY, HOME_READ, run_ca_list },
	{ { "ca", "cert" }, "NAME",
	  "One CA's certificate as PEM on stdout ('root' too).",
	  0, 1, 1, HOME_READ, run_ca_cert },
	{ { "issue" }, "CSR... --ca NAME --profile P [-o FILE | --out-dir DIR] [--der] [--days N]",
	  "Certificates from PKCS#10 requests (PEM or DER; EC P-256/P-384, RSA 2048..8192 bits "
	  "with an odd exponent 3 <= e < 2^32, Ed25519).  Each request's self-signature must "
	  "verify.  All CSRs are checked before anything is signed: one bad CSR refuses the "
	  "batch.  Profiles come from the policy (plantca policy show): tls-server, tls-client, "
	  "mqtt-client, opcua-app, ldevid by default (code-signing certificates come only from "
	  "firmware signer new).  Output: PEM on stdout, or -o FILE (all certificates), or "
	  "DIR/SERIAL.pem each.",
	  OPT(O_CA) | OPT(O_PROFILE) | OPT(O_OUTPUT) | OPT(O_OUT_DIR) | OPT(O_DER) | OPT(O_DAYS),
	  0, ANY, HOME_WRITE, run_issue },
	{ { "policy", "check" }, "FILE",
	  "Check a policy file (docs/policy-format.md); errors name the line.  Exit 1 if it is "
	  "bad.",
	  0, 1, 1, HOME_NONE, run_policy_check },
	{ { "policy", "show" }, "",
	  "The active policy (HOME/policy.conf, else the built-in default), as text or --json.",
	  0, 0, 0, HOME_IF_GIVEN, run_policy_show },
	{ { "policy", "set" }, "FILE",
	  "Check FILE and install it as the CA home's policy; the audit trail records its "
	  "SHA-256.",
	  0, 1, 1, HOME_WRITE, run_policy_set },
	{ { "manufacturer", "add" }, "NAME CA.pem [--segment S]...",
	  "Accept the IEEE 802.1AR IDevIDs of a device manufacturer for CMP enrollment: "
	  "CA.pem holds the CA certificate(s) that issue them (X509 CRL blocks may follow); "
	  "each --segment limits it to that segment (none: every segment).  Recorded in the "
	  "store and the audit trail; each segment's next response bundle carries its "
	  "manufacturers to the station (manufacturers.pem), where serve accepts an ir only if "
	  "its IDevID chains to one of them.  Import verifies the same again (docs/cmp.md).",
	  OPT(O_SEGMENT), 2, 2, HOME_WRITE, run_manufacturer_add },
	{ { "manufacturer", "list" }, "",
	  "Accepted manufacturers, their segments and CA certificate fingerprints.",
	  0, 0, 0, HOME_READ, run_manufacturer_list },
	{ { "manufacturer", "remove" }, "NAME",
	  "No longer accept a manufacturer's IDevIDs (the stations learn it with the next "
	  "response bundle).  Certificates already issued are not touched.",
	  0, 1, 1, HOME_WRITE, run_manufacturer_remove },
	{ { "station", "add" }, "SEGMENT PUBKEY --ca NAME",
	  "Enroll a plant station's minisign public key (station.pub) for a segment served by "
	  "issuing CA NAME.  Shows the key id to compare.",
	  OPT(O_CA), 2, 2, HOME_WRITE, run_station_add },
	{ { "transfer", "roll" }, "",
	  "Make a new CA transfer key in the token, endorsed by the current one.  Each "
	  "segment's next response is signed by the current key and announces the new one; "
	  "once every station of a segment has said in a request bundle that it holds it, the "
	  "segment's responses are signed by the new key, and the stations refuse the old key "
	  "from the first of them on.  Refused while a station does not hold the current key "
	  "yet (docs/lifecycle.md).",
	  0, 0, 0, HOME_WRITE, run_transfer_roll },
	{ { "keys" }, "",
	  "Every key pair in the token that belongs to this CA home (label plantca-ID-...): "
	  "label, algorithm, CKA_ID, SHA-256 of the public key, and its role from the store "
	  "(root or issuing CA generation, transfer key generation: current, previous or retired, "
	  "audit key, firmware signer), pending "
	  "(the new key of an interrupted ca new or ca roll, which the next command "
	  "that uses the token completes) or unused (a command killed after the token made the "
	  "key but before the store recorded it).  Keys are matched by the URI the store holds "
	  "(CKA_ID and label).  The token's other objects are counted, never touched.",
	  0, 0, 0, HOME_WRITE, run_keys },
	{ { "keys", "remove" }, "LABEL",
	  "Destroy one key that plantca keys shows as unused, or a retired transfer key (two "
	  "rolls old: it signs nothing), private and public object, after "
	  "its key.remove audit event.  A key the store uses, one an intent names, one not this "
	  "CA home's, and a label not on the token are refused.  If the token fails after the "
	  "event, the key is still shown unused and the same command completes the removal.",
	  0, 1, 1, HOME_WRITE, run_keys_remove },
	{ { "station", "list" }, "",
	  "Enrolled stations, segments, last sequences, the CA transfer key each holds, and a new "
	  "station key (rekey) the CA has not yet seen sign.",
	  0, 0, ANY, HOME_READ, run_station_list },
	{ { "import" }, "BUNDLE.tar",
	  "Verify a request bundle (signature by an enrolled station, segment, sequence, "
	  "expiry, every hash) and check each request as sign will (policy, segment, the TBS, "
	  "the pre-issuance check with the CA's name constraints; no HSM): rejected with why, "
	  "else approved (approval = auto) or pending.  The bundle goes in whole or not at all: "
	  "an import cut short after a large bundle's first chunk is removed by the next "
	  "command that changes the CA home; then import the bundle again.",
	  0, 1, 1, HOME_WRITE, run_import },
	{ { "requests" }, "[--status pending|approved|rejected|signing|issued]",
	  "The review screen: subject, SAN, key type, profile, station and any reason, per "
	  "request.  Untrusted text is shown escaped: \\x1b (controls, bytes that are not "
	  "UTF-8), \\u202e (C1, bidi, invisible).",
	  OPT(O_STATUS), 0, ANY, HOME_READ, run_requests },
	{ { "approve" }, "ID... | --all",
	  "Approve pending requests.  A profile with approval = single (ldevid by default) is "
	  "approved only by 'approve ID' with that ID alone; --all skips it and says so.",
	  OPT(O_ALL), 0, ANY, HOME_WRITE, run_approve },
	{ { "reject" }, "ID --reason TEXT",
	  "Reject a pending or approved request.",
	  OPT(O_REASON), 1, 1, HOME_WRITE, run_reject },
	{ { "sign" }, "",
	  "Issue every approved request (progress on a terminal).  Completes interrupted "
	  "issuances first.  A request that no longer passes its checks is rejected with the "
	  "reason and the others are still signed (exit 1 when any was refused).  Each request "
	  "yields at most one certificate, however runs are killed or started side by side: "
	  "approved -> signing (serial reserved, with the intent) -> issued (with the "
	  "certificate).",
	  0, 0, ANY, HOME_WRITE, run_sign },
	{ { "export" }, "SEGMENT DIR",
	  "Write the signed response bundle for a segment: new certificates, chain.pem, "
	  "trust.pem, trust.p7b, signed by the CA transfer key in the token.",
	  0, 2, 2, HOME_WRITE, run_export },
	{ { "renew" }, "[--expiring DAYS] [--segment S] [--serial SERIAL]...",
	  "Queue renewal requests, for the same key and identity, for the valid certificates of "
	  "the segments that expire within DAYS (30), of segment S only, or exactly the SERIALs "
	  "(all or nothing).  Only where the profile says renewal = same-key (rekey-only: the "
	  "device sends a new key, as a CSR or a CMP kur; none: never).  Each request is judged "
	  "as import judges a CSR: approved (approval = auto), pending, or rejected with the "
	  "reason; plantca sign issues it, recorded as superseding the old certificate (certs, "
	  "show), and the next export delivers it.",
	  OPT(O_EXPIRING) | OPT(O_SEGMENT) | OPT(O_SERIAL), 0, 0, HOME_WRITE, run_renew },
	{ { "certs" }, "[--segment S] [--expiring DAYS] [--revoked]",
	  "Issued certificates: serial, status, expiry, profile, CA, subject, SAN; in serial "
	  "order, with --expiring soonest first.  Each filter is answered from an index, not by "
	  "reading every certificate.",
	  OPT(O_SEGMENT) | OPT(O_EXPIRING) | OPT(O_REVOKED), 0, 0, HOME_READ, run_certs },
	{ { "status" }, "[--margin DAYS] [--expiring DAYS]",
	  "Per segment: last export, nextUpdate of the CRLs delivered then, days left, "
	  "certificates expiring within DAYS (30); flags segments whose delivered CRL expires "
	  "within the margin (3 days) or never went out.  Then every coming expiry event, "
	  "soonest first, with what to do: the root, each CA, the last day each issuing CA "
	  "issues certificates for their full validity, each CA's CRL, each segment's delivered "
	  "CRLs, device certificates by month.  --json: {\"segments\": [...], \"events\": [...]}.",
	  OPT(O_MARGIN) | OPT(O_EXPIRING), 0, 0, HOME_READ, run_status },
	{ { "discovered" }, "[--segment S] [--expiring DAYS]",
	  "The plant-wide view of what the stations' scans found (plantca-station scan, carried "
	  "by request --scan; docs/discovery.md): per segment its latest scan report, what "
	  "changed since the one before (endpoints new, gone, with another certificate), every "
	  "endpoint that answered with its certificates judged by this CA (to enroll unless "
	  "this CA issued it; self-signed, expired, expiring within DAYS (30), weak-key, "
	  "weak-signature, shared-key across the whole plant, name-mismatch, uri-mismatch, "
	  "policy-none, deprecated-policy, ...), then the expected enrollments.",
	  OPT(O_SEGMENT) | OPT(O_EXPIRING), 0, 0, HOME_READ, run_discovered },
	{ { "discovered", "expect" }, "ENDPOINT... --segment S [--reason TEXT]",
	  "Turn a finding into an expected enrollment: each ENDPOINT (as discovered shows it, "
	  "e.g. tls://10.3.0.5:443) must have answered in segment S's latest scan with a "
	  "certificate this CA did not issue.  plantca status counts it open until a later "
	  "imported scan shows a certificate of this CA there; TEXT is kept as a note.",
	  OPT(O_SEGMENT) | OPT(O_REASON), 1, ANY, HOME_WRITE, run_discovered_expect },
	{ { "report" }, "[-o FILE.html]",
	  "The plant at a glance as one HTML page (on stdout, or written atomically into FILE): "
	  "the CA hierarchy with expiry dates, each segment's delivered CRL and its days left (red "
	  "when stale), certificates expiring per month, pending requests, recent revocations, "
	  "the last signed audit checkpoint.  Self-contained: no script, and no style, font or "
	  "image from outside the file, so it opens on a machine without network.  Text from "
	  "the store is escaped.",
	  OPT(O_OUTPUT), 0, 0, HOME_READ, run_report },
	{ { "show" }, "SERIAL [--pem]",
	  "One certificate in detail (or its PEM).",
	  OPT(O_PEM), 1, 1, HOME_READ, run_show },
	{ { "revoke" }, "SERIAL --reason R | revoke --from-file FILE --reason R",
	  "Revoke certificates (an issuing CA by its certificate's serial: it goes on the "
	  "root's CRL).  R: keyCompromise, cACompromise, affiliationChanged, superseded, "
	  "cessationOfOperation, privilegeWithdrawn, or unspecified (no reason code on the "
	  "CRL).  FILE: one serial a line ('#' comments); all or nothing.  Unknown, already "
	  "revoked or expired serials are refused.  No PIN needed; the revocation reaches "
	  "devices with the next CRL.",
	  OPT(O_REASON) | OPT(O_FROM_FILE), 0, 1, HOME_WRITE, run_revoke },
	{ { "crl" }, "[--ca NAME] [-o FILE] [--der] [--next-update DAYS] "
	  "[--clock-override --reason TEXT]",
	  "Sign a new v2 CRL (PEM, or DER with --der) for CA NAME ('root' for the root's), on "
	  "stdout or into FILE; without --ca, one for every CA into HOME/crl/NAME.crl.  Each "
	  "key generation of a CA that a roll replaced and that still signs CRLs gets its own, "
	  "into HOME/crl/NAME~GEN.crl, with --ca too; each CRL is reported (on stderr when the "
	  "CRL goes to stdout; --json: an array).  The "
	  "current CRLs are kept in the store for export.  nextUpdate = thisUpdate + the CA's "
	  "cadence: 7 days for issuing CAs, 180 for the root; --next-update DAYS (with --ca) "
	  "sets that CA's cadence from now on.  Refused when the clock is earlier than the "
	  "thisUpdate of the last CRL that CA signed.  If that CRL was signed with the clock "
	  "ahead and the clock is right now, --clock-override --reason TEXT (with --ca) signs "
	  "anyway: thisUpdate is the clock, the CRL number still goes up, and the audit trail "
	  "records both times and TEXT.",
	  OPT(O_CA) | OPT(O_OUTPUT) | OPT(O_DER) | OPT(O_NEXT_UPDATE) | OPT(O_CLOCK_OVERRIDE) |
	  OPT(O_REASON), 0, 0, HOME_WRITE, run_crl },
	{ { "firmware", "signer", "new" }, "NAME --ca CA --subject DN [--key ALG] [--days N] "
	  "[--package P]...",
	  "Firmware signer: key in the token (ec-p256 default, ec-p384, ed25519) and a "
	  "code-signing certificate from CA under the policy's profile code-signing, naming the "
	  "packages it may sign (default: NAME); the verifiers refuse its signatures for any "
	  "other package.",
	  OPT(O_CA) | OPT(O_SUBJECT) | OPT(O_KEY) | OPT(O_DAYS) | OPT(O_PACKAGE),
	  1, 1, HOME_WRITE, run_fw_signer_new },
	{ { "firmware", "signer", "list" }, "",
	  "Signers with certificate serial, status, packages.",
	  0, 0, 0, HOME_READ, run_fw_signer_list },
	{ { "firmware", "sign" }, "IMAGE --signer NAME --fw-version V [--package P] "
	  "[--target OID]... [-o FILE] [--minisign] [--format cms|rauc|swupdate]",
	  "Detached CMS signature (DER, default IMAGE.p7s) with the RFC 4108 firmware package "
	  "(P:V, P defaults to the signer name) and target hardware attributes.  --minisign "
	  "(Ed25519 signers) also writes a minisign signature (FILE without .p7s, plus "
	  ".minisig).  --format rauc: IMAGE is a RAUC plain bundle or its squashfs, -o OUT.raucb "
	  "the signed bundle.  --format swupdate: IMAGE is sw-description (signature "
	  "IMAGE.sig) or a .swu (-o OUT.swu, rebuilt with sw-description.sig second).",
	  OPT(O_SIGNER) | OPT(O_FW_VERSION) | OPT(O_PACKAGE) | OPT(O_TARGET) | OPT(O_OUTPUT) |
	  OPT(O_MINISIGN) | OPT(O_FORMAT), 1, 1, HOME_WRITE, run_fw_sign },
	{ { "firmware", "list" }, "",
	  "Every signature firmware sign made: time, format, package:version, digest of what "
	  "was signed, size, signer, output.",
	  0, 0, 0, HOME_READ, run_fw_list },
	{ { "firmware", "verify" }, "IMAGE SIG --trust FILE [--crl FILE]... [--min-version V] "
	  "[--target OID]",
	  "Check a firmware signature: digest, signature, chain to --trust, codeSigning, the "
	  "signer's package list, revocation, rollback, target.  Exit 0 valid, 1 refused.",
	  OPT(O_TRUST) | OPT(O_CRL) | OPT(O_MIN_VERSION) | OPT(O_TARGET),
	  2, 2, HOME_NONE, run_fw_verify },
	{ { "firmware", "publish" }, "SEGMENT SIG",
	  "Queue a firmware signature for the segment's next response bundle.",
	  0, 2, 2, HOME_WRITE, run_fw_publish },
	{ { "audit", "log" }, "",
	  "The audit trail, oldest first.",
	  0, 0, ANY, HOME_READ, run_audit_log },
	{ { "migrate" }, "",
	  "Upgrade a store written by an older plantca to this release's schema, in one "
	  "transaction that keeps every record and adds a store.migrate audit event.  Any "
	  "command that changes the CA home does the same first; read-only ones refuse an older "
	  "store until it is upgraded.  A store of a newer plantca is refused by every command.",
	  0, 0, 0, HOME_WRITE, run_migrate },
	{ { "audit", "verify" }, "",
	  "Check the hash chain, then the store's invariants (no request with two "
	  "certificates, no certificate without its request, an intent for every request being "
	  "signed); exit 1 on any finding or if an event was modified, deleted or reordered.",
	  0, 0, ANY, HOME_READ, run_audit_verify },
	{ { "backup" }, "DIR",
	  "Write a signed backup of the CA home to DIR (must not exist, or be empty): the "
	  "store (LMDB's compacting copy), policy, public files, CRL files and a MANIFEST of "
	  "their SHA-256, signed by the audit key in the token.  The keys stay in the token: "
	  "back it up too (docs/operations.md).",
	  0, 1, 1, HOME_WRITE, run_backup },
	{ { "restore" }, "DIR --home NEW",
	  "Make the new CA home NEW from backup DIR: every SHA-256 and the MANIFEST signature "
	  "checked, every key the store names found in the token; CRL numbers and response "
	  "sequences are moved past anything issued after the backup (docs/operations.md).",
	  0, 1, 1, HOME_NONE, run_restore },
	{ { "audit", "checkpoint" }, "",
	  "Sign the audit chain's head now with the audit key in the token (export and every "
	  "state-changing command that uses the token once enough events have passed do so "
	  "anyway); `audit verify` checks every checkpoint.",
	  0, 0, 0, HOME_WRITE, run_audit_checkpoint },
	{ { "audit", "interval" }, "N",
	  "Sign a checkpoint every N events (default 100), at the next command that uses the token.",
	  0, 1, 1, HOME_WRITE, run_audit_interval },
	{ { "audit", "export" }, "FILE",
	  "Write the audit trail to FILE for plantca-station audit-check, which proves against "
	  "the checkpoints a station kept that the trail still holds what the plant was shown.",
	  0, 1, 1, HOME_READ, run_audit_export },
};
const size_t ca_nverbs = sizeof ca_verbs / sizeof ca_verbs[0];

/* The first option given (in command-line order) that verb v does not
 * take, or -1. */
static int stray_option(const struct args *a, const struct verb *v)
{
	uint64_t stray = a->given & ~(v->opts | GLOBAL_OPTS);
	int id, first = -1;

	for (id = 0; id < O_COUNT; id++)
		if ((stray & OPT(id)) && (first < 0 || a->first_at[id] < a->first_at[first]))
			first = id;
	return first;
}

int main(int argc, char **argv)
{
	const struct verb *v;
	struct args a;
	ca_ctx c, *cp = NULL;
	pc_err e = { PC_OK, "" };
	char words[64];
	pc_rc rc;
	int st, stray;

	if (pc_secure_process(&e) != PC_OK)
		return fail(&e);
	if ((st = parse_args(argc, argv, &a)) != 0 || (a.npos == 0 && !a.help)) {
		if (st == 0)
			st = usage_error("%s", "no verb given");
		args_free(&a);
		return st;
	}
	if (a.npos == 0) {
		help_all();
		args_free(&a);
		return 0;
	}
	if ((v = verb_find(a.pos, a.npos)) == NULL) {
		st = verb_none(&a);
		args_free(&a);
		return st;
	}
	verb_words(v, words, sizeof words);
	if (a.help) {
		help_one(v);
		args_free(&a);
		return 0;
	}
	/* an option the verb does not take is a mistake in the command, not a
	 * detail to skip: refused before anything is opened */
	if ((stray = stray_option(&a, v)) >= 0) {
		fprintf(stderr, "plantca: %s: option %s%s does not apply (plantca %s --help)\n", words,
		    stray == O_OUTPUT && a.short_o ? "-" : "--",
		    stray == O_OUTPUT && a.short_o ? "o" : opts[stray].name, words);
		args_free(&a);
		return 2;
	}
	a.arg = a.pos + verb_nwords(v);
	a.narg = a.npos - verb_nwords(v);
	if (a.narg < v->args_min || (v->args_max != ANY && a.narg > v->args_max)) {
		st = usage_error("usage: plantca %s%s%s", words, v->synopsis[0] ? " " : "",
		    v->synopsis);
		args_free(&a);
		return st;
	}
	a.permit[a.npermit] = NULL;

	if (v->home == HOME_READ || v->home == HOME_WRITE || (v->home == HOME_IF_GIVEN && a.home)) {
		/* read-only verbs never wait for, nor block, a command that
		 * changes the CA home; the others hold its lock while they run */
		if (ca_open(&c, a.home, v->home == HOME_WRITE, &e) != PC_OK) {
			args_free(&a);
			return fail(&e);
		}
		c.pin_file = a.pin_file;
		c.json = a.json;
		c.progress = isatty(STDERR_FILENO) && !a.json;
		cp = &c;
	}
	rc = v->run(cp, &a, &e);
	/* every CA_CHECKPOINT_EVERY events a signed checkpoint, made by the
	 * first state-changing command that holds the token */
	if (rc == PC_OK && cp != NULL && cp->h != NULL && v->home == HOME_WRITE) {
		bool made;
		if ((rc = ca_checkpoint(cp, false, true, &made, NULL, NULL, &e)) != PC_OK)
			pc_wrap(&e, "%s done, but the audit checkpoint that was due failed", v->words[0]);
	}
	if (cp)
		ca_close(cp);
	args_free(&a);
	if (fflush(stdout) != 0 && rc == PC_OK)
		rc = pc_fail(&e, PC_E_IO, "stdout: write failed");
	return rc == PC_OK ? 0 : fail(&e);
}
