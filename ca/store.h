/*
 * store.h - the CA's durable state: one LMDB environment in HOME/db.
 *
 * Only store.c includes lmdb.h.  The store is a thin, strict key/value
 * layer over named databases; the CA engine encodes records field by field
 * (common/rec.h), never raw structs.
 *
 * Durability: the environment is opened without MDB_NOSYNC, MDB_NOMETASYNC,
 * MDB_MAPASYNC or MDB_WRITEMAP, so a successful store_commit() is on disk.
 * Group many records into one write transaction to amortise the fsync.
 *
 * Lifetime: values returned by store_get()/store_scan() point into the LMDB
 * map and are valid only until the transaction ends; copy what you keep.
 * Every failure path aborts the transaction; store_commit() and
 * store_abort() always free the txn.
 *
 * Schema: META "schema" holds the schema version (u32 big-endian).  A store
 * written by a newer plantca is refused (PC_E_STORE_SCHEMA).  An older one
 * opens without the databases its schema lacks (using one of them is
 * PC_E_STORE_SCHEMA "run plantca migrate"); ca/migrate.c upgrades it in
 * one write transaction (store_migrate_begin, store_schema_set).
 *
 * Schemas: 1 the first release; 2 adds STORE_SUPERSEDED; 3 adds the request
 * indexes STORE_REQ_BY_STATUS and STORE_REQ_UNEXPORTED, the expiry
 * counts STORE_EXPIRY_MONTHS and STORE_BY_SEGMENT_EXPIRY.
 *
 * The map: docs/architecture.md "The store".
 */
#ifndef PLANTCA_STORE_H
#define PLANTCA_STORE_H

#include "pc.h"
#include "buf.h"

enum { STORE_SCHEMA_VERSION = 3 };

typedef struct store store;
typedef struct store_txn store_txn;

typedef enum store_db {
	STORE_META = 0,     /* small named values: schema, audit head, counters */
	STORE_CAS,          /* CA name -> CA record */
	STORE_CERTS,        /* serial (20 bytes) -> certificate record */
	STORE_BY_SEGMENT,   /* segment NUL serial -> "" */
	STORE_BY_EXPIRY,    /* notAfter u64be | serial -> "" */
	STORE_INTENTS,      /* serial -> issuance intent (TBS bytes, CA, ...) */
	STORE_REQUESTS,     /* request id u64be -> request record */
	STORE_STATIONS,     /* station key id -> station record (last sequence) */
	STORE_REVOCATIONS,  /* serial -> revocation record */
	STORE_CRLS,         /* CA name -> current CRL + CRL number */
	STORE_AUDIT,        /* event sequence u64be -> audit event */
	STORE_SUPERSEDED,   /* old serial -> the serial that renewed it (schema 2) */
	STORE_REQ_BY_STATUS,   /* status NUL request id u64be -> "" (schema 3) */
	STORE_REQ_UNEXPORTED,  /* segment NUL id u64be -> "": exported == 0 (schema 3) */
	STORE_EXPIRY_MONTHS,   /* month u32be | segment -> u64be count of leaf
	                        * certificates neither revoked nor renewed (schema 3) */
	STORE_BY_SEGMENT_EXPIRY,  /* segment NUL notAfter u64be | serial -> "" (schema 3) */
	STORE_DB_COUNT
} store_db;

/* Open (or with `create`, create) the environment in `dir` (created with
 * mode 0700 if missing).  Checks/writes the schema version.  Errors:
 * PC_E_NOTFOUND (no store and !create), PC_E_STORE, PC_E_STORE_SCHEMA. */
pc_rc store_open(const char *dir, bool create, store **out, pc_err *e) PC_CHECK;
void store_close(store *s);

/* The schema version of the open store (STORE_SCHEMA_VERSION, or older). */
unsigned store_schema(const store *s);
/* A write transaction that also creates every database the store's schema
 * lacks; they exist only if it commits.  Only a migration uses it. */
pc_rc store_migrate_begin(store *s, store_txn **out, pc_err *e) PC_CHECK;
/* Record schema version `ver` (newer than the store's, at most
 * STORE_SCHEMA_VERSION) in a migration transaction; store_schema() says
 * it once the transaction commits. */
pc_rc store_schema_set(store_txn *t, unsigned ver, pc_err *e) PC_CHECK;

pc_rc store_begin(store *s, bool write, store_txn **out, pc_err *e) PC_CHECK;
/* Commit and free.  On failure the changes are gone (PC_E_STORE). */
pc_rc store_commit(store_txn *t, pc_err *e) PC_CHECK;
/* Abort and free; NULL is fine. */
void store_abort(store_txn *t);
/* End a write transaction with the result of the work done in it: commit
 * when rc is PC_OK, abort otherwise (then rc is returned as it is).  *t is
 * NULL afterwards either way. */
pc_rc store_end(store_txn **t, pc_rc rc, pc_err *e) PC_CHECK;

/* Put; with no_overwrite an existing key gives PC_E_EXISTS (MDB_NOOVERWRITE:
 * the database, not our code, enforces uniqueness). */
pc_rc store_put(store_txn *t, store_db db, const void *key, size_t klen,
    const void *val, size_t vlen, bool no_overwrite, pc_err *e) PC_CHECK;
/* Get; PC_E_NOTFOUND if absent.  *val valid until the txn ends. */
pc_rc store_get(store_txn *t, store_db db, const void *key, size_t klen,
    pc_reader *val, pc_err *e) PC_CHECK;
/* Delete; PC_E_NOTFOUND if absent. */
pc_rc store_del(store_txn *t, store_db db, const void *key, size_t klen,
    pc_err *e) PC_CHECK;

/* Visit every key starting with `prefix` (plen may be 0) in key order
 * (reverse order if `reverse`).  Long scans let go of the pages they have
 * read as they go (store_release_pages): their memory stays flat.  The visitor returns PC_OK to go on; it sets
 * *stop to end early.  A visitor error ends the scan and is returned. */
typedef pc_rc (*store_visit_fn)(void *ctx, pc_reader key, pc_reader val,
    bool *stop, pc_err *e);
pc_rc store_scan(store_txn *t, store_db db, const void *prefix, size_t plen,
    bool reverse, store_visit_fn fn, void *ctx, pc_err *e) PC_CHECK;
/* Visit every key from `from` (the first key >= from) to the end, in key
 * order: how a long listing is read page by page, each page in its own
 * short transaction, from the key after the last one seen. */
pc_rc store_scan_from(store_txn *t, store_db db, const void *from, size_t flen,
    store_visit_fn fn, void *ctx, pc_err *e) PC_CHECK;

/* Visit the keys that start with `prefix`, from the first key >= from
 * (from starts with the prefix): a page of an index from where the last
 * page ended. */
pc_rc store_scan_range(store_txn *t, store_db db, const void *prefix, size_t plen,
    const void *from, size_t flen, store_visit_fn fn, void *ctx, pc_err *e) PC_CHECK;
/* The schema that added database db (0: the first). */
unsigned store_db_since(store_db db);
/* A consistent, compacted copy of the store (mdb_env_copy2 with
 * MDB_CP_COMPACT) as dir/data.mdb; dir must exist and hold no data.mdb. */
pc_rc store_copy_compact(store *s, const char *dir, pc_err *e) PC_CHECK;

/* Drop this process's mapping of the store's pages; they stay in the page
 * cache and are mapped again on the next access.  The map is read-only (no
 * MDB_WRITEMAP), so this is safe at any time, inside transactions too.
 * Scans of millions of records call it so that resident memory stays
 * flat instead of growing with the size of the store. */
void store_release_pages(store *s);

/* Number of entries in a database. */
pc_rc store_count(store_txn *t, store_db db, uint64_t *n, pc_err *e) PC_CHECK;

#endif
