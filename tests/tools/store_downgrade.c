/*
 * store_downgrade - TEST ONLY: turn a schema 2 CA store back into the
 * schema 1 it would have been before the supersession index existed
 * (drop the "superseded" database, META schema = 1), so that the upgrade
 * test can run the 1 -> 2 migration on a store that holds CMP key update
 * requests, which the committed schema 1 fixture does not.  LMDB
 * directly: the product's store layer never removes a database.
 *
 *   store_downgrade HOME/db
 */
#include <lmdb.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, sup;
	unsigned char one[4] = { 0, 0, 0, 1 };
	MDB_val k = { 6, (void *)"schema" }, v = { sizeof one, one };
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: store_downgrade DBDIR\n");
		return 2;
	}
	if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_maxdbs(env, 32)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, (size_t)1 << 30)) != 0 ||
	    (rc = mdb_env_open(env, argv[1], 0, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", 0, &meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "superseded", 0, &sup)) != 0 ||
	    (rc = mdb_drop(txn, sup, 1)) != 0 ||
	    (rc = mdb_put(txn, meta, &k, &v, 0)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		fprintf(stderr, "store_downgrade: %s: %s\n", argv[1], mdb_strerror(rc));
		return 1;
	}
	mdb_env_close(env);
	return 0;
}
