#!/usr/bin/env bash
# Run every command of every man page's EXAMPLES section verbatim.
#   usage: tests/man-examples.sh BINDIR PAGE...
# A command is a line of a literal display (.Bd -literal) in EXAMPLES that
# begins with "$ "; a trailing backslash continues it on the next line.  The
# commands of one page run in order, in one fresh directory holding a copy of
# samples/, with BINDIR first on PATH and "set -o pipefail"; each must exit 0.
set -u
bindir=$(cd "$1" && pwd); shift
top=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$bindir:$PATH" LC_ALL=C
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
for page in "$@"; do
	cmds=$(awk '
		/^\.Sh / { inex = ($2 == "EXAMPLES") ; next }
		inex && /^\.Bd/ { lit = 1; next }
		inex && /^\.Ed/ { lit = 0; next }
		inex && lit {
			l = $0
			gsub(/\\e/, "\\", l); gsub(/\\-/, "-", l); gsub(/\\\(aq/, "\047", l)
			gsub(/\\\(dq/, "\"", l); gsub(/\\&/, "", l)
			if (cont) { buf = buf "\n" l } else if (l ~ /^\$ /) { buf = substr(l, 3) } else next
			if (l ~ /\\$/) { cont = 1; next }
			cont = 0; gsub(/\n/, "\001", buf); print buf
		}' "$page")
	[ -n "$cmds" ] || continue
	dir="$tmp/$(basename "$page")"; mkdir -p "$dir"; cp -R "$top/samples" "$dir/samples"
	while IFS= read -r c; do
		c=${c//$'\001'/$'\n'}
		if (cd "$dir" && bash -o pipefail -c "$c" >"$tmp/out" 2>"$tmp/err" </dev/null); then
			pass=$((pass + 1))
		else
			fail=$((fail + 1)); echo "FAIL $page: $c"; sed 's/^/  /' "$tmp/err" | head -5
		fi
	done <<< "$cmds"
done
echo "examples: $pass passed, $fail failed"
[ "$fail" = 0 ]
