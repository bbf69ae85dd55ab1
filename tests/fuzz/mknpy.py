#!/usr/bin/env python3
"""Write a .npy file, possibly broken, to standard output (stdlib only).

usage: mknpy.py [options] [VALUE...]
  --dict TEXT     the header dict, verbatim (default: --descr, --fortran and
                  --shape)
  --shape S       shape as Python tuple text, e.g. "(2, 4)" (default
                  "(N,)" for N values)
  --descr D       dtype string (default <f4); values are packed as f4 or f8
  --fortran T     fortran_order text (default False)
  --version V     major version byte (default 1)
  --magic M       the six magic bytes, backslash escapes decoded (default
                  \\x93NUMPY)
  --hlen N        header length to write instead of the true one
  --no-pad        do not pad the header to 64 bytes
  --raw-bytes HEX append these bytes after the values
  --escapes       decode backslash escapes (\x00) in --dict too
Used by tests/cli/hardening.test to break one field at a time.
"""
import codecs
import struct
import sys


def main(argv):
    opts = {"descr": "<f4", "fortran": "False", "version": "1", "magic": r"\x93NUMPY"}
    values, pad, escapes, i = [], True, False, 0
    while i < len(argv):
        a = argv[i]
        if a == "--no-pad":
            pad = False
        elif a == "--escapes":
            escapes = True
        elif a.startswith("--"):
            opts[a[2:].replace("-", "_")] = argv[i + 1]
            i += 1
        else:
            values.append(float(a))
        i += 1
    descr = opts["descr"]
    shape = opts.get("shape", "(%d,)" % len(values))
    text = opts.get("dict") or "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, opts["fortran"], shape)
    magic = codecs.decode(opts["magic"], "unicode_escape")
    if escapes:
        text = codecs.decode(text, "unicode_escape")
    major = int(opts["version"])
    pre = 10 if major == 1 else 12
    header = text.encode("latin-1")
    if pad:
        header += b" " * ((64 - (pre + len(header) + 1) % 64) % 64) + b"\n"
    hlen = int(opts.get("hlen", len(header)))
    size = struct.pack("<H", hlen & 0xFFFF) if major == 1 else struct.pack("<I", hlen)
    fmt = "<%d%s" % (len(values), "d" if descr == "<f8" else "f")
    out = magic.encode("latin-1") + bytes([major, 0]) + size + header
    out += struct.pack(fmt, *values) + bytes.fromhex(opts.get("raw_bytes", ""))
    sys.stdout.buffer.write(out)


main(sys.argv[1:])
