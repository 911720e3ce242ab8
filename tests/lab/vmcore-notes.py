#!/usr/bin/env python3
"""What a crash dump holds of each CPU: the NT_PRSTATUS notes of an arm64 ELF vmcore
(makedumpfile -E), their task, pc and the symbol the pc falls in (System.map).

    vmcore-notes.py VMCORE SYSTEM_MAP

Prints "HOST: vmcore: ..." lines for the lab's logs; exit 0 when the file is an ELF
core it could read (whatever it holds), 1 otherwise, with the reason. The dump disk may
be longer than the ELF file: only what the headers point at is read.
"""
import bisect
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS = 1
# struct elf_prstatus on arm64: pr_pid at 32, pr_reg (x0..x30, sp, pc, pstate) at 112
PRSTATUS_SIZE = 392
PID_OFF, REG_OFF = 32, 112


def say(text):
    print(f"HOST: vmcore: {text}")


def read_notes(f, off, size):
    f.seek(off)
    data = f.read(size)
    if len(data) != size:
        raise ValueError(f"PT_NOTE at {off:#x} runs past the end of the file")
    i = 0
    while i + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from("<III", data, i)
        if namesz == 0 and descsz == 0 and ntype == 0:
            break
        name_off = i + 12
        desc_off = name_off + ((namesz + 3) & ~3)
        end = desc_off + ((descsz + 3) & ~3)
        if end > len(data):
            raise ValueError(f"a note at {off + i:#x} runs past its segment")
        name = data[name_off:name_off + namesz].rstrip(b"\0").decode("ascii", "replace")
        yield name, ntype, data[desc_off:desc_off + descsz]
        i = end


def load_symbols(path):
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def symbolize(addrs, names, pc):
    i = bisect.bisect_right(addrs, pc) - 1
    if i < 0 or pc - addrs[i] > 0x100000:
        return "?"
    return f"{names[i]}+{pc - addrs[i]:#x}"


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, sysmap = sys.argv[1:]
    try:
        f = open(path, "rb")
    except OSError as e:
        say(f"cannot open {path}: {e.strerror}")
        return 1
    with f:
        hdr = f.read(64)
        if len(hdr) < 64 or hdr[:4] != b"\x7fELF":
            say("no ELF core on the dump disk (the capture kernel wrote none)")
            return 1
        if hdr[4] != 2 or hdr[5] != 1 or struct.unpack_from("<H", hdr, 16)[0] != 4:
            say("not a little-endian ELF64 core file")
            return 1
        machine = struct.unpack_from("<H", hdr, 18)[0]
        phoff = struct.unpack_from("<Q", hdr, 32)[0]
        phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        try:
            if phentsize < 56:
                raise ValueError(f"program headers of {phentsize} bytes")
            f.seek(phoff)
            phdrs = []
            for _ in range(phnum):
                ph = f.read(phentsize)
                if len(ph) != phentsize:
                    raise ValueError("the program headers run past the end of the file")
                phdrs.append(struct.unpack_from("<IIQQQQQQ", ph))
            notes = []
            for p in phdrs:
                if p[0] == PT_NOTE:
                    notes.extend(read_notes(f, p[2], p[5]))
        except ValueError as e:
            say(f"a malformed core: {e}")
            return 1
        loads = [p for p in phdrs if p[0] == PT_LOAD]
    addrs, names = load_symbols(sysmap)
    say(f"ELF core, machine {machine}, {len(loads)} PT_LOAD segments, "
        f"{sum(p[5] for p in loads) >> 20} MiB of memory")
    prs = [d for n, t, d in notes if n == "CORE" and t == NT_PRSTATUS]
    for n, t, d in notes:
        if n == "VMCOREINFO":
            for line in d.decode("ascii", "replace").splitlines():
                if line.startswith("OSRELEASE="):
                    say(f"vmcoreinfo {line}")
    say(f"NT_PRSTATUS notes: {len(prs)}")
    for i, d in enumerate(prs):
        if len(d) < PRSTATUS_SIZE - 8:
            say(f"note {i}: {len(d)} bytes, too short for arm64's elf_prstatus")
            continue
        pid = struct.unpack_from("<i", d, PID_OFF)[0]
        regs = struct.unpack_from("<34Q", d, REG_OFF)
        sp, pc, pstate = regs[31], regs[32], regs[33]
        say(f"note {i}: pid {pid} pc {pc:#018x} {symbolize(addrs, names, pc)} "
            f"lr {symbolize(addrs, names, regs[30])} sp {sp:#018x} pstate {pstate:#x}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
