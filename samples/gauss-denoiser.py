#!/usr/bin/env python3
"""A denoiser for sample-ode --denoiser-cmd, in the Python standard library.

It is the ideal denoiser of the Gaussian N(mu, s^2 I),
D(x; sigma) = (s^2 x + sigma^2 mu) / (s^2 + sigma^2), and speaks the
protocol of sample-ode(1): requests of 32 bytes ("DNRQ", uint32 version 1,
uint64 rows, uint64 dim, float64 sigma) then rows x dim float64; responses
"DNRS" then rows x dim float64; all little-endian.  A model in any language
answers the same way.

usage: gauss-denoiser.py [MU [S]]   (defaults 0 and 1)
"""
import struct
import sys


def read_exact(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def main():
    mu = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    s = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = read_exact(inp, 32)
        if not head:
            return 0  # the sampler closed our input: done
        if len(head) < 32:
            sys.exit("gauss-denoiser: truncated request header")
        tag, version, rows, dim, sigma = struct.unpack("<4sIQQd", head)
        if tag != b"DNRQ" or version != 1:
            sys.exit("gauss-denoiser: not a version 1 request")
        count = rows * dim
        x = struct.unpack("<%dd" % count, read_exact(inp, 8 * count))
        keep = s * s / (s * s + sigma * sigma)
        pull = sigma * sigma / (s * s + sigma * sigma)
        out.write(b"DNRS" + struct.pack("<%dd" % count, *(keep * v + pull * mu for v in x)))
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
