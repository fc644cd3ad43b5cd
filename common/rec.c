/*
 * rec.c - the record format (rec.h): building blocks, then the
 * table-driven codec.
 */
#include "rec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pc_rec_begin(pc_buf *b, uint8_t type, uint8_t version)
{
	pc_buf_byte(b, type);
	pc_buf_byte(b, version);
}

void pc_rec_bytes(pc_buf *b, uint8_t tag, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		b->failed = true;
		return;
	}
	pc_buf_byte(b, tag);
	pc_buf_u32be(b, (uint32_t)n);
	pc_buf_append(b, p, n);
}

void pc_rec_str(pc_buf *b, uint8_t tag, const char *s)
{
	pc_rec_bytes(b, tag, s ? s : "", s ? strlen(s) : 0);
}

void pc_rec_u64(pc_buf *b, uint8_t tag, uint64_t v)
{
	pc_buf_byte(b, tag);
	pc_buf_u32be(b, 8);
	pc_buf_u64be(b, v);
}

bool pc_rec_open(pc_reader *r, uint8_t type, uint8_t *version)
{
	uint8_t t = 0;

	return pc_reader_u8(r, &t) && t == type && pc_reader_u8(r, version);
}

bool pc_rec_next(pc_reader *r, uint8_t *tag, pc_reader *val)
{
	uint32_t n;

	if (pc_reader_left(r) == 0)
		return false;
	if (!pc_reader_u8(r, tag) || !pc_reader_u32be(r, &n))
		return false;
	*val = pc_reader_sub(r, n);
	return pc_reader_ok(r);
}

bool pc_rec_val_u64(pc_reader val, uint64_t *v)
{
	return pc_reader_u64be(&val, v) && pc_reader_done(&val);
}

char *pc_rec_val_strdup(pc_reader val)
{
	size_t n = pc_reader_left(&val);
	const uint8_t *p = pc_reader_take(&val, n);
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* ------------------------------------------------------------ the codec */

enum { FIELD_HEADER_LEN = 1 + 4 };   /* tag, u32 length */

/* Members are read and written through memcpy: the table knows only
 * offsets, and this way no access depends on the struct's alignment or
 * on the pointer types agreeing. */
static void get(const void *s, size_t off, void *v, size_t n)
{
	memcpy(v, (const uint8_t *)s + off, n);
}

static void put(void *s, size_t off, const void *v, size_t n)
{
	memcpy((uint8_t *)s + off, v, n);
}

static bool get_bool(const void *s, size_t off)
{
	bool v;

	get(s, off, &v, sizeof v);
	return v;
}

static size_t get_size(const void *s, size_t off)
{
	size_t v;

	get(s, off, &v, sizeof v);
	return v;
}

PC_CHECK PC_PRINTF(5, 0) static pc_rc vfail(pc_err *e, pc_rc rc, const pc_rec_type *t,
    const char *field, const char *fmt, va_list ap)
{
	char why[PC_ERR_MSG_MAX / 2];

	vsnprintf(why, sizeof why, fmt, ap);
	if (field != NULL)
		return pc_fail(e, rc, "%s record: field %s: %s", t->name, field, why);
	return pc_fail(e, rc, "%s record: %s", t->name, why);
}

pc_rc pc_rec_fail(pc_err *e, const pc_rec_type *t, const char *field, const char *fmt, ...)
{
	va_list ap;
	pc_rc rc;

	va_start(ap, fmt);
	rc = vfail(e, PC_E_STORE_CORRUPT, t, field, fmt, ap);
	va_end(ap);
	return rc;
}

PC_CHECK static pc_rc PC_PRINTF(5, 6) fail(pc_err *e, pc_rc rc, const pc_rec_type *t,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vfail(e, rc, t, field, fmt, ap);
	va_end(ap);
	return rc;
}

/* Encode: the length of a string or byte string against its bounds. */
PC_CHECK static pc_rc check_len_out(const pc_rec_type *t, const pc_rec_field *f, size_t n,
    pc_err *e)
{
	if (n < f->min || n > f->max)
		return fail(e, PC_E_INTERNAL, t, f->name, "%zu bytes, not within %zu..%zu (not "
		    "written)", n, f->min, f->max);
	return PC_OK;
}

PC_CHECK static pc_rc encode_u64(pc_buf *b, const pc_rec_type *t, const pc_rec_field *f, uint64_t v,
    pc_err *e)
{
	if ((f->flags & PC_REC_NONZERO) && v == 0)
		return fail(e, PC_E_INTERNAL, t, f->name, "0 is not a value (not written)");
	pc_rec_u64(b, f->tag, v);
	return PC_OK;
}

PC_CHECK static pc_rc encode_field(pc_buf *b, const pc_rec_type *t, const pc_rec_field *f,
    const void *s, pc_err *e)
{
	bool optional = (f->flags & PC_REC_OPTIONAL) != 0;
	uint64_t v;

	switch (f->kind) {
	case PC_REC_K_U64:
		if (f->flags & PC_REC_REPEATED) {
			size_t i, n = get_size(s, f->aux);
			if (n > f->max)
				return fail(e, PC_E_INTERNAL, t, f->name, "%zu values, at most %zu (not "
				    "written)", n, f->max);
			for (i = 0; i < n; i++) {
				get(s, f->off + i * sizeof v, &v, sizeof v);
				PC_TRY(encode_u64(b, t, f, v, e));
			}
			return PC_OK;
		}
		get(s, f->off, &v, sizeof v);
		if (optional && (f->aux != PC_REC_NO_AUX ? !get_bool(s, f->aux) : v == 0))
			return PC_OK;
		return encode_u64(b, t, f, v, e);
	case PC_REC_K_STR:
	case PC_REC_K_CHARS: {
		const char *p;
		size_t n;
		if (f->kind == PC_REC_K_STR) {
			get(s, f->off, &p, sizeof p);
		} else {
			p = (const char *)s + f->off;
			if (memchr(p, '\0', f->max + 1) == NULL)
				return fail(e, PC_E_INTERNAL, t, f->name, "not terminated (not written)");
		}
		if (p == NULL && optional)
			return PC_OK;
		n = p ? strlen(p) : 0;
		PC_TRY(check_len_out(t, f, n, e));
		pc_rec_bytes(b, f->tag, p ? p : "", n);
		return PC_OK;
	}
	case PC_REC_K_BYTES:
	case PC_REC_K_VIEW: {
		const uint8_t *p;
		size_t n = get_size(s, f->aux);
		get(s, f->off, &p, sizeof p);
		if (p == NULL && optional)
			return PC_OK;
		if (p == NULL && n != 0)
			return fail(e, PC_E_INTERNAL, t, f->name, "no bytes (not written)");
		PC_TRY(check_len_out(t, f, n, e));
		if ((f->flags & PC_REC_TEXT) && n && memchr(p, '\0', n) != NULL)
			return fail(e, PC_E_INTERNAL, t, f->name, "contains a NUL byte (not written)");
		pc_rec_bytes(b, f->tag, p, n);
		return PC_OK;
	}
	case PC_REC_K_FIXED:
		if (optional && !get_bool(s, f->aux))
			return PC_OK;
		pc_rec_bytes(b, f->tag, (const uint8_t *)s + f->off, f->max);
		return PC_OK;
	}
	return fail(e, PC_E_INTERNAL, t, f->name, "unknown kind %d", (int)f->kind);
}

pc_rc pc_rec_encode_fields(const pc_rec_type *t, const void *s, size_t n, pc_buf *b, pc_err *e)
{
	size_t i;

	if (n > t->nfields)
		return fail(e, PC_E_INTERNAL, t, NULL, "%zu fields, the table has %zu", n, t->nfields);
	for (i = 0; i < n; i++)
		PC_TRY(encode_field(b, t, &t->fields[i], s, e));
	if (!pc_buf_ok(b))
		return fail(e, PC_E_NOMEM, t, NULL, "out of memory");
	return PC_OK;
}

pc_rc pc_rec_encode(const pc_rec_type *t, const void *s, pc_buf *b, pc_err *e)
{
	pc_rec_begin(b, t->type, t->version);
	return pc_rec_encode_fields(t, s, t->nfields, b, e);
}

void pc_rec_free(const pc_rec_type *t, void *s)
{
	size_t i;

	for (i = 0; i < t->nfields; i++) {
		const pc_rec_field *f = &t->fields[i];
		void *p;
		if (f->kind != PC_REC_K_STR && f->kind != PC_REC_K_BYTES)
			continue;
		get(s, f->off, &p, sizeof p);
		free(p);
	}
	memset(s, 0, t->size);
}

/* Decode one field's value v into s. */
PC_CHECK static pc_rc decode_value(const pc_rec_type *t, const pc_rec_field *f, pc_reader v,
    void *s, pc_err *e)
{
	size_t n = pc_reader_left(&v);
	const uint8_t *p = pc_reader_take(&v, n);
	const bool yes = true;

	if (f->kind == PC_REC_K_U64) {
		if (n != sizeof(uint64_t))
			return pc_rec_fail(e, t, f->name, "%zu bytes, expected 8", n);
	} else if (f->kind == PC_REC_K_FIXED) {
		if (n != f->max)
			return pc_rec_fail(e, t, f->name, "%zu bytes, expected %zu", n, f->max);
	} else if (n < f->min) {
		return pc_rec_fail(e, t, f->name, "%zu bytes, at least %zu", n, f->min);
	} else if (n > f->max) {
		return pc_rec_fail(e, t, f->name, "%zu bytes, at most %zu (over-long)", n, f->max);
	}
	if ((f->kind == PC_REC_K_STR || f->kind == PC_REC_K_CHARS || (f->flags & PC_REC_TEXT)) &&
	    n && memchr(p, '\0', n) != NULL)
		return pc_rec_fail(e, t, f->name, "contains a NUL byte");

	switch (f->kind) {
	case PC_REC_K_U64: {
		pc_reader r = pc_reader_make(p, n);
		uint64_t x = 0;
		size_t off = f->off;
		if (!pc_reader_u64be(&r, &x))
			return pc_rec_fail(e, t, f->name, "unreadable");
		if ((f->flags & PC_REC_NONZERO) && x == 0)
			return pc_rec_fail(e, t, f->name, "0 is not a valid value");
		if (f->flags & PC_REC_REPEATED) {
			size_t count = get_size(s, f->aux);
			if (count >= f->max)
				return pc_rec_fail(e, t, f->name, "more than %zu values", f->max);
			off += count * sizeof x;
			count++;
			put(s, f->aux, &count, sizeof count);
		} else if (f->aux != PC_REC_NO_AUX) {
			put(s, f->aux, &yes, sizeof yes);
		}
		put(s, off, &x, sizeof x);
		return PC_OK;
	}
	case PC_REC_K_STR: {
		char *c = malloc(n + 1);
		if (c == NULL)
			return fail(e, PC_E_NOMEM, t, f->name, "out of memory");
		if (n)
			memcpy(c, p, n);
		c[n] = '\0';
		put(s, f->off, &c, sizeof c);
		return PC_OK;
	}
	case PC_REC_K_CHARS: {
		uint8_t *c = (uint8_t *)s + f->off;
		if (n)
			memcpy(c, p, n);
		c[n] = '\0';
		return PC_OK;
	}
	case PC_REC_K_BYTES: {
		uint8_t *c = malloc(n ? n : 1);
		if (c == NULL)
			return fail(e, PC_E_NOMEM, t, f->name, "out of memory");
		if (n)
			memcpy(c, p, n);
		put(s, f->off, &c, sizeof c);
		put(s, f->aux, &n, sizeof n);
		return PC_OK;
	}
	case PC_REC_K_VIEW: {
		/* a zero-length value still gets a pointer: present, not absent */
		static const uint8_t empty[1];
		const uint8_t *c = p ? p : empty;
		put(s, f->off, &c, sizeof c);
		put(s, f->aux, &n, sizeof n);
		return PC_OK;
	}
	case PC_REC_K_FIXED:
		if (n)
			memcpy((uint8_t *)s + f->off, p, n);
		if (f->aux != PC_REC_NO_AUX)
			put(s, f->aux, &yes, sizeof yes);
		return PC_OK;
	}
	return fail(e, PC_E_INTERNAL, t, f->name, "unknown kind %d", (int)f->kind);
}

PC_CHECK static pc_rc decode_fields(const pc_rec_type *t, pc_reader *in, void *s, pc_err *e)
{
	bool seen[PC_REC_FIELDS_MAX] = { false };
	const char *last = NULL;
	uint8_t type = 0, version = 0;
	size_t i, total = pc_reader_left(in);

	if (t->nfields > PC_REC_FIELDS_MAX)
		return fail(e, PC_E_INTERNAL, t, NULL, "%zu fields in the table, at most %d",
		    t->nfields, PC_REC_FIELDS_MAX);
	if (!pc_reader_u8(in, &type) || !pc_reader_u8(in, &version))
		return pc_rec_fail(e, t, NULL, "%zu bytes, shorter than a record header", total);
	if (type != t->type || version != t->version)
		return pc_rec_fail(e, t, NULL, "type 0x%02x version %u, expected 0x%02x ('%c') "
		    "version %u", type, version, t->type, t->type, t->version);
	while (pc_reader_left(in) > 0) {
		const pc_rec_field *f = NULL;
		uint8_t tag = 0;
		uint32_t len = 0;
		if (pc_reader_left(in) < FIELD_HEADER_LEN && last != NULL)
			return pc_rec_fail(e, t, NULL, "%zu trailing bytes after field %s",
			    pc_reader_left(in), last);
		if (pc_reader_left(in) < FIELD_HEADER_LEN)
			return pc_rec_fail(e, t, NULL, "%zu trailing bytes after the header",
			    pc_reader_left(in));
		if (!pc_reader_u8(in, &tag) || !pc_reader_u32be(in, &len))
			return pc_rec_fail(e, t, NULL, "unreadable field header");
		for (i = 0; i < t->nfields && f == NULL; i++)
			if (t->fields[i].tag == tag)
				f = &t->fields[i];
		if (f == NULL) {
			char name[16];
			snprintf(name, sizeof name, "tag %u", tag);
			return pc_rec_fail(e, t, name, "unknown (%s%s)", last ? "after field " :
			    "the first field", last ? last : "");
		}
		i = (size_t)(f - t->fields);
		if (len > pc_reader_left(in))
			return pc_rec_fail(e, t, f->name, "truncated: length %" PRIu32 ", %zu bytes "
			    "left in the record", len, pc_reader_left(in));
		if (seen[i] && !(f->flags & PC_REC_REPEATED))
			return pc_rec_fail(e, t, f->name, "repeated");
		seen[i] = true;
		PC_TRY(decode_value(t, f, pc_reader_sub(in, len), s, e));
		last = f->name;
	}
	for (i = 0; i < t->nfields; i++)
		if (!seen[i] && (t->fields[i].flags & PC_REC_REQUIRED))
			return pc_rec_fail(e, t, t->fields[i].name, "missing");
	if (!pc_reader_done(in))
		return pc_rec_fail(e, t, NULL, "unreadable");
	return PC_OK;
}

pc_rc pc_rec_decode(const pc_rec_type *t, pc_reader in, void *s, pc_err *e)
{
	pc_rc rc;

	memset(s, 0, t->size);
	rc = decode_fields(t, &in, s, e);
	if (rc != PC_OK)
		pc_rec_free(t, s);
	return rc;
}

bool pc_rec_type_ok(const pc_rec_type *t, char *why, size_t n)
{
	size_t i, j;

#define BAD(...) do { snprintf(why, n, __VA_ARGS__); return false; } while (0)
	if (t->nfields == 0 || t->nfields > PC_REC_FIELDS_MAX)
		BAD("%s: %zu fields", t->name, t->nfields);
	for (i = 0; i < t->nfields; i++) {
		const pc_rec_field *f = &t->fields[i];
		unsigned presence = f->flags & (PC_REC_REQUIRED | PC_REC_OPTIONAL | PC_REC_LEGACY);
		if (f->tag == 0)
			BAD("%s.%s: tag 0", t->name, f->name);
		for (j = 0; j < i; j++) {
			if (t->fields[j].tag == f->tag)
				BAD("%s.%s: tag %u used twice", t->name, f->name, f->tag);
			if (strcmp(t->fields[j].name, f->name) == 0)
				BAD("%s.%s: name used twice", t->name, f->name);
		}
		if (presence != PC_REC_REQUIRED && presence != PC_REC_OPTIONAL &&
		    presence != PC_REC_LEGACY)
			BAD("%s.%s: not exactly one of required, optional, legacy", t->name, f->name);
		if (f->kind != PC_REC_K_U64 && f->min > f->max)
			BAD("%s.%s: min > max", t->name, f->name);
		if ((f->flags & (PC_REC_NONZERO | PC_REC_REPEATED)) && f->kind != PC_REC_K_U64)
			BAD("%s.%s: nonzero/repeated on a non-integer", t->name, f->name);
		if ((f->flags & PC_REC_TEXT) && f->kind != PC_REC_K_VIEW && f->kind != PC_REC_K_BYTES)
			BAD("%s.%s: text flag on a kind that is not bytes", t->name, f->name);
		if ((f->flags & PC_REC_REPEATED) && (presence != PC_REC_OPTIONAL || f->max == 0))
			BAD("%s.%s: a repeated field is optional, with room", t->name, f->name);
		if ((f->kind == PC_REC_K_BYTES || f->kind == PC_REC_K_VIEW) && f->aux == PC_REC_NO_AUX)
			BAD("%s.%s: no length member", t->name, f->name);
		/* an optional field must be able to say "absent" */
		if (presence == PC_REC_OPTIONAL && !(f->flags & PC_REC_REPEATED) &&
		    (f->kind == PC_REC_K_CHARS ||
		    (f->kind == PC_REC_K_FIXED && f->aux == PC_REC_NO_AUX) ||
		    (f->kind == PC_REC_K_U64 && f->aux == PC_REC_NO_AUX &&
		    !(f->flags & PC_REC_NONZERO))))
			BAD("%s.%s: optional without a way to be absent", t->name, f->name);
	}
#undef BAD
	return true;
}
