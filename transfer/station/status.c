/*
 * status.c - verb status: what this station trusts, what it last accepted
 * and what is about to run out, and what to tell the CA officer.
 *
 *   trust      the plant root (DIR/root.pem) and the CA transfer key
 *              (DIR/ca-transfer.pub), with the fingerprints plantca init
 *              printed
 *   sequence   the next request bundle, the last accepted response
 *   CRLs       those of the last accepted response (DIR/crls.pem), or
 *              with --pki those in PKI_DIR that the devices read; each
 *              one's nextUpdate and days left
 *   certs      the plant CAs (DIR/plant.pem), the RA certificate
 *              (DIR/ra.pem), and with --pki the device certificates in
 *              PKI_DIR (certs/, own/certs/); each one's notAfter
 *   tell       one line per thing the officer must act on
 *
 * Read-only: takes no lock, writes nothing.  A file that is missing is
 * reported as missing; one that does not parse refuses the command with
 * the file and the reason (the station's files are not ours to guess at).
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file.h"
#include "json.h"
#include "pem.h"
#include "station.h"
#include "text.h"

enum {
	ST_STATUS_CRL_DAYS = 3,        /* a CRL this close to nextUpdate: tell the officer */
	ST_STATUS_CERT_DAYS = 30,      /* a certificate this close to notAfter: renew it */
	ST_STATUS_ITEMS_MAX = 4096,    /* CRLs or certificates listed */
	ST_STATUS_NOTE_MAX = 512,
};

typedef struct st_item {
	char file[PATH_MAX];           /* where it was read */
	char name[ST_CN_MAX + 1];      /* CN, or the CRL issuer's CN */
	char serial[2 * ST_SERIAL_MAX + 1];
	char kind[16];                 /* "root", "ca", "ra", "device", "crl" */
	time_t when;                   /* notAfter, nextUpdate (0: none) */
	long days;                     /* days left, negative when past */
} st_item;

typedef struct st_status_s {
	time_t now;
	st_item *items;
	size_t n, cap;
	char (*notes)[ST_STATUS_NOTE_MAX];
	size_t nnotes, notes_cap;
} st_status_s;

static long days_left(time_t when, time_t now)
{
	long d = (long)(when - now);

	return d >= 0 ? d / PC_DAY : -((-d + PC_DAY - 1) / PC_DAY);
}

PC_CHECK static pc_rc note(st_status_s *s, pc_err *e, const char *fmt, ...) PC_PRINTF(3, 4);
PC_CHECK static pc_rc note(st_status_s *s, pc_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!pc_grow(&s->notes, &s->notes_cap, s->nnotes + 1, sizeof s->notes[0], 8))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	va_start(ap, fmt);
	vsnprintf(s->notes[s->nnotes++], ST_STATUS_NOTE_MAX, fmt, ap);
	va_end(ap);
	return PC_OK;
}

PC_CHECK static pc_rc item_new(st_status_s *s, const char *kind, const char *file, st_item **out,
    pc_err *e)
{
	st_item *it;

	if (s->n == ST_STATUS_ITEMS_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: more than %d certificates and CRLs to show", file,
		    ST_STATUS_ITEMS_MAX);
	if (!pc_grow(&s->items, &s->cap, s->n + 1, sizeof s->items[0], 16))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	it = &s->items[s->n++];
	memset(it, 0, sizeof *it);
	snprintf(it->kind, sizeof it->kind, "%s", kind);
	snprintf(it->file, sizeof it->file, "%s", file);
	*out = it;
	return PC_OK;
}

PC_CHECK static pc_rc cert_item(st_status_s *s, const char *kind, const char *file,
    const st_cert *c, pc_err *e)
{
	st_item *it;

	PC_TRY(item_new(s, kind, file, &it, e));
	snprintf(it->name, sizeof it->name, "%s", c->cn[0] ? c->cn : "(no CN)");
	snprintf(it->serial, sizeof it->serial, "%s", c->serial);
	it->when = c->pc.not_after;
	it->days = days_left(it->when, s->now);
	if (it->when <= s->now) {
		char when[PC_TIME_TEXT_MAX];
		pc_time_text(it->when, when);
		return note(s, e, "%s certificate %s (%s) expired at %s: %s", kind, it->name, file,
		    when, strcmp(kind, "device") == 0 ? "send a renewal request (plantca-station "
		    "request)" : "ask the CA officer for a new one");
	}
	if (it->days < ST_STATUS_CERT_DAYS)
		return note(s, e, "%s certificate %s (%s) expires in %ld day%s: %s", kind, it->name,
		    file, it->days, it->days == 1 ? "" : "s", strcmp(kind, "device") == 0 ? "send a renewal request (plantca-station "
		    "request)" : "ask the CA officer for a new one");
	return PC_OK;
}

/* DIR/NAME if it exists, else *p NULL */
PC_CHECK static pc_rc read_opt(const char *dir, const char *name, char path[PATH_MAX],
    uint8_t **p, size_t *n, pc_err *e)
{
	struct stat sb;

	*p = NULL;
	*n = 0;
	PC_TRY(st_path_join(path, dir, name, e));
	if (stat(path, &sb) != 0)
		return PC_OK;
	return pc_file_read(path, ST_TRUST_MAX, p, n, e);
}

typedef struct pem_ctx {
	st_status_s *s;
	const char *file;
	const st_certs *cas;           /* to name a CRL's issuer */
} pem_ctx;

PC_CHECK static pc_rc crl_item(st_status_s *s, const char *file, const st_crl *c,
    const st_certs *cas, pc_err *e)
{
	const st_cert *ca = NULL;
	st_item *it;
	size_t i;

	for (i = 0; cas && i < cas->n && ca == NULL; i++)
		if (cas->v[i].subject_len == c->issuer_len &&
		    memcmp(cas->v[i].subject, c->issuer, c->issuer_len) == 0)
			ca = &cas->v[i];
	PC_TRY(item_new(s, "crl", file, &it, e));
	snprintf(it->name, sizeof it->name, "%s", ca && ca->cn[0] ? ca->cn : "(issuer not among the "
	    "plant CAs)");
	it->when = c->next_update;
	it->days = it->when ? days_left(it->when, s->now) : 0;
	if (it->when == 0)
		return note(s, e, "CRL of %s (%s) has no nextUpdate", it->name, file);
	if (it->when <= s->now)
		return note(s, e, "CRL of %s (%s) expired (nextUpdate passed): devices that check "
		    "revocation refuse certificates; ask the CA officer for a new response bundle now "
		    "(plantca crl, plantca export)", it->name, file);
	if (it->days < ST_STATUS_CRL_DAYS)
		return note(s, e, "CRL of %s (%s) expires in %ld day%s: ask the CA officer for a new "
		    "response bundle (plantca crl, plantca export)", it->name, file, it->days,
		    it->days == 1 ? "" : "s");
	return PC_OK;
}

PC_CHECK static pc_rc crl_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	pem_ctx *x = ctx;
	st_crl c;
	pc_rc rc;

	PC_TRY(st_crl_parse(der, len, x->file, &c, e));
	rc = crl_item(x->s, x->file, &c, x->cas, e);
	st_crl_free(&c);
	return rc;
}

/* The device certificates and the CRLs in PKI_DIR, both layouts. */
PC_CHECK static pc_rc scan_pki(st_status_s *s, const char *pki, const st_certs *cas, pc_err *e)
{
	static const struct { const char *sub; bool crl; } dirs[] = {
		{ "certs", false }, { "own/certs", false },
		{ "crl", true }, { "trusted/crl", true }, { "issuers/crl", true },
	};
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	size_t i;
	pc_rc rc = PC_OK;

	for (i = 0; i < sizeof dirs / sizeof dirs[0] && rc == PC_OK; i++) {
		struct dirent **names = NULL;
		int k, n;
		snprintf(dir, sizeof dir, "%s/%s", pki, dirs[i].sub);
		if ((n = scandir(dir, &names, NULL, alphasort)) < 0)
			continue;            /* the other layout, or nothing delivered */
		for (k = 0; k < n; k++) {
			const char *f = names[k]->d_name;
			uint8_t *p = NULL;
			size_t len;
			if (rc != PC_OK || !(dirs[i].crl ? st_has_suffix(f, ".crl") :
			    st_has_suffix(f, ".pem") || st_has_suffix(f, ".der")))
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, f);
			rc = pc_file_read(path, ST_OWN_FILE_MAX, &p, &len, e);
			if (rc == PC_OK && dirs[i].crl) {
				st_crl c;
				if ((rc = st_crl_parse(p, len, path, &c, e)) == PC_OK) {
					rc = crl_item(s, path, &c, cas, e);
					st_crl_free(&c);
				}
			} else if (rc == PC_OK) {
				st_cert c;
				/* own/certs/CN.pem: the device's certificate, then its chain */
				if ((rc = st_cert_load_first(p, len, path, &c, e)) == PC_OK) {
					rc = cert_item(s, "device", path, &c, e);
					st_cert_free(&c);
				}
			}
			free(p);
		}
		for (k = 0; k < n; k++)
			free(names[k]);
		free(names);
	}
	return rc;
}

/* ------------------------------------------------------------- output */

static void show_text(const st_status_s *s, const st_args *a, const st_conf *c,
    const char *station_id, const char *ca_id, const char *ca_fp, const st_cert *root,
    const char *root_fp)
{
	size_t i;

	printf("station:               %s (segment %s)\n", a->dir, c->segment);
	printf("station key id:        %s\n", station_id);
	printf("CA transfer key id:    %s\n", ca_id);
	printf("transfer SPKI SHA-256: %s\n", ca_fp);
	printf("root:                  ");
	pc_text_fputs(stdout, root->cn[0] ? root->cn : "(no CN)");
	printf("\nroot SHA-256:          %s\n", root_fp);
	printf("next request sequence: %" PRIu64 "\n", c->next_request);
	if (c->last_response)
		printf("last response:         %" PRIu64 " (%s)\n", c->last_response,
		    c->last_bundle[0] ? c->last_bundle : "name not recorded");
	else
		printf("last response:         none accepted yet\n");
	printf("\n%-6s %-20s %-9s %-30s %s\n", "KIND", "UNTIL", "DAYS LEFT", "NAME", "FILE");
	for (i = 0; i < s->n; i++) {
		char when[PC_TIME_TEXT_MAX] = "none";
		if (s->items[i].when)
			pc_time_text(s->items[i].when, when);
		printf("%-6s %-20s %-9ld ", s->items[i].kind, when, s->items[i].days);
		pc_text_fputs(stdout, s->items[i].name);
		printf("%*s ", (int)(strlen(s->items[i].name) < 30 ? 30 - strlen(s->items[i].name) : 0),
		    "");
		pc_text_fputs(stdout, s->items[i].file);
		putchar('\n');
	}
	printf("\n");
	if (s->nnotes == 0)
		printf("Nothing to tell the CA officer.\n");
	else
		printf("Tell the CA officer:\n");
	for (i = 0; i < s->nnotes; i++) {
		printf("  - ");
		pc_text_fputs(stdout, s->notes[i]);
		putchar('\n');
	}
}

static void show_json(const st_status_s *s, const st_args *a, const st_conf *c,
    const char *station_id, const char *ca_id, const char *ca_fp, const st_cert *root,
    const char *root_fp)
{
	char when[PC_TIME_TEXT_MAX];
	size_t i;

	printf("{\"dir\":");
	json_str(stdout, a->dir);
	printf(",\"segment\":\"%s\",\"station_key_id\":\"%s\",\"ca_transfer_key_id\":\"%s\","
	    "\"ca_transfer_spki_sha256\":\"%s\",\"root_sha256\":\"%s\",\"root_subject_cn\":",
	    c->segment, station_id, ca_id, ca_fp, root_fp);
	json_str(stdout, root->cn);
	printf(",\"next_request_sequence\":%" PRIu64 ",\"last_response_sequence\":%" PRIu64
	    ",\"last_response_bundle\":", c->next_request, c->last_response);
	if (c->last_bundle[0])
		json_str(stdout, c->last_bundle);
	else
		printf("null");
	printf(",\"items\":[");
	for (i = 0; i < s->n; i++) {
		const st_item *it = &s->items[i];
		pc_time_text(it->when, when);
		printf("%s{\"kind\":\"%s\",\"name\":", i ? "," : "", it->kind);
		json_str(stdout, it->name);
		printf(",\"serial\":\"%s\",\"until\":%s%s%s,\"days_left\":%ld,\"file\":", it->serial,
		    it->when ? "\"" : "", it->when ? when : "null", it->when ? "\"" : "", it->days);
		json_str(stdout, it->file);
		putchar('}');
	}
	printf("],\"tell_officer\":[");
	for (i = 0; i < s->nnotes; i++) {
		printf("%s", i ? "," : "");
		json_str(stdout, s->notes[i]);
	}
	printf("]}\n");
}

pc_rc st_status(const st_args *a, pc_err *e)
{
	st_status_s s;
	st_conf conf;
	st_cert root;
	st_certs cas = { NULL, 0, 0, "plant.pem" };  /* the root first, then plant.pem's */
	tr_pubkey station, ca;
	char path[PATH_MAX], station_id[17], ca_id[17], ca_fp[PC_FINGERPRINT_MAX];
	char root_fp[PC_FINGERPRINT_MAX];
	uint8_t *p = NULL;
	size_t n, i;
	pc_rc rc = PC_OK;

	memset(&s, 0, sizeof s);
	s.now = time(NULL);
	PC_TRY_OUT(st_conf_load(a->dir, &conf, e));
	PC_TRY_OUT(st_pubkey_load(a->dir, "station.pub", &station, e));
	PC_TRY_OUT(st_pubkey_load(a->dir, "ca-transfer.pub", &ca, e));
	tr_keyid_text(station.keyid, station_id);
	tr_keyid_text(ca.keyid, ca_id);
	st_transfer_fingerprint(&ca, ca_fp);
	PC_TRY_OUT(st_path_join(path, a->dir, "root.pem", e));
	PC_TRY_OUT(st_root_load(path, &root, e));
	pc_fingerprint(root.der, root.len, root_fp);
	PC_TRY_OUT(st_certs_push(&cas, &root, e));          /* cas owns it now */
	PC_TRY_OUT(cert_item(&s, "root", path, &cas.v[0], e));
	if (conf.last_response == 0)
		PC_TRY_OUT(note(&s, e, "no response bundle accepted yet: the devices have no "
		    "certificates or CRLs from the CA; bring the first response bundle "
		    "(plantca export %s)", conf.segment));
	/* the plant CAs of the last response (the root is among them) */
	PC_TRY_OUT(read_opt(a->dir, "plant.pem", path, &p, &n, e));
	if (p != NULL) {
		size_t first = cas.n;
		rc = st_certs_add_pem(&cas, p, n, e);
		free(p);
		p = NULL;
		PC_TRY_OUT(rc);
		for (i = first; i < cas.n; i++)
			if (!cas.v[i].self_signed)
				PC_TRY_OUT(cert_item(&s, "ca", path, &cas.v[i], e));
	}
	/* the CRLs: the last response's, or with --pki those the devices read */
	if (a->o.pki == NULL) {
		PC_TRY_OUT(read_opt(a->dir, "crls.pem", path, &p, &n, e));
		if (p != NULL) {
			pem_ctx x = { &s, path, &cas };
			rc = pc_pem_decode_all(p, n, "X509 CRL", crl_cb, &x, e);
			/* the PEM reader's own errors name no file; the CRL's do */
			if (rc != PC_OK && strncmp(e->msg, path, strlen(path)) != 0)
				pc_wrap(e, "%s", path);
			free(p);
			p = NULL;
			PC_TRY_OUT(rc);
		}
	}
	PC_TRY_OUT(read_opt(a->dir, "ra.pem", path, &p, &n, e));
	if (p != NULL) {
		st_cert c;
		rc = st_cert_load_first(p, n, path, &c, e);
		free(p);
		p = NULL;
		PC_TRY_OUT(rc);
		rc = cert_item(&s, "ra", path, &c, e);
		st_cert_free(&c);
		PC_TRY_OUT(rc);
	}
	if (a->o.pki != NULL)
		PC_TRY_OUT(scan_pki(&s, a->o.pki, &cas, e));
	if (a->o.json)
		show_json(&s, a, &conf, station_id, ca_id, ca_fp, &cas.v[0], root_fp);
	else
		show_text(&s, a, &conf, station_id, ca_id, ca_fp, &cas.v[0], root_fp);
out:
	free(p);
	st_certs_free(&cas);
	free(s.items);
	free(s.notes);
	return rc;
}
