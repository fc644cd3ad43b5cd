/*
 * tar.c - the ustar subset bundles use (POSIX.1-2001 "ustar Interchange
 * Format", IEEE Std 1003.1, pax(1)).
 *
 * Writer: regular files only, flat names, mode 0644, uid/gid 0, empty
 * uname/gname, the same field encodings GNU tar --format=ustar writes.
 * Reader: strict.  Every header is checked (checksum, magic, type, name,
 * size); anything a bundle never needs (links, devices, directories, pax
 * and GNU extension headers, name prefixes, base-256 numbers) is refused by
 * name.  All reads go through pc_reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tr_int.h"

/* ustar header field offsets and sizes */
enum {
	H_NAME = 0, H_NAME_LEN = 100,
	H_MODE = 100, H_MODE_LEN = 8,
	H_UID = 108, H_UID_LEN = 8,
	H_GID = 116, H_GID_LEN = 8,
	H_SIZE = 124, H_SIZE_LEN = 12,
	H_MTIME = 136, H_MTIME_LEN = 12,
	H_CHKSUM = 148, H_CHKSUM_LEN = 8,
	H_TYPE = 156,
	H_LINK = 157, H_LINK_LEN = 100,
	H_MAGIC = 257, H_MAGIC_LEN = 6,
	H_VERSION = 263, H_VERSION_LEN = 2,
	H_UNAME = 265, H_UNAME_LEN = 32,
	H_GNAME = 297, H_GNAME_LEN = 32,
	H_DEVMAJOR = 329, H_DEVMINOR = 337, H_DEV_LEN = 8,
	H_PREFIX = 345, H_PREFIX_LEN = 155,
};

bool tr_member_name_ok(const char *name)
{
	size_t i;

	if (name == NULL || !((name[0] >= 'A' && name[0] <= 'Z') ||
	    (name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
		return false;
	for (i = 1; name[i] != '\0'; i++) {
		char c = name[i];
		if (i >= TR_NAME_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	/* the first character is alphanumeric, so "." and ".." cannot match;
	 * ".." inside a name is harmless in a flat name but refused anyway so
	 * that no reader ever has to think about it */
	return strstr(name, "..") == NULL;
}

/* Octal field as GNU tar writes it: zero-padded digits, NUL (or space)
 * terminated, written with width len-1. */
static void put_octal(uint8_t *field, size_t len, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof tmp, "%0*llo", (int)(len - 1), (unsigned long long)v);
	memcpy(field, tmp, len - 1);
	field[len - 1] = '\0';
}

static unsigned header_sum(const uint8_t *h)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < TR_BLOCK; i++)
		sum += (i >= H_CHKSUM && i < H_CHKSUM + H_CHKSUM_LEN) ? ' ' : h[i];
	return sum;
}

void tr_tar_add(pc_buf *out, const char *name, const uint8_t *data, size_t len,
    time_t mtime)
{
	uint8_t h[TR_BLOCK];
	static const uint8_t zero[TR_BLOCK];
	size_t nlen = strlen(name);
	char ck[8];

	memset(h, 0, sizeof h);
	memcpy(h + H_NAME, name, nlen > H_NAME_LEN ? H_NAME_LEN : nlen);
	put_octal(h + H_MODE, H_MODE_LEN, 0644);
	put_octal(h + H_UID, H_UID_LEN, 0);
	put_octal(h + H_GID, H_GID_LEN, 0);
	put_octal(h + H_SIZE, H_SIZE_LEN, len);
	put_octal(h + H_MTIME, H_MTIME_LEN, mtime < 0 ? 0 : (uint64_t)mtime);
	h[H_TYPE] = '0';
	memcpy(h + H_MAGIC, "ustar", H_MAGIC_LEN);      /* "ustar\0" */
	memcpy(h + H_VERSION, "00", H_VERSION_LEN);
	put_octal(h + H_DEVMAJOR, H_DEV_LEN, 0);
	put_octal(h + H_DEVMINOR, H_DEV_LEN, 0);
	/* checksum: six octal digits, NUL, space (what GNU tar writes) */
	snprintf(ck, sizeof ck, "%06o", header_sum(h));
	memcpy(h + H_CHKSUM, ck, 6);
	h[H_CHKSUM + 6] = '\0';
	h[H_CHKSUM + 7] = ' ';
	pc_buf_append(out, h, sizeof h);
	pc_buf_append(out, data, len);
	if (len % TR_BLOCK != 0)
		pc_buf_append(out, zero, TR_BLOCK - len % TR_BLOCK);
}

void tr_tar_end(pc_buf *out)
{
	static const uint8_t zero[2 * TR_BLOCK];

	pc_buf_append(out, zero, sizeof zero);
}

/* Strict octal: optional leading spaces, at least one octal digit, then
 * only NUL or space to the end of the field.  Base-256 (high bit set, a GNU
 * extension for big numbers) is refused. */
static bool get_octal(const uint8_t *f, size_t len, uint64_t *out)
{
	size_t i = 0, digits = 0;
	uint64_t v = 0;

	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v > (UINT64_MAX >> 3))
			return false;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	if (digits == 0)
		return false;
	for (; i < len; i++)
		if (f[i] != '\0' && f[i] != ' ')
			return false;
	*out = v;
	return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static const char *type_refusal(uint8_t t)
{
	switch (t) {
	case '1': return "hard link";
	case '2': return "symbolic link";
	case '3': return "character device";
	case '4': return "block device";
	case '5': return "directory";
	case '6': return "FIFO";
	case '7': return "contiguous file";
	case 'x': return "pax extended header";
	case 'g': return "pax global header";
	case 'L': return "GNU long name header";
	case 'K': return "GNU long link name header";
	default: return NULL;
	}
}

static int cmp_member_ptr(const void *a, const void *b)
{
	const tr_member *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* One header block: fills m (name, len), data read by the caller. */
PC_CHECK static pc_rc parse_header(const uint8_t *h, size_t index, const char *what,
    tr_member *m, pc_err *e)
{
	uint64_t v, size, sum;
	size_t nlen;
	const char *bad;

	if (!get_octal(h + H_CHKSUM, H_CHKSUM_LEN, &sum))
		return pc_fail(e, PC_E_BUNDLE, "%s: member %zu: malformed header checksum field",
		    what, index + 1);
	if (sum != header_sum(h))
		return pc_fail(e, PC_E_BUNDLE, "%s: member %zu: header checksum mismatch",
		    what, index + 1);
	if (memcmp(h + H_MAGIC, "ustar  ", 8) == 0)
		return pc_fail(e, PC_E_BUNDLE, "%s: member %zu: old GNU tar format "
		    "(use tar --format=ustar)", what, index + 1);
	if (memcmp(h + H_MAGIC, "ustar", H_MAGIC_LEN) != 0 ||
	    memcmp(h + H_VERSION, "00", H_VERSION_LEN) != 0)
		return pc_fail(e, PC_E_BUNDLE, "%s: member %zu: not a ustar header", what,
		    index + 1);
	nlen = strnlen((const char *)h + H_NAME, H_NAME_LEN);
	memcpy(m->name, h + H_NAME, nlen);
	m->name[nlen] = '\0';
	if ((bad = type_refusal(h[H_TYPE])) != NULL)
		return pc_fail(e, PC_E_BUNDLE, "%s: member %zu: %s not allowed (only regular files)",
		    what, index + 1, bad);
	if (h[H_TYPE] != '0' && h[H_TYPE] != '\0')
		return pc_fail(e, PC_E_BUNDLE, "%s: member %zu: unknown member type 0x%02x",
		    what, index + 1, h[H_TYPE]);
	if (!all_zero(h + H_PREFIX, H_PREFIX_LEN))
		return pc_fail(e, PC_E_BUNDLE, "%s: member %zu: name prefix not allowed "
		    "(names are flat)", what, index + 1);
	if (!all_zero(h + H_LINK, H_LINK_LEN))
		return pc_fail(e, PC_E_BUNDLE, "%s: member %zu: link name on a regular file",
		    what, index + 1);
	/* the name field: no bytes after the terminating NUL either */
	if (nlen < H_NAME_LEN && !all_zero(h + H_NAME + nlen, H_NAME_LEN - nlen))
		return pc_fail(e, PC_E_BUNDLE, "%s: member %zu: NUL inside the name", what,
		    index + 1);
	if (!tr_member_name_ok(m->name))
		return pc_fail(e, PC_E_BUNDLE, "%s: member %zu: name not allowed "
		    "(want [A-Za-z0-9][A-Za-z0-9._-]{0,99}, no '/' or '..')", what, index + 1);
	if (!get_octal(h + H_MODE, H_MODE_LEN, &v) || !get_octal(h + H_UID, H_UID_LEN, &v) ||
	    !get_octal(h + H_GID, H_GID_LEN, &v) || !get_octal(h + H_MTIME, H_MTIME_LEN, &v))
		return pc_fail(e, PC_E_BUNDLE, "%s: member %s: malformed numeric field", what,
		    m->name);
	if (!get_octal(h + H_SIZE, H_SIZE_LEN, &size))
		return pc_fail(e, PC_E_BUNDLE, "%s: member %s: malformed size field", what,
		    m->name);
	if (size > TR_MEMBER_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: member %s: %llu bytes, more than the "
		    "%d-byte limit", what, m->name, (unsigned long long)size, TR_MEMBER_MAX);
	m->len = (size_t)size;
	return PC_OK;
}

void tr_pages_release(const uint8_t *map, size_t len)
{
	if (map != NULL && len > 0)
		(void)madvise((void *)map, len, MADV_DONTNEED);
}

pc_rc tr_tar_parse(const uint8_t *buf, size_t len, bool mapped, const char *what,
    tr_member **members, size_t *n, pc_err *e)
{
	pc_reader r = pc_reader_make(buf, len);
	tr_member *ms = NULL, **sorted = NULL;
	size_t count = 0, cap = 0, i;
	pc_rc rc = PC_OK;

	*members = NULL;
	*n = 0;
	for (;;) {
		const uint8_t *h, *data, *pad;
		tr_member m;
		size_t padlen;

		if (pc_reader_left(&r) < TR_BLOCK) {
			rc = pc_fail(e, PC_E_BUNDLE, pc_reader_left(&r) == 0 ?
			    "%s: truncated tar (no end-of-archive marker)" :
			    "%s: truncated tar (partial header block)", what);
			goto fail;
		}
		h = pc_reader_take(&r, TR_BLOCK);
		if (all_zero(h, TR_BLOCK)) {
			/* end of archive: a second zero block, then zeros only
			 * (GNU tar pads to its 10240-byte record) */
			const uint8_t *h2 = pc_reader_take(&r, TR_BLOCK);
			size_t left;

			if (h2 == NULL || !all_zero(h2, TR_BLOCK)) {
				rc = pc_fail(e, PC_E_BUNDLE, h2 == NULL ?
				    "%s: truncated tar (one zero block, need two)" :
				    "%s: data after a zero block", what);
				goto fail;
			}
			left = pc_reader_left(&r);
			if (left > 0 && !all_zero(pc_reader_take(&r, left), left)) {
				rc = pc_fail(e, PC_E_BUNDLE, "%s: trailing garbage after the "
				    "end of the archive", what);
				goto fail;
			}
			break;
		}
		if (count >= TR_MEMBERS_MAX) {
			rc = pc_fail(e, PC_E_LIMIT, "%s: more than %d members", what,
			    TR_MEMBERS_MAX);
			goto fail;
		}
		memset(&m, 0, sizeof m);
		if ((rc = parse_header(h, count, what, &m, e)) != PC_OK)
			goto fail;
		padlen = (TR_BLOCK - m.len % TR_BLOCK) % TR_BLOCK;
		data = pc_reader_take(&r, m.len);
		pad = data == NULL ? NULL : pc_reader_take(&r, padlen);
		if (data == NULL || pad == NULL) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: member %s: truncated (%zu bytes "
			    "announced)", what, m.name, m.len);
			goto fail;
		}
		if (!all_zero(pad, padlen)) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: member %s: non-zero padding", what,
			    m.name);
			goto fail;
		}
		m.data = m.len > 0 ? data : buf;
		if (mapped && count % TR_RELEASE_EVERY == TR_RELEASE_EVERY - 1)
			tr_pages_release(buf, len);
		if (!pc_grow(&ms, &cap, count, sizeof *ms, 16)) {
			rc = pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
			goto fail;
		}
		ms[count++] = m;
	}

	/* duplicate names: sort pointers, compare neighbours */
	if (count > 1) {
		sorted = calloc(count, sizeof *sorted);
		if (sorted == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
			goto fail;
		}
		for (i = 0; i < count; i++)
			sorted[i] = &ms[i];
		qsort(sorted, count, sizeof *sorted, cmp_member_ptr);
		for (i = 1; i < count; i++)
			if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
				rc = pc_fail(e, PC_E_BUNDLE, "%s: duplicate member name %s",
				    what, sorted[i]->name);
				goto fail;
			}
		free(sorted);
		sorted = NULL;
	}
	*members = ms;
	*n = count;
	return PC_OK;
fail:
	free(sorted);
	free(ms);
	return rc;
}
