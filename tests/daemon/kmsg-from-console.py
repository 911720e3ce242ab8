#!/usr/bin/env python3
"""kmsg-from-console.py LOG: the kernel log dump of a lab console log (the lines
between "LAB: kmsg-begin" and "LAB: kmsg-end") as /dev/kmsg records
("PRIO,SEQ,TS_USEC,-;MESSAGE", escaped as the kernel escapes), on stdout."""
import re
import sys

line_re = re.compile(r"^\[ *(\d+)\.(\d{6})\] (.*)$")


def escape(text):
    out = []
    for b in text.encode():
        if b < 0x20 or b >= 0x7F or b == 0x5C:
            out.append("\\x%02x" % b)
        else:
            out.append(chr(b))
    return "".join(out)


inside = False
seq = 0
with open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as f:
    for raw in f:
        raw = raw.rstrip("\r\n")
        if not inside:
            inside = raw == "LAB: kmsg-begin"
            continue
        if raw == "LAB: kmsg-end":
            break
        m = line_re.match(raw)
        if not m:
            sys.exit(f"not a console line: {raw!r}")
        seq += 1
        usec = int(m.group(1)) * 1000000 + int(m.group(2))
        sys.stdout.write(f"6,{seq},{usec},-;{escape(m.group(3))}\n")
if not inside or seq == 0:
    sys.exit("no kernel log dump")
