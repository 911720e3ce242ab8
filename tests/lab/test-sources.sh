#!/usr/bin/env bash
# lab.sh's sources when there is no shared/cache and Debian's pool does not serve the
# pinned versions: it must fail with an error that names the tarball, its sha256 and
# the pinned version, and say where to put the tarball. apt-get is a stub here that
# answers as apt does for a version the pool lacks; nothing is downloaded and the
# system's apt sources are not touched.
set -uo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
mkdir -p "$tmp/bin"
cat >"$tmp/bin/apt-get" <<'STUB'
#!/bin/sh
for a; do case "$a" in *=*) want=$a ;; esac; done
case " $* " in
*" update "*) exit 0 ;;
*" source "*) echo "E: Can not find version '${want#*=}' of package '${want%%=*}'" >&2; exit 100 ;;
esac
exit 100
STUB
chmod +x "$tmp/bin/apt-get"
PATH=$tmp/bin:$PATH SDEI_NMI_SHARED=$tmp/no-shared SDEI_NMI_LAB_CACHE=$tmp/cache \
	SDEI_NMI_APT_SOURCES=$tmp/apt.sources "$LAB_DIR/lab.sh" sources >"$tmp/out" 2>"$tmp/err"
rc=$?
want() {
	if grep -Fq -- "$1" "$tmp/err"; then
		pass=$((pass + 1)); echo "ok: $2"
	else
		fail=$((fail + 1)); echo "not ok: $2 (no '$1' in what lab.sh said)"
	fi
}
if [ "$rc" = 2 ]; then pass=$((pass + 1)); echo "ok: lab.sh sources exits 2"
else fail=$((fail + 1)); echo "not ok: lab.sh sources exited $rc, not 2"; fi
want "Debian's pool has no linux=7.2.8-1 (E: Can not find version '7.2.8-1' of package 'linux')" \
	"it says what apt answered for the pinned version"
want "cannot get linux_7.2.8.orig.tar.xz (sha256 08f058f9de8d487e32a5c9e2855ee7e35bee1a047e77d37ba797d734c0cc07b3)" \
	"the error names the tarball and its sha256"
want "at the pinned version 7.2.8-1" "the error names the pinned version"
want "$tmp/cache/dl/" "the error says where to put the tarball"
want "snapshot.debian.org/package/linux/7.2.8-1/" "the error says where to find it"
if grep -q 'failed$' "$tmp/err"; then
	fail=$((fail + 1)); echo "not ok: an ERR trap line instead of the error alone:"; sed 's/^/    /' "$tmp/err"
else
	pass=$((pass + 1)); echo "ok: no ERR trap line: the error is lab.sh's own"
fi
[ -z "$(ls -A "$tmp/cache/dl" 2>/dev/null)" ] && { pass=$((pass + 1)); echo "ok: nothing left in the cache"; } ||
	{ fail=$((fail + 1)); echo "not ok: the cache holds $(ls "$tmp/cache/dl")"; }
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
