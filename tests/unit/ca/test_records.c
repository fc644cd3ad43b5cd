/*
 * test_records.c - the record tables of ca/records.h: each one is a table
 * the codec can use (pc_rec_type_ok), type bytes and names are unique,
 * and an empty struct of each kind encodes to a record that decodes back
 * or is refused at encode time (never written unreadable).
 */
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "check.h"

int main(void)
{
	size_t i, j;
	char why[256];

	for (i = 0; i < CA_REC_NTYPES; i++) {
		const pc_rec_type *t = ca_rec_types[i];
		void *s = calloc(1, t->size), *back = calloc(1, t->size);
		pc_buf b = PC_BUF_INIT;
		pc_err e;
		CHECK(s != NULL && back != NULL);
		CHECKF(pc_rec_type_ok(t, why, sizeof why), "%s", why);
		CHECKF(t->version == 1, "%s: version %u", t->name, t->version);
		for (j = 0; j < i; j++) {
			CHECKF(ca_rec_types[j]->type != t->type, "%s and %s share type '%c'", t->name,
			    ca_rec_types[j]->name, t->type);
			CHECKF(strcmp(ca_rec_types[j]->name, t->name) != 0, "%s twice", t->name);
		}
		/* a zeroed struct: either refused by encode (a bound it breaks)
		 * or written as a record that decodes */
		if (pc_rec_encode(t, s, &b, &e) == PC_OK) {
			CHECKF(pc_rec_decode(t, pc_reader_make(b.p, b.len), back, &e) == PC_OK,
			    "%s: wrote what it cannot read: %s", t->name, e.msg);
			pc_rec_free(t, back);
		} else {
			CHECKF(e.rc == PC_E_INTERNAL && strstr(e.msg, "(not written)"), "%s: %s",
			    t->name, e.msg);
		}
		pc_buf_free(&b);
		free(s);
		free(back);
	}
	return 0;
}
