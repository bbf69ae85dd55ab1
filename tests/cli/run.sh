#!/usr/bin/env bash
# Golden command-line tests in the manner of jq's tests/jq.test.
#
#   usage: tests/cli/run.sh BINDIR FILE.test...
#
# A case is a block of lines ended by a blank line:
#   # comment                 free text, ignored
#   $ command                 run with bash -c, BINDIR first on PATH, cwd
#                             a fresh temporary directory; $SAMPLES is the
#                             samples/ directory, $DATA tests/data
#   < line                    a line of standard input (none: empty stdin)
#   > line                    a line of expected standard output (exact)
#   ~ TOL                     compare output numbers with tolerance TOL
#                             (absolute + relative), not as exact text
#   ? N                       expected exit status (default 0)
#   ! text                    standard error must contain text (and, when
#                             any '!' is given with a nonzero status, it
#                             must begin with the program's name)
#   = no-output               standard output must be empty
# Without '>' lines and without '= no-output', stdout is not compared.
set -u
bindir=$(cd "$1" && pwd); shift
top=$(cd "$(dirname "$0")/../.." && pwd)
export PATH="$bindir:$PATH" SAMPLES="$top/samples" DATA="$top/tests/data" LC_ALL=C
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0

numcmp() { # numcmp TOL FILE_GOT FILE_WANT
	awk -v tol="$1" '
	NR == FNR { for (i = 1; i <= NF; i++) want[++nw] = $i; next }
	{ for (i = 1; i <= NF; i++) got[++ng] = $i }
	END {
		if (ng != nw) { printf "got %d numbers, expected %d\n", ng, nw; exit 1 }
		for (k = 1; k <= nw; k++) {
			a = got[k] + 0; b = want[k] + 0
			if (got[k] == want[k]) continue
			d = a - b; if (d < 0) d = -d; m = b; if (m < 0) m = -m
			if (d > tol + tol * m) { printf "number %d: got %s, expected %s\n", k, got[k], want[k]; exit 1 }
		}
	}' "$3" "$2"
}

run_case() {
	local file=$1 line=$2
	[ -n "$cmd" ] || return 0
	local dir="$tmp/case"; rm -rf "$dir"; mkdir -p "$dir"
	printf '%s' "$input" > "$tmp/in"
	(cd "$dir" && exec bash -c "$cmd" < "$tmp/in" > "$tmp/out" 2> "$tmp/err")
	local st=$? why=""
	if [ "$st" != "$status" ]; then why="exit status $st, expected $status"; fi
	if [ -z "$why" ] && [ "$has_out" = 1 ]; then
		printf '%s' "$output" > "$tmp/want"
		if [ -n "$tol" ]; then
			local msg
			msg=$(numcmp "$tol" "$tmp/out" "$tmp/want") || why="output differs: $msg"
		elif ! cmp -s "$tmp/out" "$tmp/want"; then
			why="output differs:$(printf '\n'; diff "$tmp/want" "$tmp/out" | head -20)"
		fi
	fi
	if [ -z "$why" ] && [ "$no_out" = 1 ] && [ -s "$tmp/out" ]; then why="expected no output, got $(wc -c < "$tmp/out") bytes"; fi
	if [ -z "$why" ] && [ -n "$errs" ]; then
		while IFS= read -r e; do
			[ -z "$e" ] && continue
			grep -qF -- "$e" "$tmp/err" || { why="stderr lacks '$e'"; break; }
		done <<< "$errs"
		if [ -z "$why" ] && [ "$status" != 0 ]; then
			local prog=${cmd%% *}
			case $prog in *=*|\(*|cat|printf|echo|yes|head|seq|sh|bash|env|python3) prog="";; esac
			if [ -n "$prog" ] && ! grep -q "^$prog: " "$tmp/err"; then why="stderr does not begin with '$prog: '"; fi
		fi
	fi
	if [ -z "$why" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		printf 'FAIL %s:%s: %s\n  %s\n' "$file" "$line" "$cmd" "$why"
		sed 's/^/  stderr: /' "$tmp/err" | head -5
	fi
}

for f in "$@"; do
	cmd=""; input=""; output=""; has_out=0; no_out=0; status=0; errs=""; tol=""; start=0; n=0
	while IFS= read -r l || [ -n "$l" ]; do
		n=$((n + 1))
		case $l in
		'$ '*) cmd=${l#'$ '}; start=$n ;;
		'< '*) input+="${l#'< '}"$'\n' ;;
		'<') input+=$'\n' ;;
		'> '*) output+="${l#'> '}"$'\n'; has_out=1 ;;
		'>') output+=$'\n'; has_out=1 ;;
		'~ '*) tol=${l#'~ '} ;;
		'? '*) status=${l#'? '} ;;
		'! '*) errs+="${l#'! '}"$'\n' ;;
		'= no-output') no_out=1 ;;
		'#'*) ;;
		'') run_case "$f" "$start"; cmd=""; input=""; output=""; has_out=0; no_out=0; status=0; errs=""; tol="" ;;
		*) echo "$f:$n: cannot parse: $l"; fail=$((fail + 1)) ;;
		esac
	done < "$f"
	run_case "$f" "$start"
done
echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
