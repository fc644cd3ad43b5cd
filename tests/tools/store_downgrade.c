/*
 * store_downgrade - TEST ONLY: turn a CA store back into the older schema
 * it would have been before later indexes existed: schema 2 drops the
 * request indexes and expiry counts of schema 3 ("req-by-status",
 * "req-unexported", "expiry-months", "by-segment-expiry"); schema
 * 1 also drops the supersession index ("superseded"); META schema is set
 * to the target.  The upgrade tests then run the migrations on stores that
 * hold what the committed fixtures do not (CMP key updates, a big store).
 * LMDB directly: the product's store layer never removes a database.
 *
 *   store_downgrade HOME/db [SCHEMA]     (SCHEMA 1 or 2, default 1)
 */
#include <lmdb.h>
#include <stdio.h>
#include <string.h>

static int drop(MDB_txn *txn, const char *name)
{
	MDB_dbi d;
	int rc = mdb_dbi_open(txn, name, 0, &d);

	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? rc : mdb_drop(txn, d, 1);
}

int main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	unsigned char ver[4] = { 0, 0, 0, 1 };
	MDB_val k = { 6, (void *)"schema" }, v = { sizeof ver, ver };
	int rc;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "1") != 0 &&
	    strcmp(argv[2], "2") != 0)) {
		fprintf(stderr, "usage: store_downgrade DBDIR [1|2]\n");
		return 2;
	}
	if (argc == 3)
		ver[3] = (unsigned char)(argv[2][0] - '0');
	if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_maxdbs(env, 32)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, (size_t)32 << 30)) != 0 ||
	    (rc = mdb_env_open(env, argv[1], 0, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", 0, &meta)) != 0 ||
	    (rc = drop(txn, "req-by-status")) != 0 ||
	    (rc = drop(txn, "req-unexported")) != 0 ||
	    (rc = drop(txn, "expiry-months")) != 0 ||
	    (rc = drop(txn, "by-segment-expiry")) != 0 ||
	    (ver[3] == 1 && (rc = drop(txn, "superseded")) != 0) ||
	    (rc = mdb_put(txn, meta, &k, &v, 0)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		fprintf(stderr, "store_downgrade: %s: %s\n", argv[1], mdb_strerror(rc));
		return 1;
	}
	mdb_env_close(env);
	return 0;
}
