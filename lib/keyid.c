/* keyid: dense ids for byte strings (see keyid.h). */
#include "keyid.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a (Fowler, Noll, Vo; the 64-bit offset basis and prime), with the
 * high bits folded down since the table uses the low ones. */
static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
	return h ^ (h >> 29);
}

static int grow(keyid_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	if (cap > SIZE_MAX / 2 / sizeof(keyid_slot))
		return -1;
	keyid_slot *slot = calloc(cap, sizeof *slot);
	if (!slot)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slot[i].text)
			continue;
		size_t j = t->slot[i].hash & (cap - 1);
		while (slot[j].text)
			j = (j + 1) & (cap - 1);
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

int keyid_get(keyid_table *t, const char *text, size_t len, size_t *id)
{
	if ((t->used + 1) * 2 > t->cap && grow(t) != 0)
		return -1;
	uint64_t h = hash_bytes(text, len);
	size_t j = h & (t->cap - 1);
	for (; t->slot[j].text; j = (j + 1) & (t->cap - 1))
		if (t->slot[j].hash == h && t->slot[j].len == len && memcmp(t->slot[j].text, text, len) == 0) {
			*id = t->slot[j].id;
			return 0;
		}
	t->slot[j] = (keyid_slot){ text, len, h, t->used };
	*id = t->used++;
	return 0;
}

void keyid_free(keyid_table *t)
{
	free(t->slot);
	*t = (keyid_table){ 0 };
}
