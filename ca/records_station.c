/*
 * records_station.c - the plant station record (STORE_STATIONS, by key
 * id): segment, CA, public key, last sequence accepted; its decoder and
 * the list of all stations.  The fields are in records.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

void ca_station_free(ca_station *s)
{
	pc_rec_free(&ca_station_type, s);
}

pc_rc ca_station_encode(const ca_station *s, pc_buf *b, pc_err *e)
{
	return pc_rec_encode(&ca_station_type, s, b, e);
}

pc_rc ca_station_decode(pc_reader val, ca_station *s, pc_err *e)
{
	PC_TRY(pc_rec_decode(&ca_station_type, val, s, e));
	tr_keyid_text(s->keyid, s->keyid_text);
	return PC_OK;
}

void ca_station_list_free(ca_station_list_t *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ca_station_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

PC_CHECK static pc_rc station_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_station_list_t *l = ctx;

	(void)stop;
	if (!pc_grow(&l->v, &l->cap, l->n, sizeof *l->v, 8))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	if (ca_station_decode(val, &l->v[l->n], e) != PC_OK) {
		char id[17] = "?";
		if (pc_reader_left(&key) == CA_KEYID_LEN)
			tr_keyid_text(key.p + key.off, id);
		return pc_wrap(e, "station %s", id);
	}
	l->n++;
	return PC_OK;
}

pc_rc ca_stations_load(store_txn *t, ca_station_list_t *l, pc_err *e)
{
	memset(l, 0, sizeof *l);
	return store_scan(t, STORE_STATIONS, NULL, 0, false, station_visit, l, e);
}
