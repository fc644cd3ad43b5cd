/*
 * records_meta.c - the helpers every record codec shares, and the META
 * string values.  See records.h.
 */
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "records.h"

char *ca_strdup_reader(pc_reader v)
{
	return pc_rec_val_strdup(v);
}

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

	if (rc != PC_OK)
		return rc == PC_E_NOTFOUND ? pc_fail(e, PC_E_STORE_CORRUPT,
		    "store has no '%s' (not made by plantca init?)", key) : rc;
	*out = ca_strdup_reader(val);
	return *out ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

pc_rc ca_meta_put_str(store_txn *t, const char *key, const char *v, pc_err *e)
{
	return store_put(t, STORE_META, key, strlen(key), v, strlen(v), false, e);
}
