/*
 * parse.c - policy_parse, policy_load, policy_default: the file read line by
 * line through a pc_reader, its sections, and the checks when a section and
 * the whole file end (references between sections), so every error names one
 * line.
 */
#include "policy_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "oid.h"
#include "text.h"

PC_CHECK static pc_rc section_end(struct parser *ps)
{
	struct profile *pr = ps->cur_prof;
	struct segment *sg = ps->cur_seg;
	int line = ps->line;

	if (pr != NULL) {
		ps->line = pr->line;
		if (pr->keys == 0 && pr->nrsa == 0)
			return pol_perr(ps, "profile %s: no 'keys' (allowed key types)", pr->name);
		if (pr->days == 0)
			return pol_perr(ps, "profile %s: no 'days' (default validity)", pr->name);
		if (pr->max_days == 0)
			pr->max_days = pr->days;
		if (pr->days > pr->max_days)
			return pol_perr(ps, "profile %s: days %u exceed max-days %u", pr->name, pr->days,
			    pr->max_days);
		if (!pr->has_ku)
			return pol_perr(ps, "profile %s: no 'key-usage'", pr->name);
		if (!pr->has_ku_rsa) {
			pr->ku_rsa = pr->ku & ~(unsigned)POLICY_KU_KEY_AGREEMENT;
			pr->ku_rsa_text = pr->ku_text;
		}
		if (pr->ku == 0 && (pr->keys != 0))
			return pol_perr(ps, "profile %s: empty key usage", pr->name);
		if ((pr->keys & (1u << POLICY_KEY_ED25519)) && (pr->ku & POLICY_KU_KEY_AGREEMENT))
			return pol_perr(ps, "profile %s: keyAgreement with ed25519 keys (Ed25519 only signs)",
			    pr->name);
		if ((pr->san_require & ~pr->san_allow) != 0)
			return pol_perr(ps, "profile %s: san-require names a type that san-allow does not",
			    pr->name);
		for (size_t i = 0; i < pr->neku; i++) {
			if (strcmp(pr->eku[i], pkix_oid_dotted(PKIX_OID_KP_CODE_SIGNING)) == 0)
				pr->signs_code = pr->has_codesign = true;
			else if (strcmp(pr->eku[i], pkix_oid_dotted(PKIX_OID_KP_ANY)) == 0)
				pr->signs_code = true;
		}
	}
	if (sg != NULL) {
		ps->line = sg->line;
		if (sg->profiles.n == 0)
			return pol_perr(ps, "segment %s: no 'profiles'", sg->name);
	}
	ps->line = line;
	ps->cur_prof = NULL;
	ps->cur_seg = NULL;
	ps->nseen = 0;
	return PC_OK;
}

PC_CHECK static pc_rc section_start(struct parser *ps, char *s)
{
	policy *p = ps->p;
	size_t n = strlen(s), i;
	char *name;
	bool prof;

	if (s[n - 1] != ']')
		return pol_perr(ps, "section header without ']'");
	s[n - 1] = '\0';
	s++;
	if (strncmp(s, "profile ", 8) == 0)
		prof = true;
	else if (strncmp(s, "segment ", 8) == 0)
		prof = false;
	else
		return pol_perr(ps, "unknown section '[%s]' (profile NAME, segment NAME)", s);
	name = s + 8;
	while (*name == ' ')
		name++;
	n = strlen(name);
	while (n > 0 && name[n - 1] == ' ')
		name[--n] = '\0';
	if (!prof && strcmp(name, "*") == 0) {
		if (p->has_defseg)
			return pol_perr(ps, "segment * defined twice (first at line %d)", p->defseg.line);
		p->has_defseg = true;
		ps->cur_seg = &p->defseg;
		memset(ps->cur_seg, 0, sizeof *ps->cur_seg);
		ps->cur_seg->line = ps->line;
		ps->cur_seg->name = "*";
		return PC_OK;
	}
	if (!pol_name_ok(name))
		return pol_perr(ps, "'%s' is not a valid name ([A-Za-z0-9][A-Za-z0-9._-]*, at most %d)",
		    name, POLICY_NAME_MAX);
	if (prof) {
		for (i = 0; i < p->nprof; i++)
			if (strcmp(p->prof[i].name, name) == 0)
				return pol_perr(ps, "profile %s defined twice (first at line %d)", name,
				    p->prof[i].line);
		if (p->nprof >= POLICY_PROFILES_MAX)
			return pol_perr(ps, "more than %d profiles", POLICY_PROFILES_MAX);
		ps->cur_prof = &p->prof[p->nprof++];
		memset(ps->cur_prof, 0, sizeof *ps->cur_prof);
		ps->cur_prof->line = ps->line;
		ps->cur_prof->name = pol_arena_dup(p, name, n);
		return ps->cur_prof->name ? PC_OK : pc_fail(ps->e, PC_E_NOMEM, "out of memory");
	}
	for (i = 0; i < p->nseg; i++)
		if (strcmp(p->seg[i].name, name) == 0)
			return pol_perr(ps, "segment %s defined twice (first at line %d)", name,
			    p->seg[i].line);
	if (p->nseg >= POLICY_SEGMENTS_MAX)
		return pol_perr(ps, "more than %d segments", POLICY_SEGMENTS_MAX);
	ps->cur_seg = &p->seg[p->nseg++];
	memset(ps->cur_seg, 0, sizeof *ps->cur_seg);
	ps->cur_seg->line = ps->line;
	ps->cur_seg->name = pol_arena_dup(p, name, n);
	return ps->cur_seg->name ? PC_OK : pc_fail(ps->e, PC_E_NOMEM, "out of memory");
}

PC_CHECK static pc_rc parse_line(struct parser *ps, const uint8_t *raw, size_t n)
{
	char buf[POLICY_LINE_MAX + 1];
	char *s, *eq, *key, *val;
	size_t i, kn;

	for (i = 0; i < n; i++) {
		uint8_t c = raw[i];
		if (c == '\r' && i == n - 1)
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return pol_perr(ps, "control character 0x%02x", c);
	}
	n = i;
	if (!pc_utf8_valid(raw, n))   /* RFC 3629 */
		return pol_perr(ps, "not valid UTF-8");
	memcpy(buf, raw, n);
	buf[n] = '\0';
	for (i = 0; i < n; i++)
		if (buf[i] == '\t')
			buf[i] = ' ';
	s = buf;
	while (*s == ' ')
		s++;
	while (n > 0 && (buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (*s == '\0' || *s == '#' || *s == ';')
		return PC_OK;
	if (*s == '[') {
		PC_TRY(section_end(ps));
		return section_start(ps, s);
	}
	eq = strchr(s, '=');
	if (eq == NULL)
		return pol_perr(ps, "expected 'key = value', '[profile NAME]' or '[segment NAME]'");
	key = s;
	kn = (size_t)(eq - s);
	while (kn > 0 && key[kn - 1] == ' ')
		kn--;
	key[kn] = '\0';
	if (kn == 0)
		return pol_perr(ps, "empty key");
	for (i = 0; i < kn; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '-' || key[i] == '.'))
			return pol_perr(ps, "bad character in key '%s'", key);
	val = eq + 1;
	while (*val == ' ')
		val++;
	if (*val == '\0')
		return pol_perr(ps, "%s: empty value", key);
	if (ps->cur_prof == NULL && ps->cur_seg == NULL)
		return pol_perr(ps, "'%s' outside a [profile NAME] or [segment NAME] section", key);
	if (kn >= sizeof ps->seen[0])
		return pol_perr(ps, "unknown key '%s'", key);
	for (i = 0; i < ps->nseen; i++)
		if (strcmp(ps->seen[i], key) == 0)
			return pol_perr(ps, "%s: given twice in this section", key);
	if (ps->nseen < NELEM(ps->seen))
		memcpy(ps->seen[ps->nseen++], key, kn + 1);
	else
		return pol_perr(ps, "too many keys in one section");
	val = pol_arena_dup(ps->p, val, strlen(val));
	if (val == NULL)
		return pc_fail(ps->e, PC_E_NOMEM, "out of memory");
	return ps->cur_prof ? pol_profile_key(ps, key, val) : pol_segment_key(ps, key, val);
}

PC_CHECK static pc_rc check_refs(struct parser *ps)
{
	policy *p = ps->p;
	size_t i, j, k;

	if (p->nprof == 0) {
		ps->line = ps->line > 0 ? ps->line : 1;
		return pol_perr(ps, "no profiles");
	}
	for (i = 0; i < p->nseg + (p->has_defseg ? 1 : 0); i++) {
		struct segment *sg = i < p->nseg ? &p->seg[i] : &p->defseg;
		for (j = 0; j < sg->profiles.n; j++) {
			for (k = 0; k < p->nprof; k++)
				if (strcmp(p->prof[k].name, sg->profiles.v[j]) == 0)
					break;
			if (k == p->nprof) {
				ps->line = sg->profiles_line;
				return pol_perr(ps, "segment %s: profile '%s' is not defined", sg->name,
				    sg->profiles.v[j]);
			}
			/* a station's request never makes a certificate that
			 * could sign firmware (the hard rule in policy_decide;
			 * refused here so that no file pretends otherwise) */
			if (p->prof[k].signs_code) {
				ps->line = sg->profiles_line;
				return pol_perr(ps, "segment %s: profile %s makes code-signing certificates (%s), "
				    "which are never issued from a station's request (`plantca firmware "
				    "signer new` makes signers)", sg->name, p->prof[k].name,
				    p->prof[k].has_codesign ? "codeSigning" : "anyExtendedKeyUsage");
			}
			if (p->prof[k].ca && sg->ca && strcmp(p->prof[k].ca, sg->ca) != 0) {
				ps->line = sg->profiles_line;
				return pol_perr(ps, "segment %s: profile %s issues from CA '%s', the segment "
				    "from CA '%s'", sg->name, p->prof[k].name, p->prof[k].ca, sg->ca);
			}
		}
	}
	return PC_OK;
}

PC_CHECK static pc_rc parse_all(struct parser *ps, const uint8_t *text, size_t len)
{
	pc_reader r = pc_reader_make(text, len);

	while (pc_reader_left(&r) > 0) {
		size_t left = pc_reader_left(&r), n;
		const uint8_t *start = r.p + r.off;
		const uint8_t *nl = memchr(start, '\n', left);
		ps->line++;
		n = nl ? (size_t)(nl - start) : left;
		if (n > POLICY_LINE_MAX)
			return pol_perr(ps, "line longer than %d bytes", POLICY_LINE_MAX);
		if (memchr(start, '\0', n) != NULL)
			return pol_perr(ps, "NUL byte");
		start = pc_reader_take(&r, n);
		if (start == NULL && n > 0)
			return pc_fail(ps->e, PC_E_INTERNAL, "policy reader failed");
		PC_TRY(parse_line(ps, start, n));
		if (nl != NULL && pc_reader_take(&r, 1) == NULL)
			return pc_fail(ps->e, PC_E_INTERNAL, "policy reader failed");
	}
	if (!pc_reader_done(&r))
		return pc_fail(ps->e, PC_E_INTERNAL, "policy reader failed");
	PC_TRY(section_end(ps));
	return check_refs(ps);
}

static void names_join(policy *p)
{
	pc_buf b = PC_BUF_INIT;
	size_t i;

	for (i = 0; i < p->nprof; i++)
		pc_buf_printf(&b, "%s%s", i ? ", " : "", p->prof[i].name);
	if (pc_buf_ok(&b))
		p->names = pol_arena_dup(p, (const char *)b.p, b.len);
	pc_buf_free(&b);
	if (p->names == NULL)
		p->names = "";
}

pc_rc policy_parse(const uint8_t *text, size_t len, const char *what, policy **out, pc_err *e)
{
	struct parser ps;
	uint8_t h[crypto_hash_sha256_BYTES];
	policy *p;
	pc_rc rc;

	*out = NULL;
	if (len > POLICY_FILE_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: larger than the %d-byte limit", what, POLICY_FILE_MAX);
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	p->prof = calloc(POLICY_PROFILES_MAX, sizeof *p->prof);
	p->seg = calloc(POLICY_SEGMENTS_MAX, sizeof *p->seg);
	p->source = pol_arena_dup(p, what, strlen(what));
	if (p->prof == NULL || p->seg == NULL || p->source == NULL) {
		policy_free(p);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	memset(&ps, 0, sizeof ps);
	ps.p = p;
	ps.what = what;
	ps.e = e;
	rc = parse_all(&ps, text, len);
	if (rc != PC_OK) {
		policy_free(p);
		return rc;
	}
	crypto_hash_sha256(h, text, len);
	sodium_bin2hex(p->hash, sizeof p->hash, h, sizeof h);
	names_join(p);
	*out = p;
	return PC_OK;
}

pc_rc policy_load(const char *path, policy **out, pc_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	pc_rc rc;

	*out = NULL;
	rc = pc_file_read(path, POLICY_FILE_MAX, &buf, &len, e);
	if (rc != PC_OK)
		return rc;
	rc = policy_parse(buf, len, path, out, e);
	free(buf);
	return rc;
}

extern const uint8_t policy_default_bytes[];
extern const size_t policy_default_len;

const uint8_t *policy_default_text(size_t *len)
{
	*len = policy_default_len;
	return policy_default_bytes;
}

pc_rc policy_default(policy **out, pc_err *e)
{
	return policy_parse(policy_default_bytes, policy_default_len, "(built-in default policy)",
	    out, e);
}
