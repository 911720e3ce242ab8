#!/usr/bin/env bash
# Seeds for fuzz-nmi-parse: each netlink fixture as binary, behind the selector byte of
# the parser it is for (0: backtrace message, 1: status message, 4: error message).
#
#   fuzz-corpus.sh FIXTURES_NETLINK_DIR CORPUS_DIR
set -euo pipefail

mkdir -p "$2"
for f in "$1"/*.hex; do
	n=$(basename "$f" .hex)
	case $n in
	status-* | recorded-status*) sel=01 ;;
	error-*) sel=04 ;;
	*) sel=00 ;;
	esac
	{
		echo "$sel"
		# A recording (sdei-nmictl --record) holds several messages, each
		# after a comment line starting "# ": its first, the reply, is the seed.
		awk '/^# / { if (d) exit; next } /^#/ { next } { d = 1; print }' "$f"
	} | xxd -r -p >"$2/$n"
done
