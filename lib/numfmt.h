/* numfmt: float32 values as the text "%.9g" makes of them, without printf.
 *
 * Nine significant digits are enough to read any float32 back exactly
 * (IEEE 754-2008 section 5.12.2: 9 decimal digits for binary32), so that
 * is the text form of float32 across mlpipe (io_format_number in
 * lib/io.h).  Formatting it is the hot loop of a tool that writes one
 * number per record; glibc's printf costs several times the rest. */
#ifndef MLPIPE_NUMFMT_H
#define MLPIPE_NUMFMT_H

#include <stddef.h>

/* Bytes the longest text takes, "-1.17549435e-38", and its NUL. */
#define NUMFMT_F32_SIZE 16

/* Write the text of the finite float f to out (NUMFMT_F32_SIZE bytes),
 * exactly as snprintf(out, NUMFMT_F32_SIZE, "%.9g", (double)f) does in the
 * C locale; returns its length. */
size_t numfmt_f32(float f, char *out);

#endif
