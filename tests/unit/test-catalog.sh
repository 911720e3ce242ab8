#!/bin/bash
# The journal catalog (systemd/sdei-nmid.catalog) through journalctl itself: it builds a
# catalog database from it under a scratch root, and lists exactly the MESSAGE_IDs that
# the daemon sends (daemon/report-sinks.c) and daemon/README.md documents, one per kind.
#
#   test-catalog.sh SOURCE_DIR
set -euo pipefail

src=$1
if ! command -v journalctl >/dev/null; then
	echo "SKIP: no journalctl"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}

mkdir -p "$tmp/usr/lib/systemd/catalog" "$tmp/var/lib/systemd/catalog"
cp "$src/systemd/sdei-nmid.catalog" "$tmp/usr/lib/systemd/catalog/"
journalctl --root="$tmp" --update-catalog 2>"$tmp/err" || fail "update-catalog: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || fail "update-catalog complained: $(cat "$tmp/err")"
journalctl --root="$tmp" --list-catalog >"$tmp/list"
cat "$tmp/list"

catalog_ids=$(awk '{ print $1 }' "$tmp/list" | sort)
# The ids of the message_ids[] table of daemon/report-sinks.c.
daemon_ids=$(sed -n '/message_ids\[\] = {/,/^};/p' "$src/daemon/report-sinks.c" |
	grep -o '"[0-9a-f]\{32\}"' | tr -d '"' | sort)
readme_ids=$(grep -o '^| [a-z-]* | `[0-9a-f]\{32\}` |' "$src/daemon/README.md" |
	grep -o '[0-9a-f]\{32\}' | sort)
[ "$(wc -l <<<"$daemon_ids")" -eq 6 ] || fail "daemon ids: $daemon_ids"
[ "$catalog_ids" = "$daemon_ids" ] || fail "catalog ids differ from the daemon's: $catalog_ids / $daemon_ids"
[ "$readme_ids" = "$daemon_ids" ] || fail "README ids differ from the daemon's: $readme_ids"
# Every entry names the report, so 'journalctl -x' leads to 'sdei-nmictl reports show'.
for id in $daemon_ids; do
	journalctl --root="$tmp" --dump-catalog "$id" >"$tmp/entry"
	grep -q 'sdei-nmictl reports show @SDEI_NMI_REPORT_ID@' "$tmp/entry" ||
		fail "entry $id does not lead to the report"
done
[ "$failed" -eq 0 ] && echo "PASS: the journal catalog"
exit "$failed"
