/* keyid: dense ids for byte strings, numbered in order of first sight.
 *
 * For grouping records by the raw JSON text of a field (a prompt's id in
 * grpo-adv, an environment's in gae): the k-th distinct key gets id k, and
 * the ids index the arrays of the math modules.  The keys are not copied:
 * they must stay valid while the table is in use.  Open addressing with
 * linear probing on an FNV-1a hash, at most half full. */
#ifndef MLPIPE_KEYID_H
#define MLPIPE_KEYID_H

#include <stddef.h>
#include <stdint.h>

typedef struct keyid_slot {
	const char *text;    /* NULL: empty */
	size_t len;
	uint64_t hash;
	size_t id;
} keyid_slot;

typedef struct keyid_table {
	keyid_slot *slot;
	size_t cap;
	size_t used;         /* distinct keys so far: the next id */
} keyid_table;

/* A zeroed table is empty.  The id of the key text[0 .. len) (text not
 * NULL): 0, or -1 when out of memory. */
int keyid_get(keyid_table *t, const char *text, size_t len, size_t *id);
void keyid_free(keyid_table *t);

#endif
