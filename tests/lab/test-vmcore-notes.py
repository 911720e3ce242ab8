#!/usr/bin/env python3
"""Self-test of vmcore-notes.py on synthetic ELF cores: what it prints of each CPU's
NT_PRSTATUS note, and its errors on what is not a core."""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "vmcore-notes.py")


def note(name, ntype, desc):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


def prstatus(pid, pc, lr, pstate):
    d = bytearray(392)
    struct.pack_into("<i", d, 32, pid)
    regs = [0] * 34
    regs[30], regs[31], regs[32], regs[33] = lr, 0xFFFF800082003E00, pc, pstate
    struct.pack_into("<34Q", d, 112, *regs)
    return bytes(d)


def core(notes, trailing=0):
    blob = b"".join(notes)
    ehdr = bytearray(64)
    ehdr[:4] = b"\x7fELF"
    ehdr[4], ehdr[5], ehdr[6] = 2, 1, 1
    struct.pack_into("<HHI", ehdr, 16, 4, 183, 1)
    struct.pack_into("<Q", ehdr, 32, 64)
    struct.pack_into("<HHH", ehdr, 52, 64, 56, 2)
    note_off = 64 + 2 * 56
    load_off = note_off + len(blob)
    ph_note = struct.pack("<IIQQQQQQ", 4, 0, note_off, 0, 0, len(blob), len(blob), 0)
    ph_load = struct.pack("<IIQQQQQQ", 1, 7, load_off, 0xFFFF000000000000, 0x40000000,
                          4096, 4096, 4096)
    return bytes(ehdr) + ph_note + ph_load + blob + b"\0" * 4096 + b"\0" * trailing


SYSMAP = """ffff800080010000 T _stext
ffff800080500000 t lkdtm_HARDLOCKUP
ffff800080500040 t lkdtm_SPINLOCKUP
ffff800080600000 T cpu_park_loop
ffff800080700000 T do_idle
"""


def run(path, sysmap):
    p = subprocess.run([sys.executable, TOOL, path, sysmap], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def main():
    fails = 0

    def expect(what, cond, out):
        nonlocal fails
        print(("ok: " if cond else "not ok: ") + what)
        if not cond:
            fails += 1
            print("    " + out.replace("\n", "\n    "))

    with tempfile.TemporaryDirectory() as d:
        sm = os.path.join(d, "System.map")
        with open(sm, "w") as f:
            f.write(SYSMAP)
        good = os.path.join(d, "good.dump")
        with open(good, "wb") as f:
            f.write(core([note("CORE", 1, prstatus(0, 0xFFFF800080700010, 0xFFFF800080700004, 0x3C5)),
                          note("CORE", 1, prstatus(129, 0xFFFF800080500018, 0xFFFF800080500010, 0x200003C5)),
                          note("VMCOREINFO", 0, b"OSRELEASE=7.2.8\nPAGESIZE=4096\n")],
                         trailing=1 << 20))
        rc, out = run(good, sm)
        expect("a core with two CPUs: exit 0", rc == 0, out)
        expect("counts the NT_PRSTATUS notes", "HOST: vmcore: NT_PRSTATUS notes: 2\n" in out, out)
        expect("reads vmcoreinfo", "HOST: vmcore: vmcoreinfo OSRELEASE=7.2.8" in out, out)
        expect("the wedged task's note: pid, pc symbolized, pstate",
               "note 1: pid 129 pc 0xffff800080500018 lkdtm_HARDLOCKUP+0x18 "
               "lr lkdtm_HARDLOCKUP+0x10" in out and "pstate 0x200003c5" in out, out)
        expect("the idle CPU's note", "note 0: pid 0 pc 0xffff800080700010 do_idle+0x10" in out, out)

        zero = os.path.join(d, "zero.dump")
        with open(zero, "wb") as f:
            f.write(b"\0" * 8192)
        rc, out = run(zero, sm)
        expect("a zeroed disk: exit 1, says no core", rc == 1 and "no ELF core" in out, out)

        cut = os.path.join(d, "cut.dump")
        with open(cut, "wb") as f:
            f.write(core([note("CORE", 1, prstatus(1, 0, 0, 0))])[:200])
        rc, out = run(cut, sm)
        expect("a truncated core: exit 1 with the reason, no traceback",
               rc == 1 and "runs past" in out and "Traceback" not in out, out)

        rc, out = run(os.path.join(d, "absent.dump"), sm)
        expect("a missing dump: exit 1, says so", rc == 1 and "cannot open" in out, out)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
