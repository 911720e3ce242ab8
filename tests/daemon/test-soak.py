#!/usr/bin/python3
"""sdei-nmid under a kernel log flood: memory stays flat, every incident is reported.

An hour of kernel log (its own clock: --hours) is replayed into the daemon through a
pipe as fast as it reads it: the recorded lab logs (tests/fixtures/kmsg/lab/*.kmsg),
one after another every --spacing seconds of log time, their records renumbered and
shifted, with a flood of unrelated records between them (--flood records a second of
log time: driver chatter, audit lines, a runaway printk). The daemon's resident memory
(VmRSS) is sampled every --sample records written. At the end:
  - every incident is in the spool: as many reports as the logs, each replayed alone,
    gave, times the number of times it was replayed;
  - memory is flat: the peak of the last quarter of the samples is at most --growth
    times the peak of the first quarter (after the first one), and every sample is
    under the unit's MemoryMax (--max-rss MiB);
  - the daemon exits 0 at the end of input.
Prints the figures. Long tier (tests/CMakeLists.txt, label full).

  test-soak.py SDEI_NMID FIXTURES [--hours H] [--flood N] [--spacing S]
"""

import argparse
import glob
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("nmid")
ap.add_argument("fixtures")
ap.add_argument("--hours", type=float, default=1.0)
ap.add_argument("--flood", type=int, default=200)
ap.add_argument("--spacing", type=int, default=120)
ap.add_argument("--sample", type=int, default=20000)
ap.add_argument("--growth", type=float, default=1.25)
ap.add_argument("--max-rss", type=int, default=256)
args = ap.parse_args()

logs = sorted(glob.glob(os.path.join(args.fixtures, "kmsg", "lab", "*.kmsg")))
root = os.path.join(args.fixtures, "root")
top = tempfile.mkdtemp(prefix="sdei-nmi-soak-")
env = dict(os.environ, SDEI_NMI_CONFIG_ROOT=os.path.join(top, "no-config"))
rng = random.Random(7)
FLOOD = ["e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex",
         "audit: type=1400 audit(0.0:1): apparmor=\"DENIED\" operation=\"open\"",
         "nfs: server fileserver not responding, still trying",
         "EXT4-fs (sda1): re-mounted. Quota mode: none.",
         "usb 1-1: new high-speed USB device number 3 using xhci_hcd",
         "TCP: request_sock_TCP: Possible SYN flooding on port 443."]


def records(path):
    """(prio, ts_usec, text) of a /dev/kmsg-format file, comments left out."""
    out = []
    for line in open(path, errors="replace"):
        if line.startswith("#") or ";" not in line:
            continue
        head, text = line.rstrip("\n").split(";", 1)
        f = head.split(",")
        out.append((f[0], int(f[2]), text))
    return out


def run_alone(path):
    work = tempfile.mkdtemp(dir=top)
    subprocess.run([args.nmid, "--kmsg", path, "--spool", work + "/spool", "--root",
                    root, "--exit-on-eof", "--bpf=no"], env=env, check=True,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    n = sum(len([f for f in fs if f.endswith(".json")])
            for _, _, fs in os.walk(work + "/spool"))
    shutil.rmtree(work)
    return n


alone = {p: run_alone(p) for p in logs}
recs = {p: records(p) for p in logs}
print("alone: " + ", ".join(f"{os.path.basename(p)} {n}" for p, n in alone.items()))

fifo = os.path.join(top, "kmsg")
os.mkfifo(fifo)
spool = os.path.join(top, "spool")
err = open(os.path.join(top, "daemon.log"), "w")
# (a copy that repeats the one before is held, not pushed: spooled all the same)
daemon = subprocess.Popen([args.nmid, "--kmsg", fifo, "--spool", spool, "--root", root,
                           "--exit-on-eof", "--bpf=no"], env=env,
                          stdout=subprocess.DEVNULL, stderr=err)
w = open(fifo, "w")

seq, t, written, samples, expected, copies = 0, 10_000_000, 0, [], 0, 0
end = int(args.hours * 3600 * 1_000_000)
t0 = time.monotonic()
i = 0


def sample():
    with open(f"/proc/{daemon.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                samples.append(int(line.split()[1]) // 1024)


while t < end:
    path = logs[i % len(logs)]
    i += 1
    base = t
    for prio, ts, text in recs[path]:
        seq += 1
        w.write(f"{prio},{seq},{base + ts},-;{text}\n")
        written += 1
    expected += alone[path]
    copies += 1
    last = base + recs[path][-1][1]
    # the flood until the next copy
    step = 1_000_000 // max(args.flood, 1)
    t = last + 1_000_000
    while t < last + args.spacing * 1_000_000:
        seq += 1
        w.write(f"6,{seq},{t},-;{rng.choice(FLOOD)}\n")
        written += 1
        t += step
        if written % args.sample == 0:
            w.flush()
            sample()
w.close()
rc = daemon.wait(timeout=600)
wall = time.monotonic() - t0
got = sum(len([n for n in fs if n.endswith(".json")]) for _, _, fs in os.walk(spool))
failed = []
print(f"{written} records ({copies} lab logs, {args.flood}/s of flood) over "
      f"{args.hours:g} h of log time, replayed in {wall:.1f} s; exit {rc}")
print(f"reports: {got}, expected {expected}")
q = max(1, len(samples) // 4)
first, last_q = max(samples[1:q + 1] or samples[:1]), max(samples[-q:])
print(f"VmRSS MiB over {len(samples)} samples: first quarter peak {first}, last quarter "
      f"peak {last_q}, max {max(samples)}, min {min(samples)}")
if rc != 0:
    failed.append(f"exit {rc}: {open(os.path.join(top, 'daemon.log')).read()[-2000:]}")
if got != expected:
    failed.append(f"{got} reports, expected {expected}")
if last_q > first * args.growth:
    failed.append(f"memory grew: {first} -> {last_q} MiB")
if max(samples) > args.max_rss:
    failed.append(f"peak {max(samples)} MiB over MemoryMax {args.max_rss} MiB")
for f in failed:
    print("FAIL:", f)
shutil.rmtree(top, ignore_errors=True)
sys.exit(1 if failed else 0)
