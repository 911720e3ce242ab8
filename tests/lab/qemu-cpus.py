#!/usr/bin/env python3
"""Where each vCPU of a running lab guest is: asks QEMU's monitor (a unix socket) for
`info registers -a` and prints one line per CPU, "HOST: cpu N: pc ADDR SYMBOL+OFF EL",
the symbol from the kernel's System.map. lab.sh runs it when a boot times out, so a
hang's log says where every CPU was.

    qemu-cpus.py MONITOR_SOCKET SYSTEM_MAP
"""
import bisect
import re
import socket
import sys
import time


def ask(path, command, quiet=3.0, limit=20.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(quiet)
    s.connect(path)
    out = b""
    start = time.monotonic()

    def drain():
        nonlocal out
        while time.monotonic() - start < limit:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return
            if not chunk:
                return
            out += chunk

    drain()  # the banner and the first prompt
    s.sendall(command.encode() + b"\n")
    drain()
    s.close()
    return out.decode(errors="replace")


def symbols(path):
    addrs, names = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                addrs.append(int(parts[0], 16))
                names.append(parts[2])
    order = sorted(range(len(addrs)), key=addrs.__getitem__)
    return [addrs[i] for i in order], [names[i] for i in order]


def symbolize(pc, addrs, names):
    i = bisect.bisect_right(addrs, pc) - 1
    if i < 0 or pc - addrs[i] > 0x100000:
        return "(not kernel text)"
    return "%s+0x%x" % (names[i], pc - addrs[i])


def parse(text, addrs, names):
    """The lines to print for QEMU's `info registers -a` TEXT."""
    out = []
    for m in re.finditer(r"CPU#(\d+)\s+PC=([0-9a-f]+).*?PSTATE=([0-9a-f]+) (\S+) (?:N?S )?(EL\d\w?)",
                         text, re.S):
        cpu, pc, pstate, _flags, el = m.groups()
        pc = int(pc, 16)
        where = symbolize(pc, addrs, names) if el.startswith("EL1") else "(firmware)"
        out.append("HOST: cpu %s: pc 0x%x %s, %s, pstate %s" % (cpu, pc, where, el, pstate))
    return out


# QEMU virt's GICv3 redistributors: one 128 KiB pair of frames (RD, SGI) per CPU
GICR_BASE, GICR_STRIDE, GICR_SGI = 0x080a0000, 0x20000, 0x10000
GICR_REGS = (("WAKER", 0x14), ("ISPENDR0", GICR_SGI + 0x200), ("ISACTIVER0", GICR_SGI + 0x300))


def gic_commands(cpus):
    return "\n".join("xp /1wx 0x%x" % (GICR_BASE + c * GICR_STRIDE + off)
                     for c in cpus for _, off in GICR_REGS)


def parse_gic(text, cpus):
    """One line per CPU: its redistributor's wake state and its SGIs and PPIs pending
    and active (an SGI left active keeps every interrupt of lower priority out)."""
    vals = {int(a, 16): int(v, 16)
            for a, v in re.findall(r"^([0-9a-f]{8,16}): (0x[0-9a-f]+)", text, re.M)}
    out = []
    for c in cpus:
        base = GICR_BASE + c * GICR_STRIDE
        got = ["%s 0x%08x" % (n, vals[base + off]) for n, off in GICR_REGS if base + off in vals]
        if got:
            out.append("HOST: gic: cpu %d redistributor: %s" % (c, ", ".join(got)))
    return out


def main():
    if len(sys.argv) != 3:
        print("usage: qemu-cpus.py MONITOR_SOCKET SYSTEM_MAP", file=sys.stderr)
        return 2
    try:
        text = ask(sys.argv[1], "info registers -a")
    except OSError as e:
        print("HOST: cpus: no answer from QEMU's monitor: %s" % e)
        return 1
    addrs, names = symbols(sys.argv[2])
    lines = parse(text, addrs, names)
    if not lines:
        print("HOST: cpus: QEMU's monitor gave no registers, but: %r" % text[-300:])
        return 1
    print("\n".join(lines))
    cpus = [int(c) for c in re.findall(r"CPU#(\d+)\s+PC=", text)]
    try:
        print("\n".join(parse_gic(ask(sys.argv[1], gic_commands(cpus)), cpus)))
    except OSError as e:
        print("HOST: gic: no answer from QEMU's monitor: %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
