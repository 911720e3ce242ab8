#!/usr/bin/env python3
"""Compares the machine code of one object built from Linux alone (BASE) and with the
series (NEW), function by function: lab.sh check-series runs it on the objects of the
interrupt mask/unmask and exception entry/exit paths.

    hot-paths.py OBJDUMP BASE.o NEW.o

Every function of BASE must be in NEW with the same instructions and relocations; a
function's extent is its symbol's size, its addresses are made relative to symbols. A
function the series adds is listed, and allowed: it is new code, not a changed path.
Code outside every symbol (alternatives' replacement instructions, which the build puts
after the functions of their section) must be the same in NEW, save for what is
appended after BASE's: the replacements of the added functions. Padding (nop, udf) is
ignored. Prints one line per finding and a summary; exits 1 on any difference.
"""
import re
import subprocess
import sys

SYM = re.compile(r"^([0-9a-f]+) (.{7}) (\S+)\s+([0-9a-f]+) +(?:\.hidden +)?(\S+)$")
HEADER = re.compile(r"^Disassembly of section (\S+):$")
LABEL = re.compile(r"^[0-9a-f]+ <[^>]+>:$")
INSN = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")
PADDING = {"nop", "udf", ".inst"}


def run(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def symbols(objdump, obj):
    """{section: [(start, end, name)]} of the symbols that have a size."""
    out = {}
    for line in run(objdump, "-t", obj).splitlines():
        m = SYM.match(line)
        if not m:
            continue
        addr, size, sect, name = int(m.group(1), 16), int(m.group(4), 16), m.group(3), m.group(5)
        if size and not name.startswith("$"):
            out.setdefault(sect, []).append((addr, addr + size, name))
    return out


def normalize(text):
    text = re.sub(r"\b[0-9a-f]+ <", "<", text)
    return re.sub(r"\s+", " ", text).strip()


def functions(objdump, obj):
    """({section:name: [insn]}, {section: [insn outside every symbol]})"""
    syms = symbols(objdump, obj)
    funcs, outside = {}, {}
    sect, last = None, None
    for line in run(objdump, "-dr", "--no-show-raw-insn", obj).splitlines():
        m = HEADER.match(line)
        if m:
            sect, last = m.group(1), None
            continue
        if sect is None or not line.strip() or LABEL.match(line):
            continue
        m = INSN.match(line)
        if not m:
            continue
        off, text = int(m.group(1), 16), normalize(m.group(2))
        if text.split(" ")[0].startswith("R_"):
            # a relocation belongs to the instruction before it
            if last is not None:
                last.append(text)
            continue
        owner = next((n for s, e, n in syms.get(sect, []) if s <= off < e), None)
        if owner is None:
            last = None
            if text.split(" ")[0] not in PADDING:
                last = outside.setdefault(sect, [])
                last.append(text)
            continue
        last = funcs.setdefault("%s:%s" % (sect, owner), [])
        last.append(text)
    return funcs, outside


def main():
    objdump, base_obj, new_obj = sys.argv[1:4]
    base, base_out = functions(objdump, base_obj)
    new, new_out = functions(objdump, new_obj)
    bad, same = 0, 0
    for name in sorted(base):
        if name not in new:
            print("removed: %s" % name)
            bad = 1
        elif base[name] != new[name]:
            print("differs: %s" % name)
            for i, (a, b) in enumerate(zip(base[name] + [""] * len(new[name]),
                                           new[name] + [""] * len(base[name]))):
                if a != b:
                    print("    first difference at instruction %d: '%s' -> '%s'" % (i, a, b))
                    break
            bad = 1
        else:
            same += 1
    for name in sorted(set(new) - set(base)):
        print("added by the series: %s" % name)
    for sect in sorted(set(base_out) | set(new_out)):
        a, b = base_out.get(sect, []), new_out.get(sect, [])
        if b[:len(a)] != a:
            print("differs: code outside the symbols of %s" % sect)
            bad = 1
        elif len(b) > len(a):
            print("added by the series: %d instructions outside the symbols of %s "
                  "(the added functions' alternatives)" % (len(b) - len(a), sect))
    print("%s: %d functions the same%s" % (new_obj, same, "" if not bad else ", differences above"))
    return bad


if __name__ == "__main__":
    sys.exit(main())
