/*
 * test_store.c - store.h: create/open/reopen, put/get/del, NOOVERWRITE,
 * aborted transactions, prefix scans (forward, reverse, early stop),
 * schema refusal, and the migration path of an older schema (ca/migrate.c
 * drives it): an old store opens without the databases it lacks, a
 * migration transaction that aborts (a crash) leaves it exactly old, one
 * that commits makes it current.
 */
#include <lmdb.h>
#include <sys/stat.h>

#include "store.h"
#include "check.h"

static char root[1024];  /* short, so that root/NAME fits 4096 */

static void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", root, name);
}

static void put_str(store_txn *t, store_db db, const char *k, const char *v)
{
	CHECK_OK(store_put(t, db, k, strlen(k), v, strlen(v), false, &t_err));
}

static void get_str(store_txn *t, store_db db, const char *k,
    const char *want)
{
	pc_reader v;

	CHECK_OK(store_get(t, db, k, strlen(k), &v, &t_err));
	CHECK(pc_reader_left(&v) == strlen(want));
	CHECK(memcmp(v.p, want, strlen(want)) == 0);
}

static void test_open_missing(void)
{
	char dir[4096];
	store *s = NULL;

	/* An empty directory, and one that does not exist. */
	CHECK_RC(store_open(root, false, &s, &t_err), PC_E_NOTFOUND);
	CHECK_MSG("no CA store here (run plantca init)");
	CHECK_MSG(root);
	CHECK(s == NULL);
	path_in(dir, sizeof dir, "nonexistent");
	CHECK_RC(store_open(dir, false, &s, &t_err), PC_E_NOTFOUND);
	CHECK(s == NULL);
	CHECK(access(dir, F_OK) != 0);   /* !create creates nothing */
}

static void test_basic(void)
{
	char dir[4096];
	struct stat st;
	store *s;
	store_txn *t, *t2;
	pc_reader v;
	uint64_t n;

	path_in(dir, sizeof dir, "basic");
	CHECK_OK(store_open(dir, true, &s, &t_err));
	CHECK(stat(dir, &st) == 0);
	CHECK((st.st_mode & 07777) == 0700);

	CHECK_OK(store_begin(s, true, &t, &t_err));
	put_str(t, STORE_CERTS, "serial-1", "cert one");
	put_str(t, STORE_CERTS, "serial-2", "cert two");
	put_str(t, STORE_CAS, "serial-1", "a different database");
	/* NOOVERWRITE: refused by LMDB, old value kept, txn still usable. */
	CHECK_RC(store_put(t, STORE_CERTS, "serial-1", 8, "x", 1, true,
	    &t_err), PC_E_EXISTS);
	CHECK_MSG("already exists");
	get_str(t, STORE_CERTS, "serial-1", "cert one");
	/* Only one writer: a second write txn would deadlock. */
	CHECK_RC(store_begin(s, true, &t2, &t_err), PC_E_INTERNAL);
	CHECK(t2 == NULL);
	CHECK_OK(store_commit(t, &t_err));

	/* A read txn cannot write; overwrite without no_overwrite works. */
	CHECK_OK(store_begin(s, false, &t, &t_err));
	CHECK_RC(store_put(t, STORE_CERTS, "k", 1, "v", 1, false, &t_err),
	    PC_E_INTERNAL);
	CHECK_RC(store_del(t, STORE_CERTS, "serial-1", 8, &t_err),
	    PC_E_INTERNAL);
	store_abort(t);
	CHECK_OK(store_begin(s, true, &t, &t_err));
	put_str(t, STORE_CERTS, "serial-2", "cert two, updated");
	CHECK_OK(store_commit(t, &t_err));

	/* Aborted transaction leaves nothing. */
	CHECK_OK(store_begin(s, true, &t, &t_err));
	put_str(t, STORE_CERTS, "serial-3", "never committed");
	CHECK_OK(store_del(t, STORE_CERTS, "serial-1", 8, &t_err));
	store_abort(t);
	store_abort(NULL);
	store_close(s);

	/* Reopen without create: everything committed is there. */
	CHECK_OK(store_open(dir, false, &s, &t_err));
	CHECK_OK(store_begin(s, false, &t, &t_err));
	get_str(t, STORE_CERTS, "serial-1", "cert one");
	get_str(t, STORE_CERTS, "serial-2", "cert two, updated");
	get_str(t, STORE_CAS, "serial-1", "a different database");
	CHECK_RC(store_get(t, STORE_CERTS, "serial-3", 8, &v, &t_err),
	    PC_E_NOTFOUND);
	CHECK_MSG("certs: no key 73657269616c2d33");
	CHECK_OK(store_count(t, STORE_CERTS, &n, &t_err));
	CHECK(n == 2);
	CHECK_OK(store_count(t, STORE_REQUESTS, &n, &t_err));
	CHECK(n == 0);
	CHECK_OK(store_commit(t, &t_err));

	/* Delete, then it is gone; deleting again is NOTFOUND. */
	CHECK_OK(store_begin(s, true, &t, &t_err));
	CHECK_OK(store_del(t, STORE_CERTS, "serial-1", 8, &t_err));
	CHECK_RC(store_del(t, STORE_CERTS, "serial-1", 8, &t_err),
	    PC_E_NOTFOUND);
	CHECK_RC(store_get(t, STORE_CERTS, "serial-1", 8, &v, &t_err),
	    PC_E_NOTFOUND);
	CHECK_OK(store_commit(t, &t_err));
	store_close(s);

	/* Reopen with create: an existing store is opened, not reset. */
	CHECK_OK(store_open(dir, true, &s, &t_err));
	CHECK_OK(store_begin(s, false, &t, &t_err));
	get_str(t, STORE_CERTS, "serial-2", "cert two, updated");
	CHECK_OK(store_count(t, STORE_CERTS, &n, &t_err));
	CHECK(n == 1);
	store_abort(t);
	store_close(s);
	t_rmdir(dir, "data.mdb", "lock.mdb", (char *)NULL);
}

/* Scan visitor: appends "key," to a string; stops after `limit` keys. */
struct seen {
	char keys[512];
	int n;
	int limit;
	bool fail_at_2;
};

PC_CHECK static pc_rc visit(void *ctx, pc_reader key, pc_reader val, bool *stop,
    pc_err *e)
{
	struct seen *sn = ctx;
	size_t i, o = strlen(sn->keys);

	for (i = 0; i < key.len && o + 4 < sizeof sn->keys; i++) {
		uint8_t c = key.p[i];

		if (c >= 0x21 && c < 0x7f)
			sn->keys[o++] = (char)c;
		else
			o += (size_t)snprintf(sn->keys + o,
			    sizeof sn->keys - o, "%02x", c);
	}
	sn->keys[o++] = ',';
	sn->keys[o] = '\0';
	sn->n++;
	if (sn->fail_at_2 && sn->n == 2)
		return pc_fail(e, PC_E_INPUT, "visitor refused %d", sn->n);
	if (sn->limit && sn->n >= sn->limit)
		*stop = true;
	return PC_OK;
}

static const char *scan(store_txn *t, const char *prefix, size_t plen,
    bool reverse, int limit)
{
	static struct seen sn;

	memset(&sn, 0, sizeof sn);
	sn.limit = limit;
	CHECK_OK(store_scan(t, STORE_BY_EXPIRY, prefix, plen, reverse, visit,
	    &sn, &t_err));
	return sn.keys;
}

static void test_scan(void)
{
	static const char *const keys[] = {
		"a", "a1", "a2", "a3", "ab", "b", "b1",
		"\xff", "\xff\x01", "\xff\xff", "\xff\xff\x01", "c",
	};
	char dir[4096];
	struct seen sn;
	store *s;
	store_txn *t;
	size_t i;

	path_in(dir, sizeof dir, "scan");
	CHECK_OK(store_open(dir, true, &s, &t_err));
	CHECK_OK(store_begin(s, true, &t, &t_err));
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		put_str(t, STORE_BY_EXPIRY, keys[i], "");
	put_str(t, STORE_CERTS, "a0", "other database, never visited");
	CHECK_OK(store_commit(t, &t_err));

	CHECK_OK(store_begin(s, false, &t, &t_err));
	CHECK(strcmp(scan(t, "a", 1, false, 0), "a,a1,a2,a3,ab,") == 0);
	CHECK(strcmp(scan(t, "a", 1, true, 0), "ab,a3,a2,a1,a,") == 0);
	CHECK(strcmp(scan(t, "a", 1, false, 2), "a,a1,") == 0);
	CHECK(strcmp(scan(t, "a", 1, true, 2), "ab,a3,") == 0);
	CHECK(strcmp(scan(t, "b", 1, true, 0), "b1,b,") == 0);
	CHECK(strcmp(scan(t, "c", 1, true, 0), "c,") == 0);
	CHECK(strcmp(scan(t, "a2", 2, false, 0), "a2,") == 0);
	CHECK(strcmp(scan(t, "a4", 2, false, 0), "") == 0);
	CHECK(strcmp(scan(t, "a4", 2, true, 0), "") == 0);
	CHECK(strcmp(scan(t, "d", 1, true, 0), "") == 0);
	CHECK(strcmp(scan(t, "0", 1, true, 0), "") == 0);
	/* Prefixes without a successor (trailing 0xff) seek from the end. */
	CHECK(strcmp(scan(t, "\xff\xff", 2, true, 0), "ffff01,ffff,") == 0);
	CHECK(strcmp(scan(t, "\xff", 1, true, 0), "ffff01,ffff,ff01,ff,")
	    == 0);
	CHECK(strcmp(scan(t, "\xff", 1, false, 0), "ff,ff01,ffff,ffff01,")
	    == 0);
	CHECK(strcmp(scan(t, NULL, 0, false, 0),
	    "a,a1,a2,a3,ab,b,b1,c,ff,ff01,ffff,ffff01,") == 0);
	CHECK(strcmp(scan(t, NULL, 0, true, 3), "ffff01,ffff,ff01,") == 0);

	/* A visitor error ends the scan and comes back unchanged. */
	memset(&sn, 0, sizeof sn);
	sn.fail_at_2 = true;
	CHECK_RC(store_scan(t, STORE_BY_EXPIRY, "a", 1, false, visit, &sn,
	    &t_err), PC_E_INPUT);
	CHECK_MSG("visitor refused 2");
	CHECK(strcmp(sn.keys, "a,a1,") == 0);
	store_abort(t);
	store_close(s);
	t_rmdir(dir, "data.mdb", "lock.mdb", (char *)NULL);
}

static void test_schema(void)
{
	static const uint8_t newer[4] = { 0, 0, 0, STORE_SCHEMA_VERSION + 1 };
	char dir[4096];
	store *s;
	store_txn *t;
	pc_reader v;

	path_in(dir, sizeof dir, "schema");
	CHECK_OK(store_open(dir, true, &s, &t_err));
	CHECK_OK(store_begin(s, false, &t, &t_err));
	CHECK_OK(store_get(t, STORE_META, "schema", 6, &v, &t_err));
	CHECK(v.len == 4 && v.p[0] == 0 && v.p[1] == 0 && v.p[2] == 0 &&
	    v.p[3] == STORE_SCHEMA_VERSION);
	store_abort(t);
	CHECK_OK(store_begin(s, true, &t, &t_err));
	CHECK_OK(store_put(t, STORE_META, "schema", 6, newer, 4, false,
	    &t_err));
	CHECK_OK(store_commit(t, &t_err));
	store_close(s);

	s = NULL;
	CHECK_RC(store_open(dir, false, &s, &t_err), PC_E_STORE_SCHEMA);
	CHECK_MSG("store schema 4 is newer than this plantca (3); "
	    "upgrade plantca");
	CHECK_MSG(dir);
	CHECK(s == NULL);
	/* create must not "repair" a newer store either. */
	CHECK_RC(store_open(dir, true, &s, &t_err), PC_E_STORE_SCHEMA);
	CHECK_RC(store_open(dir, false, &s, &t_err), PC_E_STORE_SCHEMA);
	t_rmdir(dir, "data.mdb", "lock.mdb", (char *)NULL);

	/* A store without a schema version is damaged, and create does not
	 * "repair" it: the version is written only into a new environment. */
	CHECK_OK(store_open(dir, true, &s, &t_err));
	CHECK_OK(store_begin(s, true, &t, &t_err));
	CHECK_OK(store_del(t, STORE_META, "schema", 6, &t_err));
	CHECK_OK(store_commit(t, &t_err));
	store_close(s);
	CHECK_RC(store_open(dir, false, &s, &t_err), PC_E_STORE_CORRUPT);
	CHECK_MSG("no schema version");
	CHECK_RC(store_open(dir, true, &s, &t_err), PC_E_STORE_CORRUPT);
	CHECK_MSG("no schema version");
	t_rmdir(dir, "data.mdb", "lock.mdb", (char *)NULL);
}

/* LMDB directly: a schema 3 store turned into the schema 1 store it would
 * have been (no "superseded" database nor those of schema 3, schema 1) */
static void downgrade(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, sup;
	static const char *const later[] = { "superseded", "req-by-status", "req-unexported",
		"expiry-months", "by-segment-expiry" };
	size_t i;
	uint8_t one[4] = { 0, 0, 0, 1 };
	MDB_val k = { 6, (void *)"schema" }, v = { 4, one };

	CHECK(mdb_env_create(&env) == 0);
	CHECK(mdb_env_set_maxdbs(env, 32) == 0);
	CHECK(mdb_env_open(env, dir, 0, 0600) == 0);
	CHECK(mdb_txn_begin(env, NULL, 0, &txn) == 0);
	CHECK(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
	for (i = 0; i < sizeof later / sizeof later[0]; i++) {
		CHECK(mdb_dbi_open(txn, later[i], 0, &sup) == 0);
		CHECK(mdb_drop(txn, sup, 1) == 0);
	}
	CHECK(mdb_put(txn, meta, &k, &v, 0) == 0);
	CHECK(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
}

static void test_migrate(void)
{
	char dir[4096];
	store *s;
	store_txn *t;
	pc_reader v;

	path_in(dir, sizeof dir, "migrate");
	CHECK_OK(store_open(dir, true, &s, &t_err));
	CHECK(store_schema(s) == STORE_SCHEMA_VERSION);
	CHECK_OK(store_begin(s, true, &t, &t_err));
	put_str(t, STORE_CERTS, "c1", "cert");
	put_str(t, STORE_SUPERSEDED, "old", "new");
	CHECK_RC(store_schema_set(t, 2, &t_err), PC_E_INTERNAL);   /* not a migration */
	CHECK_OK(store_commit(t, &t_err));
	store_close(s);
	downgrade(dir);

	/* schema 1: opens; the old databases work, the new one is absent */
	CHECK_OK(store_open(dir, false, &s, &t_err));
	CHECK(store_schema(s) == 1);
	CHECK_OK(store_begin(s, false, &t, &t_err));
	get_str(t, STORE_CERTS, "c1", "cert");
	CHECK_RC(store_get(t, STORE_SUPERSEDED, "old", 3, &v, &t_err), PC_E_STORE_SCHEMA);
	CHECK_MSG("store schema 1 has no database 'superseded' (schema 2): run plantca migrate");
	store_abort(t);

	/* a migration that aborts (a crash before the commit) leaves schema 1
	 * and no new database, in this process and on disk */
	CHECK_OK(store_migrate_begin(s, &t, &t_err));
	put_str(t, STORE_SUPERSEDED, "x", "y");
	CHECK_RC(store_schema_set(t, STORE_SCHEMA_VERSION + 1, &t_err), PC_E_INTERNAL);
	CHECK_OK(store_schema_set(t, 2, &t_err));
	store_abort(t);
	CHECK(store_schema(s) == 1);
	CHECK_OK(store_begin(s, false, &t, &t_err));
	CHECK_RC(store_get(t, STORE_SUPERSEDED, "x", 1, &v, &t_err), PC_E_STORE_SCHEMA);
	store_abort(t);
	store_close(s);
	CHECK_OK(store_open(dir, false, &s, &t_err));
	CHECK(store_schema(s) == 1);

	/* one that commits: schema 2, the database and its entries there */
	CHECK_OK(store_migrate_begin(s, &t, &t_err));
	put_str(t, STORE_SUPERSEDED, "old", "new");
	CHECK_OK(store_schema_set(t, 2, &t_err));
	CHECK_OK(store_commit(t, &t_err));
	CHECK(store_schema(s) == 2);
	CHECK_OK(store_begin(s, false, &t, &t_err));
	get_str(t, STORE_SUPERSEDED, "old", "new");
	get_str(t, STORE_CERTS, "c1", "cert");
	store_abort(t);
	store_close(s);
	CHECK_OK(store_open(dir, false, &s, &t_err));
	CHECK(store_schema(s) == 2);
	CHECK_OK(store_begin(s, false, &t, &t_err));
	get_str(t, STORE_SUPERSEDED, "old", "new");
	CHECK_RC(store_get(t, STORE_SUPERSEDED, "x", 1, &v, &t_err), PC_E_NOTFOUND);
	/* schema 2 has no request index yet (schema 3) */
	CHECK_RC(store_get(t, STORE_REQ_BY_STATUS, "x", 1, &v, &t_err), PC_E_STORE_SCHEMA);
	CHECK_MSG("store schema 2 has no database 'req-by-status' (schema 3): run plantca migrate");
	store_abort(t);

	/* 2 -> 3: the schema 3 databases, a range of one index */
	CHECK_OK(store_migrate_begin(s, &t, &t_err));
	put_str(t, STORE_REQ_BY_STATUS, "issued-1", "");
	put_str(t, STORE_REQ_BY_STATUS, "issued-2", "");
	put_str(t, STORE_REQ_BY_STATUS, "pending-3", "");
	CHECK_OK(store_schema_set(t, 3, &t_err));
	CHECK_OK(store_commit(t, &t_err));
	CHECK(store_schema(s) == 3);
	CHECK_OK(store_begin(s, false, &t, &t_err));
	{
		struct seen sn;
		memset(&sn, 0, sizeof sn);
		CHECK_OK(store_scan_range(t, STORE_REQ_BY_STATUS, "issued-", 7, "issued-2", 8, visit,
		    &sn, &t_err));
		CHECK(strcmp(sn.keys, "issued-2,") == 0);
		CHECK_RC(store_scan_range(t, STORE_REQ_BY_STATUS, "issued-", 7, "pending", 7, visit,
		    &sn, &t_err), PC_E_INTERNAL);
	}
	store_abort(t);
	store_close(s);
	t_rmdir(dir, "data.mdb", "lock.mdb", (char *)NULL);
}

int main(void)
{
	t_tmpdir(root, sizeof root, "store");
	test_open_missing();
	test_basic();
	test_scan();
	test_schema();
	test_migrate();
	CHECK(rmdir(root) == 0);
	printf("store: ok\n");
	return 0;
}
