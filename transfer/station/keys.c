/*
 * keys.c - the station's side of key rotation (docs/lifecycle.md "Transfer
 * and station keys"): which CA transfer keys accept trusts, what a response
 * does to them, and the station key a response confirms.
 *
 * station.conf holds the state, rewritten atomically: transfer-key-next
 * (announced, trusted beside ca-transfer.pub), transfer-key-replaced
 * (never trusted again) and station-key-next (station.next.key, sent to
 * the CA and waiting for its confirmation).  Every crash point leaves a
 * state whose trusted keys are right: the replaced key is recorded before
 * ca-transfer.pub changes, and a key that ca-transfer.pub still holds but
 * station.conf names as replaced is not trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "file.h"
#include "station.h"

static bool same_key(const tr_pubkey *a, const tr_pubkey *b)
{
	return memcmp(a->keyid, b->keyid, TR_KEYID_LEN) == 0 && sodium_memcmp(a->pk, b->pk,
	    TR_PK_LEN) == 0;
}

pc_rc st_transfer_keys_load(const char *dir, const st_conf *c, st_transfer_keys *k, pc_err *e)
{
	tr_pubkey cur;

	memset(k, 0, sizeof *k);
	k->current = k->next = k->replaced = -1;
	PC_TRY(st_pubkey_load(dir, "ca-transfer.pub", &cur, e));
	if (!(c->has_transfer_replaced && same_key(&cur, &c->transfer_replaced))) {
		k->v[k->n] = cur;
		k->current = (int)k->n++;
	}
	if (c->has_transfer_next) {
		if (k->current >= 0 && same_key(&c->transfer_next, &cur)) {
			k->next = k->current;
		} else {
			k->v[k->n] = c->transfer_next;
			k->next = (int)k->n++;
		}
	}
	if (c->has_transfer_replaced) {
		k->v[k->n] = c->transfer_replaced;
		k->replaced = (int)k->n++;
	}
	if (k->current < 0 && k->next < 0)
		return pc_fail(e, PC_E_STATE, "%s/ca-transfer.pub holds the CA transfer key that "
		    "station.conf says was replaced, and no other key is known", dir);
	return PC_OK;
}

pc_rc st_keys_check(const st_transfer_keys *k, const tr_bundle *b, const st_conf *c,
    st_keys_plan *p, pc_err *e)
{
	char id[17], now[17];
	size_t i;

	memset(p, 0, sizeof *p);
	if (k->replaced >= 0 && b->signer == (size_t)k->replaced) {
		tr_keyid_text(k->v[k->replaced].keyid, id);
		tr_keyid_text(k->v[k->current >= 0 ? k->current : k->next].keyid, now);
		return pc_fail(e, PC_E_SIGNATURE, "%s.tar: signed by CA transfer key %s, which this "
		    "station replaced by %s (plantca transfer roll): refused", b->name, id, now);
	}
	if (b->meta.transfer_key[0] != '\0') {
		PC_TRY(tr_keyroll_verify(b, "transfer", TR_TRANSFER_KEY_MEMBER, b->meta.transfer_key,
		    &k->v[b->signer], &p->transfer_new, e));
		p->transfer_announce = true;
	}
	p->transfer_switch = k->next >= 0 && b->signer == (size_t)k->next && k->next != k->current;
	for (i = 0; c->station_next[0] != '\0' && i < b->meta.nstation_keys; i++)
		if (strcmp(b->meta.station_keys[i], c->station_next) == 0)
			p->station_switch = true;
	return PC_OK;
}

PC_CHECK static pc_rc dir_sync(const char *dir, pc_err *e)
{
	int fd;

	PC_TRY(PC_FAULT("dir.sync", dir, e));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return pc_fail(e, PC_E_IO, "%s: fsync: %s", dir, strerror(err));
	}
	close(fd);
	return PC_OK;
}

/* station.next.NAME over station.NAME, when it is still there */
PC_CHECK static pc_rc next_into_place(const char *dir, const char *name, pc_err *e)
{
	char from[PATH_MAX], to[PATH_MAX], f[32], t[32];

	snprintf(f, sizeof f, "station.next.%s", name);
	snprintf(t, sizeof t, "station.%s", name);
	PC_TRY(st_path_join(from, dir, f, e));
	PC_TRY(st_path_join(to, dir, t, e));
	if (access(from, F_OK) != 0)
		return PC_OK;
	PC_TRY(PC_FAULT("keys.rename", to, e));
	if (rename(from, to) != 0)
		return pc_fail(e, PC_E_IO, "%s -> %s: %s", from, to, strerror(errno));
	return PC_OK;
}

/* The station key switch: the public key first, then the secret key (a
 * crash between them is finished by st_keys_settle). */
PC_CHECK static pc_rc station_switch(const char *dir, pc_err *e)
{
	PC_TRY(next_into_place(dir, "pub", e));
	PC_TRY(next_into_place(dir, "key", e));
	return dir_sync(dir, e);
}

pc_rc st_keys_apply(const char *dir, const st_transfer_keys *k, const st_keys_plan *p,
    st_conf *c, pc_err *e)
{
	if (p->transfer_switch) {
		char path[PATH_MAX];
		pc_buf b = PC_BUF_INIT;
		pc_rc rc;
		/* the old key recorded as replaced before ca-transfer.pub changes:
		 * from this save on it is never trusted again */
		if (k->current >= 0) {
			c->has_transfer_replaced = true;
			c->transfer_replaced = k->v[k->current];
		}
		PC_TRY(st_conf_save(dir, c, false, e));
		PC_TRY(st_path_join(path, dir, "ca-transfer.pub", e));
		tr_pubkey_format(&k->v[k->next], NULL, &b);
		rc = pc_buf_ok(&b) ? pc_file_write_atomic(path, b.p, b.len, 0644, false, e) :
		    pc_fail(e, PC_E_NOMEM, "out of memory");
		pc_buf_free(&b);
		PC_TRY(rc);
		c->has_transfer_next = false;
	}
	/* a switch a crash interrupted after ca-transfer.pub was written */
	if (k->next >= 0 && k->next == k->current)
		c->has_transfer_next = false;
	if (p->transfer_announce) {
		const tr_pubkey *now = &k->v[p->transfer_switch ? k->next :
		    k->current >= 0 ? k->current : k->next];
		if (!same_key(&p->transfer_new, now)) {
			c->has_transfer_next = true;
			c->transfer_next = p->transfer_new;
		}
	}
	if (p->station_switch) {
		PC_TRY(station_switch(dir, e));
		c->station_next[0] = '\0';
	}
	return PC_OK;
}

pc_rc st_keys_settle(const char *dir, st_conf *c, pc_err *e)
{
	tr_pubkey pub;
	char id[17];

	if (c->station_next[0] == '\0')
		return PC_OK;
	PC_TRY(st_pubkey_load(dir, "station.pub", &pub, e));
	tr_keyid_text(pub.keyid, id);
	if (strcmp(id, c->station_next) != 0)
		return PC_OK;
	/* station.pub is the new key already: an accept that confirmed it
	 * stopped before station.conf recorded it */
	PC_TRY(next_into_place(dir, "key", e));
	PC_TRY(dir_sync(dir, e));
	c->station_next[0] = '\0';
	return st_conf_save(dir, c, false, e);
}
