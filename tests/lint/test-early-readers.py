#!/usr/bin/env python3
"""early-readers.py finds what it must and nothing else, on small scripts."""
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("er", os.path.join(HERE, "early-readers.py"))
er = importlib.util.module_from_spec(spec)
spec.loader.exec_module(er)

FLAGGED = [
    "out report-show \"$log\" | head -40",
    "grep -E 'a|b' file | head -2 | sed 's/^/  /'",
    "dpkg --print-foreign-architectures | grep -qx arm64 || x=1",
    "cmd | grep -m1 x",
    "cmd | grep --max-count=1 x",
    "cmd | grep --quiet x",
    "cmd |\n\thead -1",
    "cmd \\\n\t| head -1",
    "cmd | sed -n '/x/{p;q}'",
    "cmd | sed 5q",
    "cmd | awk '/x/ { print; exit }'",
    "cmd | awk '\n  /x/ { exit }\n'",
    "x=$(cmd | head -1)",
    "if cmd | grep -q x; then :; fi",
    "cmd |& head -1",
    "cmd | sed \"5q\"",
    "cmd | $SUDO grep -q x",
    "cmd | timeout 5 head -1",
    "cmd | grep -L x",
    "cmd | nice -n 10 head -1",
    "cmd | sudo -u x grep -q y",
    "cmd | timeout -k 1 5 head -1",
    "cmd | grep --files-without-match x",
    "cmd | grep x >/dev/null",
    "cmd | grep x &>/dev/null",
]
CLEAN = [
    "grep -q x file",
    "head -1 file",
    "cmd | grep x",
    "cmd | sed 's/a/q/'",
    "cmd | sed -n 's/^q//p'",
    "cmd | awk '{ print }'",
    "echo 'x | head -1'",
    "echo \"a | grep -q b\"",
    "cmd || head -1 file",
    "cmd # | head -1",
    "cat <<EOF\nx | head -1\nEOF",
    "cat <<-'END'\n\ty | grep -q z\n\tEND",
    "grep -q x <<<\"$(cmd)\"",
    "cmd | head -1  # pipefail: cmd prints one line",
    "cmd | grep x 2>/dev/null",
    "awk '/x/ { exit }' file | sort",
    "echo $((1 << 3)) | sort\ncmd | sort",
]


def findings(body, pipefail=True, shebang="#!/bin/bash"):
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(shebang + "\n" + ("set -o pipefail\n" if pipefail else "") + body + "\n")
        path = f.name
    try:
        return er.check(path)
    finally:
        os.unlink(path)


fails = 0
for body in FLAGGED:
    n = findings(body)
    if n < 1:
        fails += 1
        print(f"not ok: not flagged: {body!r}")
    else:
        print(f"ok: flagged: {body!r}")
for body in CLEAN:
    n = findings(body)
    if n != 0:
        fails += 1
        print(f"not ok: flagged but fine: {body!r}")
    else:
        print(f"ok: clean: {body!r}")
# a POSIX sh script that sets no pipefail is not judged; a bash one is (a file that
# a pipefail script sources, lib-host.sh, says nothing of pipefail itself)
others = [
    ("a sh script without pipefail is not judged",
     findings("cmd | head -1", pipefail=False, shebang="#!/bin/sh") == 0),
    ("a bash script without pipefail is judged", findings("cmd | head -1", pipefail=False) == 1),
    ("a file with no shebang (sourced) is judged",
     findings("cmd | head -1", pipefail=False, shebang="# sourced") == 1),
]
for what, good in others:
    if not good:
        fails += 1
    print(f"{'ok' if good else 'not ok'}: {what}")
print(f"{len(FLAGGED) + len(CLEAN) + len(others) - fails} passed, {fails} failed")
sys.exit(1 if fails else 0)
