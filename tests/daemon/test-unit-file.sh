#!/bin/bash
# The unit as shipped (systemd/sdei-nmid.service) against its justification
# (systemd/README.md):
#  - every line of its [Service] section is a row of the table marked "kept", and no
#    setting marked "dropped" is in it;
#  - systemd-analyze verify says nothing about it (run on a copy whose ExecStart= is
#    the built daemon: verify wants an executable there; nothing else changes);
#  - systemd-analyze security --offline=yes puts it at most at the README's figure
#    (printed);
#  - the tmpfiles entry (systemd/sdei-nmi.conf) makes /var/lib/sdei-nmi as the unit's
#    StateDirectory= does: same mode, root's.
#
#   test-unit-file.sh SOURCE_DIR SDEI_NMID
#
# Exits 77 (skipped) without systemd-analyze, or one too old for --offline= (250).
set -euo pipefail

src=$1 nmid=$(realpath "$2")
unit=$src/systemd/sdei-nmid.service
readme=$src/systemd/README.md
tmpfiles=$src/systemd/sdei-nmi.conf

command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
version=$(systemd-analyze --version | awk 'NR == 1 { print $2 }')
[ "${version%%.*}" -ge 250 ] 2>/dev/null ||
	{ echo "SKIP: systemd $version has no --offline= (250)"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# The table: "| `SETTING` | kept ... |" and "| `SETTING` | dropped |".
awk -F'|' '/^\| `[A-Za-z]+=/ {
	s = $2; v = $3
	gsub(/^ *`|` *$/, "", s); gsub(/^ +| +$/, "", v)
	print v "\t" s
}' "$readme" >"$tmp/table"
grep -P '^kept( \(new\))?\t' "$tmp/table" | cut -f2 >"$tmp/kept"
grep -P '^dropped\t' "$tmp/table" | cut -f2 >"$tmp/dropped"
[ -s "$tmp/kept" ] && [ -s "$tmp/dropped" ] || fail "no table in $readme"

# The unit's [Service] lines, comments and blanks left out.
awk '/^\[/ { in_service = ($0 == "[Service]"); next }
	in_service && !/^#/ && NF' "$unit" >"$tmp/service"

while IFS= read -r line; do
	grep -qxF -- "$line" "$tmp/kept" || fail "unit line not in the README's table as kept: $line"
done <"$tmp/service"
while IFS= read -r line; do
	grep -qxF -- "$line" "$tmp/service" || fail "kept in the README but not in the unit: $line"
done <"$tmp/kept"
while IFS= read -r line; do
	key=${line%%=*}
	! grep -q "^$key=" "$tmp/service" || fail "dropped in the README but in the unit: $key="
done <"$tmp/dropped"
echo "unit: $(wc -l <"$tmp/service") settings, all in the table; $(wc -l <"$tmp/dropped") dropped, none in the unit"

# verify: nothing to say (it exits 0 on unknown keys: its output is the verdict).
sed "s|^ExecStart=/usr/sbin/sdei-nmid |ExecStart=$nmid |" "$unit" >"$tmp/sdei-nmid.service"
grep -q "^ExecStart=$nmid " "$tmp/sdei-nmid.service" || fail "verify: no ExecStart= to point at the build"
rc=0
out=$(systemd-analyze verify --man=no "$tmp/sdei-nmid.service" 2>&1) || rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze verify: exit $rc: $out"

# security: the figure, at most the README's.
want=$(awk '/^Exposure figure \(systemd [0-9]+\): [0-9]+\.[0-9]$/ { print $NF }' "$readme")
[ -n "$want" ] || fail "no 'Exposure figure (systemd N): X.Y' line in $readme"
out=$(systemd-analyze security --offline=yes "$unit" 2>&1) || true
got=$(awk '/Overall exposure level for sdei-nmid.service:/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]$/) print $i }' <<<"$out")
echo "systemd-analyze security (systemd $version): exposure $got (README: ${want:-?})"
if [ -z "$got" ]; then
	fail "no exposure figure: $out"
elif [ -n "$want" ] && [ "${got/./}" -gt "${want/./}" ]; then
	fail "exposure $got is above the README's $want:
$(grep '✗' <<<"$out")"
fi
# What systemd-analyze itself finds wrong with the file (unknown keys, bad values).
! grep -q "Unknown key\|Failed to parse\|Invalid\|ignoring" <<<"$out" ||
	fail "systemd-analyze security complains: $(grep "Unknown key\|Failed to parse\|Invalid\|ignoring" <<<"$out")"

# tmpfiles: /var/lib/sdei-nmi as StateDirectory= makes it.
mode=$(awk -F= '$1 == "StateDirectoryMode" { print $2 }' "$tmp/service")
dir=$(awk -F= '$1 == "StateDirectory" { print $2 }' "$tmp/service")
read -r _ path tmode tuser tgroup _ < <(awk '$2 == "/var/lib/'"$dir"'"' "$tmpfiles")
[ "${path:-}" = "/var/lib/$dir" ] || fail "tmpfiles: no line for /var/lib/$dir"
[ "${tmode:-}" = "$mode" ] || fail "tmpfiles: /var/lib/$dir is ${tmode:-?}, the unit's $mode"
user=$(awk -F= '$1 == "User" { print $2 }' "$tmp/service")
[ "${tuser:-}" = "${user:-root}" ] && [ "${tgroup:-}" = "${user:-root}" ] ||
	fail "tmpfiles: /var/lib/$dir is ${tuser:-?}:${tgroup:-?}, the unit runs as ${user:-root}"
# ... and systemd-tmpfiles makes it so.
if command -v systemd-tmpfiles >/dev/null && [ "$(id -u)" -eq 0 ]; then
	mkdir "$tmp/root"
	systemd-tmpfiles --create --root="$tmp/root" "$tmpfiles" ||
		fail "systemd-tmpfiles --create refused $tmpfiles"
	got_mode=$(stat -c '%a %U:%G' "$tmp/root/var/lib/$dir" 2>/dev/null || echo missing)
	[ "$got_mode" = "${mode#0} root:root" ] ||
		fail "systemd-tmpfiles made /var/lib/$dir $got_mode, the unit's ${mode#0} root:root"
fi

[ "$failed" -eq 0 ] && echo "PASS: the unit as shipped, as justified"
exit "$failed"
