/*
 * mkresponse - test tool: builds bundles as the CA side would (or as an
 * attacker might), so that plantca-station accept can be tested before and
 * independently of `plantca export`.  Never installed.
 *
 *   mkresponse genkey SECFILE PUBFILE --passphrase-file F
 *   mkresponse build --key SECFILE --pub PUBFILE --passphrase-file F
 *       --segment S --sequence N -o DIR [--kind response|request]
 *       [--name NAME] [--created-offset SECS] [--expires-offset SECS]
 *       [--reply NAME]... [--patch-type MEMBER=C] [--patch-name MEMBER=NEW]
 *       [--garbage] [--tamper] MEMBER=FILE...
 *
 * The bundle is built with the library (tr_bundle_build); --patch-type and
 * --patch-name then rewrite one ustar header (fixing its checksum) and
 * --garbage appends bytes after the archive, all before signing, so that
 * the reader's structural checks are what refuses them.  --tamper flips a
 * byte after signing.  Offsets are relative to now (default: created now,
 * expires in 30 days).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "file.h"
#include "pc.h"
#include "secret.h"
#include "transfer.h"

enum { MK_FILE_MAX = 64 * 1024 * 1024, MK_KEY_MAX = 4096, MK_REPLY_MAX = 16 };

static int die(const pc_err *e)
{
	fprintf(stderr, "mkresponse: %s\n", e->msg);
	return 2;
}

static int usage(void)
{
	fprintf(stderr, "usage: mkresponse genkey SEC PUB --passphrase-file F\n"
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

static int genkey(const char *sec, const char *pubpath, const char *passfile)
{
	pc_secret pass = { NULL, 0 };
	pc_buf file = PC_BUF_INIT, pb = PC_BUF_INIT;
	tr_pubkey pub;
	tr_seckey sk = { { 0 }, NULL };
	pc_err e = { PC_OK, "" };

	if (pc_secret_read(&pass, passfile, "passphrase", &e) != PC_OK ||
	    tr_seckey_generate(&pass, &file, &pub, &sk, &e) != PC_OK)
		return die(&e);
	tr_seckey_free(&sk);
	pc_secret_free(&pass);
	tr_pubkey_format(&pub, &pb);
	if (pc_file_write_atomic(sec, file.p, file.len, 0600, true, &e) != PC_OK ||
	    pc_file_write_atomic(pubpath, pb.p, pb.len, 0644, true, &e) != PC_OK)
		return die(&e);
	pc_buf_free(&file);
	pc_buf_free(&pb);
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
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *pubpath = NULL, *passfile = NULL, *segment = NULL, *out = NULL;
	const char *name = NULL, *ptype = NULL, *pname = NULL;
	char *reply[MK_REPLY_MAX + 1] = { NULL };
	unsigned long long seq = 0;
	long long coff = 0, xoff = 30LL * 86400;
	bool garbage = false, tamper = false;
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
		return die(&e);
	if (argc < 2)
		return usage();
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
		case 'o': out = optarg; break;
		default: return usage();
		}
	}
	if (strcmp(argv[1], "genkey") == 0) {
		if (argc - optind != 2 || passfile == NULL)
			return usage();
		return genkey(argv[optind], argv[optind + 1], passfile);
	}
	if (strcmp(argv[1], "build") != 0 || !key || !pubpath || !passfile || !segment || !out ||
	    seq == 0)
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
			return die(&e);
		members[nm].data = data[nm];
		nm++;
	}

	if (pc_file_read(pubpath, MK_KEY_MAX, &text, &len, &e) != PC_OK ||
	    tr_pubkey_parse(text, len, pubpath, &pub, &e) != PC_OK)
		return die(&e);
	free(text);
	if (pc_file_read(key, MK_KEY_MAX, &text, &len, &e) != PC_OK ||
	    pc_secret_read(&pass, passfile, "passphrase", &e) != PC_OK ||
	    tr_seckey_open(text, len, key, &pass, &sk, &e) != PC_OK)
		return die(&e);
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
	if (name != NULL)
		snprintf(bname, sizeof bname, "%s", name);
	else
		tr_bundle_name(kind, segment, seq, bname, sizeof bname);
	snprintf(file, sizeof file, "%s.tar", bname);

	if (tr_bundle_build(&meta, members, nm, &tar, &e) != PC_OK)
		return die(&e);
	if (ptype != NULL && patch(&tar, ptype, true) != 0)
		return 2;
	if (pname != NULL && patch(&tar, pname, false) != 0)
		return 2;
	if (garbage)
		pc_buf_str(&tar, "trailing garbage after the archive\n");
	tr_trusted_comment(&meta, bname, comment, sizeof comment);
	if (tr_minisig_make(tar.p, tar.len, &pub, comment, tr_seckey_sign, &sk, &sig, &e) != PC_OK)
		return die(&e);
	if (tamper)
		tar.p[tar.len / 2] ^= 0x01;
	if (tr_bundle_write(out, bname, &tar, &sig, &e) != PC_OK)
		return die(&e);
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
