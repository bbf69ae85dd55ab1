/* utf8: well-formed UTF-8 (RFC 3629; Unicode Table 3-7), which RFC 8259
 * section 8.1 requires of JSON text exchanged between systems. */
#ifndef MLPIPE_UTF8_H
#define MLPIPE_UTF8_H

#include <stddef.h>

/* The offset of the first byte that does not begin a well-formed sequence
 * (an overlong form, a surrogate, a code point above U+10FFFF, a stray or
 * missing continuation byte), or n when all of s is well formed. */
size_t utf8_invalid_at(const char *s, size_t n);

#endif
