#!/usr/bin/env python3
"""unit.hot-paths: hot-paths.py, the comparison behind check-series' claim that the
series leaves the hot paths' machine code alone, on small objects assembled here: the
same object passes; a function appended, with an alternative's replacement after the
others', passes and is named; an instruction changed, a relocation changed, a function
removed and a replacement changed each fail."""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
AS, OBJDUMP = "aarch64-linux-gnu-as", "aarch64-linux-gnu-objdump"

BASE = """
	.text
	.globl	entry_a
	.type	entry_a, %function
entry_a:
	mrs	x0, tpidr_el1
	adrp	x1, some_var
	bl	some_func
	ret
	.size	entry_a, . - entry_a
	.globl	entry_b
entry_b:
	cmp	x0, #1
	b.ne	1f
	mov	x0, #2
1:	ret
	.size	entry_b, . - entry_b
{added}
	.subsection 1
	mrs	x0, tpidr_el2
{replacement}
"""
ADDED = """
	.balign	16
	.globl	stopped_stub
stopped_stub:
	mov	x29, xzr
	bl	some_func
	.size	stopped_stub, . - stopped_stub
"""

failures = 0


def build(tmp, name, text):
    src, obj = os.path.join(tmp, name + ".S"), os.path.join(tmp, name + ".o")
    with open(src, "w") as f:
        f.write(text)
    subprocess.run([AS, "-o", obj, src], check=True)
    return obj


def expect(what, want_rc, base, new, must_say):
    global failures
    p = subprocess.run([sys.executable, os.path.join(HERE, "hot-paths.py"), OBJDUMP, base, new],
                       capture_output=True, text=True)
    ok = p.returncode == want_rc and must_say in p.stdout
    print("%s: %s: exit %d, %s" % ("ok" if ok else "not ok", what, p.returncode,
                                    "said '%s'" % must_say if must_say in p.stdout else
                                    "did not say '%s'" % must_say))
    if not ok:
        failures += 1
        print("    " + p.stdout.replace("\n", "\n    ") + p.stderr)


def main():
    for tool in (AS, OBJDUMP):
        if not shutil.which(tool):
            print("not ok: %s is missing (scripts/install-deps.sh installs it)" % tool)
            return 1
    with tempfile.TemporaryDirectory() as tmp:
        base = build(tmp, "base", BASE.format(added="", replacement=""))
        same = build(tmp, "same", BASE.format(added="", replacement=""))
        added = build(tmp, "added", BASE.format(added=ADDED, replacement="\tmrs x1, tpidr_el2"))
        insn = build(tmp, "insn", BASE.format(added="", replacement="").replace("mov\tx0, #2", "mov\tx0, #3"))
        reloc = build(tmp, "reloc", BASE.format(added="", replacement="").replace("bl\tsome_func", "bl\tother_func"))
        removed = build(tmp, "removed", BASE.format(added="", replacement="").replace(
            "\t.size\tentry_b, . - entry_b\n", "").replace("\t.globl\tentry_b\nentry_b:\n", ""))
        repl = build(tmp, "repl", BASE.format(added="", replacement="").replace(
            "mrs\tx0, tpidr_el2", "mrs\tx3, tpidr_el2"))
        expect("the same object", 0, base, same, "2 functions the same")
        expect("a function appended, with its replacement", 0, base, added,
               "added by the series: .text:stopped_stub")
        expect("the appended function's replacement", 0, base, added,
               "1 instructions outside the symbols of .text")
        expect("an instruction changed", 1, base, insn, "differs: .text:entry_b")
        expect("a call's relocation changed", 1, base, reloc, "differs: .text:entry_a")
        expect("a function removed", 1, base, removed, "removed: .text:entry_b")
        expect("a replacement changed", 1, base, repl, "differs: code outside the symbols of .text")
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
