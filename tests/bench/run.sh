#!/bin/sh
# make bench: run every tests/bench/*.sh (one per program) with BINDIR.
# The peers use Debian's python3 (python3-numpy, python3-torch).
set -u
bindir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-/usr/bin/python3}
if ! "$PY" -c 'import numpy, torch' 2>/dev/null; then
	echo "bench: the peers need Debian's python3-numpy and python3-torch:" >&2
	echo "       apt-get install python3-numpy python3-torch" >&2
	exit 1
fi
export PY
status=0
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	"$b" "$bindir" || status=1
done
exit $status
