/*
 * records_station.c - the plant station record (STORE_STATIONS, by key
 * id): segment, CA, public key, last sequence accepted.  See records.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "records.h"

/* record type and fields (common/rec.h); never reorder, only add */
enum { REC_STATION = 'S' };
enum { S_F_SEGMENT = 1, S_F_CA, S_F_PK, S_F_LAST_SEQ, S_F_ADDED, S_F_KEYID };

void ca_keyid_text(const uint8_t id[CA_KEYID_LEN], char out[17])
{
	uint64_t v = 0;
	int i;

	for (i = CA_KEYID_LEN - 1; i >= 0; i--)
		v = (v << 8) | id[i];
	snprintf(out, 17, "%016" PRIX64, v);
}

void ca_station_free(ca_station *s)
{
	free(s->segment);
	free(s->ca);
	memset(s, 0, sizeof *s);
}

void ca_station_encode(const ca_station *s, pc_buf *b)
{
	pc_rec_begin(b, REC_STATION, 1);
	pc_rec_str(b, S_F_SEGMENT, s->segment);
	pc_rec_str(b, S_F_CA, s->ca);
	pc_rec_bytes(b, S_F_PK, s->pk, CA_PK_LEN);
	pc_rec_u64(b, S_F_LAST_SEQ, s->last_seq);
	pc_rec_u64(b, S_F_ADDED, s->added);
	pc_rec_bytes(b, S_F_KEYID, s->keyid, CA_KEYID_LEN);
}

pc_rc ca_station_decode(pc_reader val, ca_station *s, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;
	bool pk = false, kid = false;

	memset(s, 0, sizeof *s);
	if (!pc_rec_open(&val, REC_STATION, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "station record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case S_F_SEGMENT: s->segment = ca_strdup_reader(f); break;
		case S_F_CA: s->ca = ca_strdup_reader(f); break;
		case S_F_PK:
			if ((pk = pc_reader_left(&f) == CA_PK_LEN))
				memcpy(s->pk, f.p + f.off, CA_PK_LEN);
			break;
		case S_F_KEYID:
			if ((kid = pc_reader_left(&f) == CA_KEYID_LEN))
				memcpy(s->keyid, f.p + f.off, CA_KEYID_LEN);
			break;
		case S_F_LAST_SEQ: (void)pc_rec_val_u64(f, &s->last_seq); break;
		case S_F_ADDED: (void)pc_rec_val_u64(f, &s->added); break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !s->segment || !s->ca || !pk || !kid) {
		ca_station_free(s);
		return pc_fail(e, PC_E_STORE_CORRUPT, "station record is truncated or malformed");
	}
	ca_keyid_text(s->keyid, s->keyid_text);
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

	(void)key;
	(void)stop;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 8;
		ca_station *nv = realloc(l->v, nc * sizeof *nv);
		if (nv == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		l->v = nv;
		l->cap = nc;
	}
	PC_TRY(ca_station_decode(val, &l->v[l->n], e));
	l->n++;
	return PC_OK;
}

pc_rc ca_stations_load(store_txn *t, ca_station_list_t *l, pc_err *e)
{
	memset(l, 0, sizeof *l);
	return store_scan(t, STORE_STATIONS, NULL, 0, false, station_visit, l, e);
}
