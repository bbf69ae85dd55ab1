/* Fuzz the dense key table (lib/keyid.c keyid_get) against a list searched
 * from the start.
 * Input: keys separated by '\n' (empty keys and repeats included).
 * Oracle: the k-th distinct key gets id k, a repeated key its first id,
 * whatever the hash collisions and however often the table grew. */
#include "fuzz.h"

#include "keyid.h"

static void fuzz_keyid(const uint8_t *data, size_t size)
{
	/* A copy of its own size: ASan sees any read past a key. */
	char *text = malloc(size ? size : 1);
	size_t *starts = malloc((size + 1) * sizeof *starts);
	size_t *lens = malloc((size + 1) * sizeof *lens);
	if (!text || !starts || !lens) {
		free(text);
		free(starts);
		free(lens);
		return;
	}
	memcpy(text, data, size);
	keyid_table t = {0};
	size_t distinct = 0;
	for (size_t at = 0; at <= size;) {
		const char *nl = memchr(text + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (text + at)) : size - at;
		size_t want = distinct;
		for (size_t k = 0; k < distinct; k++)
			if (lens[k] == len && memcmp(text + starts[k], text + at, len) == 0) {
				want = k;
				break;
			}
		if (want == distinct) {
			starts[distinct] = at;
			lens[distinct++] = len;
		}
		size_t id = (size_t)-1;
		int rc = keyid_get(&t, text + at, len, &id);
		FUZZ_CHECK(rc == 0 && id == want, "key at %zu (%zu bytes): id %zu, expected %zu", at, len, id, want);
		FUZZ_CHECK(t.used == distinct, "%zu keys counted, %zu distinct", t.used, distinct);
		at += len + 1;
	}
	keyid_free(&t);
	free(text);
	free(starts);
	free(lens);
}

FUZZ_TARGET(fuzz_keyid)
