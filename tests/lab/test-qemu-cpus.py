#!/usr/bin/env python3
"""unit.qemu-cpus: qemu-cpus.py reads QEMU 7.2's `info registers -a` as the lab's
machine prints it (TF-A at EL3, so PSTATE carries an NS/S field) and names each CPU's
kernel function from a System.map; firmware addresses are not symbolized."""
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("qemu_cpus", os.path.join(HERE, "qemu-cpus.py"))
qc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(qc)

MONITOR = (
    "info registers -a\r\n\r\nCPU#0\r\n PC=ffff800080452870 X00=0000000000000000 X01=1\r\n"
    "X29=ffff800080f33c00 X30=ffff80008045283c  SP=ffff800080f33c00\r\n"
    "PSTATE=600000c5 -ZC- NS EL1h    FPU enabled\r\n Q00=0:0\r\n\r\n"
    "CPU#1\r\n PC=ffff8000800225a8 X00=0\r\nPSTATE=400003c5 -Z-- NS EL1h\r\n\r\n"
    "CPU#2\r\n PC=000000000e0a1234 X00=0\r\nPSTATE=000003cd ---- EL3h\r\n(qemu) ")
SYSTEM_MAP = """ffff800080022530 T arm64_stop_this_cpu
ffff800080022600 T panic_smp_self_stop
ffff800080452838 t sdei_signal_fence
ffff800080452900 T sdei_mask_local_cpu
"""

fails = 0


def check(what, cond):
    global fails
    print(("ok: " if cond else "not ok: ") + what)
    fails += 0 if cond else 1


with tempfile.NamedTemporaryFile("w", suffix=".map", delete=False) as f:
    f.write(SYSTEM_MAP)
addrs, names = qc.symbols(f.name)
os.unlink(f.name)
lines = qc.parse(MONITOR, addrs, names)
check("three CPUs read", len(lines) == 3)
check("CPU 0 in sdei_signal_fence+0x38, EL1h",
      lines[0] == "HOST: cpu 0: pc 0xffff800080452870 sdei_signal_fence+0x38, EL1h, pstate 600000c5")
check("CPU 1 in arm64_stop_this_cpu+0x78", "arm64_stop_this_cpu+0x78, EL1h" in lines[1])
check("CPU 2 at EL3 is firmware", "(firmware), EL3h" in lines[2])
check("no registers in a banner alone", qc.parse("QEMU 7.2.22 monitor\r\n(qemu) ", addrs, names) == [])

# the redistributors, read with xp (as the lab's monitor answered during a hang)
GIC = ("(qemu) xp /1wx 0x80a0014\r\n00000000080a0014: 0x00000000\r\n"
       "(qemu) xp /1wx 0x80b0200\r\n00000000080b0200: 0x08000000\r\n"
       "(qemu) xp /1wx 0x80b0300\r\n00000000080b0300: 0x00000000\r\n"
       "(qemu) xp /1wx 0x80f0200\r\n00000000080f0200: 0x08000001\r\n(qemu) ")
cmds = qc.gic_commands([0, 1])
check("three registers asked of each CPU", cmds.count("xp /1wx") == 6 and
      "xp /1wx 0x80b0300" in cmds and "xp /1wx 0x80d0200" in cmds)
gic = qc.parse_gic(GIC, [0, 1, 2])
check("CPU 0's redistributor read", gic[0] == "HOST: gic: cpu 0 redistributor: WAKER "
      "0x00000000, ISPENDR0 0x08000000, ISACTIVER0 0x00000000")
check("CPU 1 not answered: no line", len(gic) == 2)
check("CPU 2: what was answered", gic[1] == "HOST: gic: cpu 2 redistributor: ISPENDR0 0x08000001")
print("%d failed" % fails)
sys.exit(1 if fails else 0)
