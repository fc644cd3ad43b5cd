/*
 * store.c - the LMDB wrapper behind store.h.  The only file that includes
 * lmdb.h.  Modelled on Postfix slmdb.c: short transactions, every failure
 * translated into a pc_err "DIR: DB: OP: WHY", values handed out only for
 * the life of the transaction.
 *
 * After a failed store_put/store_del/store_get the caller must still call
 * store_abort(): LMDB marks the transaction bad on every error except
 * MDB_KEYEXIST and MDB_NOTFOUND, and only an abort releases it.
 */
#include "pem.h"
#include "store.h"
#include "fault.h"

#include <errno.h>
#include <lmdb.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

/* LMDB maps are virtual address space, not disk: the file grows only as
 * pages are used.  32 GiB holds millions of certificates; a full map is a
 * clear error (MDB_MAP_FULL), never a silent loss. */
#if SIZE_MAX > 0xffffffffu
#define STORE_MAP_SIZE ((size_t)32 << 30)
#else
#define STORE_MAP_SIZE ((size_t)1 << 30)
#endif

enum { STORE_KEY_HEX_MAX = 24 };  /* key bytes shown in messages */

static const char *const db_names[STORE_DB_COUNT] = {
	[STORE_META] = "meta",
	[STORE_CAS] = "cas",
	[STORE_CERTS] = "certs",
	[STORE_BY_SEGMENT] = "by-segment",
	[STORE_BY_EXPIRY] = "by-expiry",
	[STORE_INTENTS] = "intents",
	[STORE_REQUESTS] = "requests",
	[STORE_STATIONS] = "stations",
	[STORE_REVOCATIONS] = "revocations",
	[STORE_CRLS] = "crls",
	[STORE_AUDIT] = "audit",
	[STORE_SUPERSEDED] = "superseded",
	[STORE_REQ_BY_STATUS] = "req-by-status",
	[STORE_REQ_UNEXPORTED] = "req-unexported",
	[STORE_EXPIRY_MONTHS] = "expiry-months",
	[STORE_BY_SEGMENT_EXPIRY] = "by-segment-expiry",
};

/* The schema that added each database (0: the first).  A store of an
 * older schema opens without them; ca/migrate.c adds them. */
static const unsigned db_since[STORE_DB_COUNT] = {
	[STORE_SUPERSEDED] = 2,
	[STORE_REQ_BY_STATUS] = 3,
	[STORE_REQ_UNEXPORTED] = 3,
	[STORE_EXPIRY_MONTHS] = 3,
	[STORE_BY_SEGMENT_EXPIRY] = 3,
};

static const char SCHEMA_KEY[] = "schema";

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DB_COUNT];
	char *dir;
	store_txn *writer;  /* the open write txn, if any (one per env) */
	unsigned schema;    /* the version read at open (or last committed) */
	bool have[STORE_DB_COUNT];  /* opened: false only in an older schema */
	void *map_addr;     /* the read-only map of data.mdb (store_release_pages) */
	size_t map_len;
};

struct store_txn {
	store *s;
	MDB_txn *txn;
	bool write;
	bool migrate;       /* store_migrate_begin: may create databases */
	unsigned schema;    /* store_schema_set: committed with the txn (0: none) */
	bool made[STORE_DB_COUNT];  /* databases created in this txn */
};

/* Translate an LMDB (or errno) code at the module boundary. */
PC_CHECK static pc_rc mdb_fail(pc_err *e, const char *dir, const char *db,
    const char *op, int rc)
{
	pc_rc code = PC_E_STORE;
	const char *hint = "";
	struct statvfs fs;

	switch (rc) {
	case ENOSPC:
		hint = "no space left for data.mdb; ";
		break;
	case EIO:
		/* LMDB reports a short write as EIO: that is a full disk when
		 * the file system has (next to) nothing left */
		if (statvfs(dir, &fs) == 0 && (unsigned long long)fs.f_bavail * fs.f_frsize < 1024 * 1024)
			hint = "the file system is full: no space left on device for data.mdb; ";
		break;
	case MDB_MAP_FULL:
		hint = "the store is full (map size reached); ";
		break;
	case MDB_TXN_FULL:
		hint = "transaction too large, commit in smaller groups; ";
		break;
	case MDB_READERS_FULL:
		hint = "all reader slots taken (stale readers of crashed "
		    "processes? `mdb_stat -rr` on the directory clears them); ";
		break;
	case MDB_PANIC:
		hint = "fatal LMDB error, the store must be reopened; ";
		break;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
		code = PC_E_STORE_CORRUPT;
		break;
	case EACCES:
	case EPERM:
	case EROFS:
		hint = "check ownership and permissions of data.mdb and "
		    "lock.mdb; ";
		break;
	default:
		break;
	}
	return pc_fail(e, code, "%s: %s%s%s: %s%s", dir, db ? db : "",
	    db ? ": " : "", op, hint, mdb_strerror(rc));
}

static void key_hex(char *out, size_t cap, const void *key, size_t klen)
{
	size_t n = klen < STORE_KEY_HEX_MAX ? klen : STORE_KEY_HEX_MAX, o;

	pc_hex_str(out, cap, key, n, 0);
	o = strlen(out);
	if (n < klen && o + 4 <= cap)
		memcpy(out + o, "...", 4);
}

PC_CHECK static pc_rc txn_check(const store_txn *t, store_db db, bool write,
    pc_err *e)
{
	if (t == NULL || t->txn == NULL)
		return pc_fail(e, PC_E_INTERNAL, "store: no transaction");
	if ((unsigned)db >= STORE_DB_COUNT)
		return pc_fail(e, PC_E_INTERNAL, "store: bad database %d",
		    (int)db);
	if (!t->s->have[db] && !t->made[db])
		return pc_fail(e, PC_E_STORE_SCHEMA, "%s: store schema %u has no "
		    "database '%s' (schema %u): run plantca migrate", t->s->dir,
		    t->s->schema, db_names[db], db_since[db]);
	if (write && !t->write)
		return pc_fail(e, PC_E_INTERNAL, "%s: %s: write in a "
		    "read-only transaction", t->s->dir, db_names[db]);
	return PC_OK;
}

/* META "schema": written only into a brand-new environment (`fresh`),
 * checked on every open. */
PC_CHECK static pc_rc schema_check(store *s, MDB_txn *txn, bool fresh, pc_err *e)
{
	MDB_dbi meta = s->dbi[STORE_META];
	MDB_val k = { sizeof SCHEMA_KEY - 1, (void *)SCHEMA_KEY }, v;
	uint8_t be[4];
	uint32_t ver;
	int rc;

	rc = mdb_get(txn, meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		if (!fresh)
			return pc_fail(e, PC_E_STORE_CORRUPT, "%s: store has "
			    "no schema version", s->dir);
		ver = STORE_SCHEMA_VERSION;
		be[0] = (uint8_t)(ver >> 24);
		be[1] = (uint8_t)(ver >> 16);
		be[2] = (uint8_t)(ver >> 8);
		be[3] = (uint8_t)ver;
		v.mv_size = sizeof be;
		v.mv_data = be;
		if ((rc = mdb_put(txn, meta, &k, &v, MDB_NOOVERWRITE)) != 0)
			return mdb_fail(e, s->dir, "meta", "write schema", rc);
		s->schema = ver;
		return PC_OK;
	}
	if (rc != 0)
		return mdb_fail(e, s->dir, "meta", "read schema", rc);
	if (v.mv_size != sizeof be)
		return pc_fail(e, PC_E_STORE_CORRUPT, "%s: schema version is "
		    "%zu bytes, expected 4", s->dir, v.mv_size);
	memcpy(be, v.mv_data, sizeof be);
	ver = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 |
	    (uint32_t)be[2] << 8 | be[3];
	if (ver > STORE_SCHEMA_VERSION)
		return pc_fail(e, PC_E_STORE_SCHEMA, "%s: store schema %u is "
		    "newer than this plantca (%d); upgrade plantca", s->dir,
		    (unsigned)ver, STORE_SCHEMA_VERSION);
	if (ver == 0)
		return pc_fail(e, PC_E_STORE_CORRUPT, "%s: schema version 0",
		    s->dir);
	/* older: opened without the databases it lacks, for ca/migrate.c */
	s->schema = ver;
	return PC_OK;
}

/* Open every named database once, in one transaction: the handles then
 * live in the environment for all later transactions.  META first, so a
 * newer store is refused before anything is created in it. */
PC_CHECK static pc_rc dbs_open(store *s, bool create, pc_err *e)
{
	unsigned flags = create ? MDB_CREATE : 0;
	bool fresh = false;
	MDB_txn *txn;
	MDB_dbi main_db;
	MDB_stat st;
	pc_rc prc;
	int rc;
	size_t i;

	rc = mdb_txn_begin(s->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (rc != 0)
		return mdb_fail(e, s->dir, NULL, "begin", rc);
	/* The main database lists the named ones: empty means brand new. */
	if (create) {
		if ((rc = mdb_dbi_open(txn, NULL, 0, &main_db)) != 0 ||
		    (rc = mdb_stat(txn, main_db, &st)) != 0) {
			mdb_txn_abort(txn);
			return mdb_fail(e, s->dir, NULL, "stat", rc);
		}
		fresh = st.ms_entries == 0;
	}
	for (i = 0; i < STORE_DB_COUNT; i++) {
		if (db_names[i] == NULL) {
			mdb_txn_abort(txn);
			return pc_fail(e, PC_E_INTERNAL, "store: database %zu "
			    "has no name", i);
		}
		/* a database newer than the store's schema: absent, and
		 * not created except by a migration */
		if (i != STORE_META && db_since[i] > s->schema)
			continue;
		rc = mdb_dbi_open(txn, db_names[i], flags, &s->dbi[i]);
		if (rc == MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			return pc_fail(e, PC_E_STORE_CORRUPT, "%s: database "
			    "'%s' is missing (store damaged, or plantca init "
			    "did not complete)", s->dir, db_names[i]);
		}
		if (rc != 0) {
			mdb_txn_abort(txn);
			return mdb_fail(e, s->dir, db_names[i], "open", rc);
		}
		s->have[i] = true;
		if (i == STORE_META &&
		    (prc = schema_check(s, txn, fresh, e)) != PC_OK) {
			mdb_txn_abort(txn);
			return prc;
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return mdb_fail(e, s->dir, NULL, "commit", rc);
	return PC_OK;
}

PC_CHECK static pc_rc dir_check(const char *dir, bool create, pc_err *e)
{
	char path[4096];
	struct stat st;

	if (create) {
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return pc_fail(e, PC_E_IO, "%s: cannot create: %s",
			    dir, strerror(errno));
		if (stat(dir, &st) != 0)
			return pc_fail(e, PC_E_IO, "%s: %s", dir,
			    strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return pc_fail(e, PC_E_IO, "%s: not a directory", dir);
		return PC_OK;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/data.mdb", dir) >=
	    sizeof path)
		return pc_fail(e, PC_E_USAGE, "%.64s...: path too long", dir);
	if (stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return pc_fail(e, PC_E_NOTFOUND, "%s: no CA store "
			    "here (run plantca init)", dir);
		return pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
	}
	return PC_OK;
}

pc_rc store_open(const char *dir, bool create, store **out, pc_err *e)
{
	store *s;
	pc_rc prc;
	int rc, dead = 0;

	*out = NULL;
	if ((prc = dir_check(dir, create, e)) != PC_OK)
		return prc;      /* nothing is open yet */
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->dir = strdup(dir)) == NULL) {
		free(s);
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", dir);
	}
	if ((rc = mdb_env_create(&s->env)) != 0) {
		s->env = NULL;
		prc = mdb_fail(e, dir, NULL, "create environment", rc);
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(s->env, STORE_DB_COUNT)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, STORE_MAP_SIZE)) != 0) {
		prc = mdb_fail(e, dir, NULL, "configure environment", rc);
		goto fail;
	}
	/* No MDB_NOSYNC, MDB_NOMETASYNC, MDB_MAPASYNC or MDB_WRITEMAP: a
	 * commit is on disk when it returns.  MDB_NOTLS ties reader slots to
	 * transactions, not threads, so a thread may hold a read txn while
	 * it opens another. */
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0) {
		prc = mdb_fail(e, dir, NULL, "open", rc);
		goto fail;
	}
	/* Free reader slots left by processes that died in a transaction:
	 * they would pin old pages and, eventually, fill the reader table. */
	if ((rc = mdb_reader_check(s->env, &dead)) != 0) {
		prc = mdb_fail(e, dir, NULL, "check stale readers", rc);
		goto fail;
	}
	if ((prc = dbs_open(s, create, e)) != PC_OK)
		goto fail;
	*out = s;
	return PC_OK;
fail:
	store_close(s);
	return prc;
}

void store_close(store *s)
{
	if (s == NULL)
		return;
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s->dir);
	free(s);
}

pc_rc store_begin(store *s, bool write, store_txn **out, pc_err *e)
{
	store_txn *t;
	int rc;

	*out = NULL;
	if (s == NULL)
		return pc_fail(e, PC_E_INTERNAL, "store: not open");
	/* LMDB allows one writer per environment; a second write txn in the
	 * same process would wait on itself forever. */
	if (write && s->writer != NULL)
		return pc_fail(e, PC_E_INTERNAL, "%s: a write transaction is "
		    "already open (a second one would deadlock)", s->dir);
	if ((t = calloc(1, sizeof *t)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", s->dir);
	rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc == MDB_MAP_RESIZED) {
		/* Another process grew the map: adopt its size, retry once. */
		if ((rc = mdb_env_set_mapsize(s->env, 0)) == 0)
			rc = mdb_txn_begin(s->env, NULL,
			    write ? 0 : MDB_RDONLY, &t->txn);
	}
	if (rc != 0) {
		free(t);
		return mdb_fail(e, s->dir, NULL, "begin", rc);
	}
	t->s = s;
	t->write = write;
	if (write)
		s->writer = t;
	*out = t;
	return PC_OK;
}

static void txn_free(store_txn *t)
{
	if (t->write)
		t->s->writer = NULL;
	free(t);
}

pc_rc store_commit(store_txn *t, pc_err *e)
{
	store *s;
	unsigned schema;
	bool made[STORE_DB_COUNT];
	size_t i;
	bool write;
	int rc;

	if (t == NULL)
		return pc_fail(e, PC_E_INTERNAL, "store: no transaction");
	s = t->s;
	if (PC_FAULT("store.commit", s->dir, e) != PC_OK) {
		mdb_txn_abort(t->txn);
		txn_free(t);
		return e->rc;
	}
	schema = t->schema;
	memcpy(made, t->made, sizeof made);
	write = t->write;
	rc = mdb_txn_commit(t->txn);  /* frees the txn, even on failure */
	txn_free(t);
	if (rc != 0)
		return mdb_fail(e, s->dir, NULL, "commit", rc);
	/* databases created in the txn live in the environment now (an abort
	 * would have closed their handles) */
	for (i = 0; i < STORE_DB_COUNT; i++)
		if (made[i])
			s->have[i] = true;
	if (schema != 0)
		s->schema = schema;
	/* A write transaction's lookups fault in pages all over the map (and
	 * the kernel maps up to 64 KiB around each fault): let go of them, so
	 * that a long batch of commits keeps resident memory flat. */
	if (write)
		store_release_pages(s);
	return PC_OK;
}

void store_abort(store_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	txn_free(t);
}

pc_rc store_end(store_txn **t, pc_rc rc, pc_err *e)
{
	store_txn *x = *t;

	*t = NULL;
	if (rc != PC_OK) {
		store_abort(x);
		return rc;
	}
	return store_commit(x, e);
}

unsigned store_schema(const store *s)
{
	return s->schema;
}

pc_rc store_migrate_begin(store *s, store_txn **out, pc_err *e)
{
	store_txn *t;
	size_t i;
	int rc;

	PC_TRY(store_begin(s, true, &t, e));
	t->migrate = true;
	for (i = 0; i < STORE_DB_COUNT; i++) {
		if (s->have[i])
			continue;
		if ((rc = mdb_dbi_open(t->txn, db_names[i], MDB_CREATE, &s->dbi[i])) != 0) {
			store_abort(t);
			return mdb_fail(e, s->dir, db_names[i], "create", rc);
		}
		t->made[i] = true;
	}
	*out = t;
	return PC_OK;
}

pc_rc store_schema_set(store_txn *t, unsigned ver, pc_err *e)
{
	MDB_val k = { sizeof SCHEMA_KEY - 1, (void *)SCHEMA_KEY }, v;
	uint8_t be[4] = { (uint8_t)(ver >> 24), (uint8_t)(ver >> 16), (uint8_t)(ver >> 8),
		(uint8_t)ver };
	int rc;

	if (t == NULL || !t->migrate)
		return pc_fail(e, PC_E_INTERNAL, "store: schema set outside a migration");
	if (ver <= t->s->schema || ver > STORE_SCHEMA_VERSION)
		return pc_fail(e, PC_E_INTERNAL, "%s: schema %u cannot follow %u", t->s->dir, ver,
		    t->s->schema);
	v.mv_size = sizeof be;
	v.mv_data = be;
	if ((rc = mdb_put(t->txn, t->s->dbi[STORE_META], &k, &v, 0)) != 0)
		return mdb_fail(e, t->s->dir, "meta", "write schema", rc);
	t->schema = ver;
	return PC_OK;
}

pc_rc store_put(store_txn *t, store_db db, const void *key, size_t klen,
    const void *val, size_t vlen, bool no_overwrite, pc_err *e)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	char hex[2 * STORE_KEY_HEX_MAX + 4];
	int rc;

	PC_TRY(txn_check(t, db, true, e));
	rc = mdb_put(t->txn, t->s->dbi[db], &k, &v,
	    no_overwrite ? MDB_NOOVERWRITE : 0);
	if (rc == MDB_KEYEXIST) {
		key_hex(hex, sizeof hex, key, klen);
		return pc_fail(e, PC_E_EXISTS, "%s: %s: key %s already exists",
		    t->s->dir, db_names[db], hex);
	}
	if (rc != 0)
		return mdb_fail(e, t->s->dir, db_names[db], "put", rc);
	return PC_OK;
}

pc_rc store_get(store_txn *t, store_db db, const void *key, size_t klen,
    pc_reader *val, pc_err *e)
{
	MDB_val k = { klen, (void *)key }, v;
	char hex[2 * STORE_KEY_HEX_MAX + 4];
	int rc;

	*val = pc_reader_make(NULL, 0);
	PC_TRY(txn_check(t, db, false, e));
	rc = mdb_get(t->txn, t->s->dbi[db], &k, &v);
	if (rc == MDB_NOTFOUND) {
		key_hex(hex, sizeof hex, key, klen);
		return pc_fail(e, PC_E_NOTFOUND, "%s: %s: no key %s",
		    t->s->dir, db_names[db], hex);
	}
	if (rc != 0)
		return mdb_fail(e, t->s->dir, db_names[db], "get", rc);
	*val = pc_reader_make(v.mv_data, v.mv_size);
	return PC_OK;
}

pc_rc store_del(store_txn *t, store_db db, const void *key, size_t klen,
    pc_err *e)
{
	MDB_val k = { klen, (void *)key };
	char hex[2 * STORE_KEY_HEX_MAX + 4];
	int rc;

	PC_TRY(txn_check(t, db, true, e));
	rc = mdb_del(t->txn, t->s->dbi[db], &k, NULL);
	if (rc == MDB_NOTFOUND) {
		key_hex(hex, sizeof hex, key, klen);
		return pc_fail(e, PC_E_NOTFOUND, "%s: %s: no key %s",
		    t->s->dir, db_names[db], hex);
	}
	if (rc != 0)
		return mdb_fail(e, t->s->dir, db_names[db], "delete", rc);
	return PC_OK;
}

static bool has_prefix(const MDB_val *k, const void *prefix, size_t plen)
{
	return k->mv_size >= plen &&
	    (plen == 0 || memcmp(k->mv_data, prefix, plen) == 0);
}

/* Position on the last key that starts with `prefix`, or the key just
 * before the range (the caller's prefix test then ends the scan).  The
 * prefix range is [prefix, succ) where succ is prefix with trailing 0xff
 * bytes dropped and the last byte incremented; without a successor (empty
 * or all-0xff prefix) the range runs to the end of the database. */
static int seek_last(MDB_cursor *c, const void *prefix, size_t plen,
    MDB_val *k, MDB_val *v)
{
	uint8_t succ[512];  /* LMDB keys are at most 511 bytes by default */
	size_t n = plen;
	int rc;

	if (n > sizeof succ)
		return MDB_NOTFOUND;  /* longer than any key: nothing matches */
	if (n > 0)
		memcpy(succ, prefix, n);
	while (n > 0 && succ[n - 1] == 0xff)
		n--;
	if (n == 0)
		return mdb_cursor_get(c, k, v, MDB_LAST);
	succ[n - 1]++;
	k->mv_size = n;
	k->mv_data = succ;
	rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(c, k, v, MDB_LAST);
	if (rc != 0)
		return rc;
	return mdb_cursor_get(c, k, v, MDB_PREV);
}

/* Bytes or entries visited between releases: small records (revocations,
 * index keys) written in many commits lie on pages all over the file, and
 * each page fault maps up to 64 KiB around it, so entries count too. */
enum { STORE_SCAN_RELEASE = 8 * 1024 * 1024, STORE_SCAN_RELEASE_ENTRIES = 4096 };

/* The scan of store_scan and store_scan_from: from the first key >= from
 * (flen 0: the first key; reverse: the last key with the prefix) while
 * keys carry the prefix. */
PC_CHECK static pc_rc scan(store_txn *t, store_db db, const void *prefix, size_t plen,
    const void *from, size_t flen, bool reverse, store_visit_fn fn, void *ctx, pc_err *e)
{
	MDB_cursor *c;
	MDB_val k, v;
	pc_rc prc = PC_OK;
	bool stop = false;
	size_t seen = 0, entries = 0;
	int rc;

	PC_TRY(txn_check(t, db, false, e));
	if ((plen > 0 && prefix == NULL) || (flen > 0 && from == NULL))
		return pc_fail(e, PC_E_INTERNAL, "store: scan without prefix");
	if ((rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c)) != 0)
		return mdb_fail(e, t->s->dir, db_names[db], "cursor", rc);
	if (reverse) {
		rc = seek_last(c, prefix, plen, &k, &v);
	} else if (flen > 0) {
		k.mv_size = flen;
		k.mv_data = (void *)from;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	}
	while (rc == 0 && has_prefix(&k, prefix, plen)) {
		/* a long scan touches every page once: they are let go of as it
		 * goes, so that resident memory does not grow with the store */
		seen += k.mv_size + v.mv_size;
		if (seen >= STORE_SCAN_RELEASE || ++entries % STORE_SCAN_RELEASE_ENTRIES == 0) {
			store_release_pages(t->s);
			seen = 0;
		}
		prc = fn(ctx, pc_reader_make(k.mv_data, k.mv_size),
		    pc_reader_make(v.mv_data, v.mv_size), &stop, e);
		if (prc != PC_OK || stop)
			break;
		rc = mdb_cursor_get(c, &k, &v, reverse ? MDB_PREV : MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (prc != PC_OK || stop)
		return prc;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return mdb_fail(e, t->s->dir, db_names[db], "scan", rc);
	return PC_OK;
}

pc_rc store_scan(store_txn *t, store_db db, const void *prefix, size_t plen,
    bool reverse, store_visit_fn fn, void *ctx, pc_err *e)
{
	return scan(t, db, prefix, plen, prefix, plen, reverse, fn, ctx, e);
}

pc_rc store_scan_from(store_txn *t, store_db db, const void *from, size_t flen,
    store_visit_fn fn, void *ctx, pc_err *e)
{
	return scan(t, db, NULL, 0, from, flen, false, fn, ctx, e);
}

pc_rc store_scan_range(store_txn *t, store_db db, const void *prefix, size_t plen,
    const void *from, size_t flen, store_visit_fn fn, void *ctx, pc_err *e)
{
	if (flen < plen || (plen > 0 && memcmp(from, prefix, plen) != 0))
		return pc_fail(e, PC_E_INTERNAL, "store: range start outside its prefix");
	return scan(t, db, prefix, plen, from, flen, false, fn, ctx, e);
}

unsigned store_db_since(store_db db)
{
	return (unsigned)db < STORE_DB_COUNT ? db_since[db] : 0;
}

pc_rc store_count(store_txn *t, store_db db, uint64_t *n, pc_err *e)
{
	MDB_stat st;
	int rc;

	*n = 0;
	PC_TRY(txn_check(t, db, false, e));
	if ((rc = mdb_stat(t->txn, t->s->dbi[db], &st)) != 0)
		return mdb_fail(e, t->s->dir, db_names[db], "stat", rc);
	*n = st.ms_entries;
	return PC_OK;
}

/* LMDB reports its map address only with MDB_FIXEDMAP, so find the mapping
 * of DIR/data.mdb in /proc/self/maps (once; the map never moves). */
static bool map_range(store *s)
{
	char want[4200], line[4600];
	FILE *f;

	if (s->map_len > 0)
		return true;
	if (snprintf(want, sizeof want, "%s/data.mdb", s->dir) >= (int)sizeof want)
		return false;
	f = fopen("/proc/self/maps", "re");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;
		char *path = strchr(line, '/');
		size_t n;
		if (path == NULL || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		n = strlen(path);
		if (n > 0 && path[n - 1] == '\n')
			path[--n] = '\0';
		if (strcmp(path, want) == 0 && hi > lo) {
			s->map_addr = (void *)lo;
			s->map_len = hi - lo;
			break;
		}
	}
	fclose(f);
	return s->map_len > 0;
}

void store_release_pages(store *s)
{
	if (map_range(s))
		(void)madvise(s->map_addr, s->map_len, MADV_DONTNEED);
}

pc_rc store_copy_compact(store *s, const char *dir, pc_err *e)
{
	int rc;

	PC_TRY(PC_FAULT("store.copy", dir, e));
	/* a consistent snapshot (one read transaction) without free pages */
	if ((rc = mdb_env_copy2(s->env, dir, MDB_CP_COMPACT)) != 0)
		return mdb_fail(e, dir, NULL, "compacting copy", rc);
	return PC_OK;
}
