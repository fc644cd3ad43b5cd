/*
 * records_meta.c - the META values that are not records (records.h lists
 * them): strict getters that refuse a malformed value, and the helpers
 * the record files share.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

pc_rc ca_set_str(char **field, const char *v, pc_err *e)
{
	char *n = strdup(v);

	if (n == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	free(*field);
	*field = n;
	return PC_OK;
}

void ca_id_key(uint64_t id, uint8_t k[8])
{
	int i;

	for (i = 7; i >= 0; i--) {
		k[i] = (uint8_t)id;
		id >>= 8;
	}
}

pc_rc ca_meta_get_str(store_txn *t, const char *key, char **out, pc_err *e)
{
	pc_reader val;
	pc_rc rc = store_get(t, STORE_META, key, strlen(key), &val, e);
	size_t n;

	*out = NULL;
	if (rc != PC_OK)
		return rc == PC_E_NOTFOUND ? pc_fail(e, PC_E_STORE_CORRUPT,
		    "store has no '%s' (not made by plantca init?)", key) : rc;
	n = pc_reader_left(&val);
	if (n > CA_REC_PATH_MAX)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: %zu bytes, at most %d", key, n,
		    CA_REC_PATH_MAX);
	if (n && memchr(val.p + val.off, '\0', n) != NULL)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: contains a NUL byte", key);
	if ((*out = pc_rec_val_strdup(val)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	return PC_OK;
}

pc_rc ca_meta_put_str(store_txn *t, const char *key, const char *v, pc_err *e)
{
	return store_put(t, STORE_META, key, strlen(key), v, strlen(v), false, e);
}

pc_rc ca_meta_get_u64(store_txn *t, const char *key, uint64_t *v, bool *found, pc_err *e)
{
	pc_reader val;
	pc_rc rc = store_get(t, STORE_META, key, strlen(key), &val, e);

	*v = 0;
	*found = false;
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	if (!pc_rec_val_u64(val, v))
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: %zu bytes, expected 8", key,
		    pc_reader_left(&val));
	*found = true;
	return PC_OK;
}

pc_rc ca_meta_put_u64(store_txn *t, const char *key, uint64_t v, pc_err *e)
{
	uint8_t k[8];

	ca_id_key(v, k);
	return store_put(t, STORE_META, key, strlen(key), k, sizeof k, false, e);
}

pc_rc ca_meta_get_fixed(store_txn *t, const char *key, uint8_t *out, size_t n, pc_err *e)
{
	pc_reader val;
	pc_rc rc = store_get(t, STORE_META, key, strlen(key), &val, e);

	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_STORE_CORRUPT, "store has no '%s' (not made by plantca init?)",
		    key);
	PC_TRY(rc);
	if (pc_reader_left(&val) != n)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: %zu bytes, expected %zu", key,
		    pc_reader_left(&val), n);
	memcpy(out, val.p + val.off, n);
	return PC_OK;
}
