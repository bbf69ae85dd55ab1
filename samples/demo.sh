#!/bin/sh
# make demo: a real pipeline, then every samples/*.sh with gnuplot plots
# when gnuplot is present.  Outputs go to build/samples/.
set -eu
bindir=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build/samples"; mkdir -p "$out"
PATH="$bindir:$PATH"; export PATH
echo "demo: rotate 4 tokens x 2 heads of dimension 8, then undo it"
"$top/samples/rope-demo.sh" "$out"
for s in "$top"/samples/*.sh; do
	case $(basename "$s") in demo.sh|rope-demo.sh) continue ;; esac
	echo "demo: $(basename "$s" .sh)"
	"$s" "$out" || { echo "demo: $(basename "$s") failed" >&2; exit 1; }
done
echo "demo: outputs in $out"
