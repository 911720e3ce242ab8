#!/usr/bin/python3
"""sdei-nmid while its spool's file system is frozen: the loop does not wait on it.

The spool and the kernel log cursor are on an ext4 image, loop-mounted, that the test
freezes (fsfreeze -f: every write and fsync to it blocks until the thaw) for --freeze
seconds, while a recorded hard lockup is fed to the daemon through a pipe. During the
freeze:
  - the service watchdog is still fed (WATCHDOG=1 to a notify socket of the test's own,
    WatchdogSec 4 s: sd-event pings every 2 s, and no gap reaches the 4 s at which
    systemd would kill it);
  - the report reaches the journal: a journal socket of the test's own, bind-mounted
    over /run/systemd/journal in a mount namespace of the daemon's, read as journald
    reads its native protocol (a datagram, or a memfd passed along for a large one);
  - the daemon says that the spool is stalled (its log, and its STATUS=);
  - the daemon itself is never in D state (its spool writer is).
After the thaw the report lands in the spool, once.

The file system is always thawed: by an exit handler, and by an independent process
started before the freeze (setsid, sleeping --freeze + 60 s), so that a failure or a kill
of this test cannot leave a frozen file system behind. Needs root, losetup, mkfs.ext4,
fsfreeze and unshare: 77 otherwise.

  test-freeze.py SDEI_NMID FIXTURES [--freeze SECONDS]
"""

import argparse
import array
import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("nmid")
ap.add_argument("fixtures")
ap.add_argument("--freeze", type=int, default=60)
args = ap.parse_args()

if os.geteuid() != 0 or not all(shutil.which(t) for t in
                                ("mkfs.ext4", "fsfreeze", "unshare", "mount")):
    print("SKIP: needs root, mkfs.ext4, fsfreeze, unshare and mount")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="sdei-nmi-freeze-")
mnt = os.path.join(tmp, "mnt")
img = os.path.join(tmp, "spool.img")
jdir = os.path.join(tmp, "journal")
os.mkdir(mnt)
os.mkdir(jdir)
failed = []


def fail(msg):
    print("FAIL:", msg)
    failed.append(msg)


def thaw():
    subprocess.run(["fsfreeze", "-u", mnt], stderr=subprocess.DEVNULL)


def cleanup():
    thaw()
    if daemon and daemon.poll() is None:
        daemon.kill()
        daemon.wait()
    subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)
    if guard:
        guard.kill()
    shutil.rmtree(tmp, ignore_errors=True)


daemon = guard = None
atexit.register(cleanup)
with open(img, "wb") as f:
    f.truncate(64 << 20)
subprocess.run(["mkfs.ext4", "-q", "-F", img], check=True)
if subprocess.run(["mount", "-o", "loop", img, mnt]).returncode != 0:
    print("SKIP: cannot loop-mount an ext4 image here")
    sys.exit(77)

# The journal: datagrams of the native protocol; a large one comes as a memfd.
journal = []
jsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
jsock.bind(os.path.join(jdir, "socket"))


def parse_native(data):
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            fields[k.decode()] = v.decode(errors="replace")
            i = nl + 1
        else:  # KEY\n<le64 size><data>\n
            size = int.from_bytes(data[nl + 1:nl + 9], "little")
            fields[line.decode()] = data[nl + 9:nl + 9 + size].decode(errors="replace")
            i = nl + 9 + size + 1
    return fields


def read_journal():
    while True:
        fds = array.array("i")
        data, anc, _, _ = jsock.recvmsg(1 << 20, socket.CMSG_SPACE(4 * fds.itemsize))
        for level, typ, cdata in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.frombytes(cdata[:len(cdata) - len(cdata) % fds.itemsize])
        for fd in fds:
            data = os.pread(fd, 64 << 20, 0)
            os.close(fd)
        journal.append((time.monotonic(), parse_native(data)))


threading.Thread(target=read_journal, daemon=True).start()

# sd_notify: READY, STATUS, WATCHDOG.
notes = []
nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
nsock.bind(os.path.join(tmp, "notify"))


def read_notify():
    while True:
        data = nsock.recv(4096).decode(errors="replace")
        notes.append((time.monotonic(), data))


threading.Thread(target=read_notify, daemon=True).start()

# The independent thaw, before anything is frozen.
guard = subprocess.Popen(["setsid", "sh", "-c",
                          f"sleep {args.freeze + 60}; fsfreeze -u '{mnt}'"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

fifo = os.path.join(tmp, "kmsg")
os.mkfifo(fifo)
log_path = os.path.join(tmp, "daemon.log")
env = dict(os.environ, NOTIFY_SOCKET=os.path.join(tmp, "notify"),
           WATCHDOG_USEC="4000000", SDEI_NMI_CONFIG_ROOT=os.path.join(tmp, "none"))
script = (f"mkdir -p /run/systemd/journal && mount --bind '{jdir}' /run/systemd/journal"
          f" && export WATCHDOG_PID=$$ && exec '{args.nmid}' --kmsg '{fifo}'"
          f" --kmsg-cursor '{mnt}/cursor' --spool '{mnt}/spool' --journal --exit-on-eof"
          f" --root '{os.path.join(args.fixtures, 'root')}' --bpf=no")
daemon = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                           script], stdout=subprocess.DEVNULL,
                          stderr=open(log_path, "w"), env=env)
w = open(fifo, "w")  # the daemon opened it


def daemon_log():
    return open(log_path).read()


def wait_for(cond, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


if not wait_for(lambda: any("READY=1" in n for _, n in notes), 10):
    fail("no READY=1: " + daemon_log()[-2000:])
    sys.exit(1)

# Freeze, then the lockup.
subprocess.run(["fsfreeze", "-f", mnt], check=True)
frozen_at = time.monotonic()
print(f"frozen {mnt} for {args.freeze} s")
with open(os.path.join(args.fixtures, "kmsg", "lab", "hard-lockup-patched.kmsg")) as f:
    w.write(f.read())
w.flush()

reported = wait_for(lambda: any("SDEI_NMI_REPORT_ID" in j for _, j in journal), 20)
if reported:
    t, j = next((t, j) for t, j in journal if "SDEI_NMI_REPORT_ID" in j)
    rid = j["SDEI_NMI_REPORT_ID"]
    print(f"journal: report {rid} {t - frozen_at:.1f} s into the freeze: {j['MESSAGE']}")
    # the entry's fields: PRIORITY by kind (crit for a hard lockup), the CPU list
    want = {"PRIORITY": "2", "SDEI_NMI_KIND": "hard-lockup", "SDEI_NMI_CPUS": "2",
            "MESSAGE_ID": "4b1760927c374c00a0a93f99b3d2b689"}
    got = {k: j.get(k) for k in want}
    if got != want or "SDEI_NMI_REPORT" not in j:
        fail(f"journal fields {got}, expected {want} and SDEI_NMI_REPORT")
else:
    fail("no report in the journal during the freeze")
    rid = None
if wait_for(lambda: "stalled" in daemon_log(), 15):
    print("daemon log: " + next(l for l in daemon_log().splitlines() if "stalled" in l))
else:
    fail("the daemon never said the spool is stalled")

# Until the freeze ends: the daemon's state and the watchdog.
states = set()
while time.monotonic() < frozen_at + args.freeze:
    with open(f"/proc/{daemon.pid}/stat") as f:
        states.add(f.read().rsplit(")", 1)[1].split()[0])
    time.sleep(0.5)
pings = [t for t, n in notes if "WATCHDOG=1" in n and t >= frozen_at]
gaps = [b - a for a, b in zip([frozen_at] + pings, pings)]
print(f"during the freeze: {len(pings)} watchdog pings, longest gap "
      f"{max(gaps) if gaps else float('inf'):.1f} s; daemon states {sorted(states)}")
if not pings or max(gaps) >= 4.0:
    fail("the watchdog was not fed during the freeze")
if "D" in states:
    fail("the daemon itself was in D state")
if not any("STATUS=" in n and "stalled" in n for _, n in notes):
    fail("STATUS= never said the spool is stalled")
spooled = [n for n in os.listdir(os.path.join(mnt, "spool")) if rid and rid in n] \
    if os.path.isdir(os.path.join(mnt, "spool")) else []
print(f"in the spool before the thaw: {len(spooled)}")

thaw()
thawed_at = time.monotonic()
w.close()  # the end of input: the daemon reports what is open and exits
try:
    rc = daemon.wait(timeout=30)
except subprocess.TimeoutExpired:
    rc = None
    fail("the daemon did not exit after the thaw")
print(f"thawed; daemon exit {rc} after {time.monotonic() - thawed_at:.1f} s")
names = []
for sub in ("", "shipped", "held"):
    d = os.path.join(mnt, "spool", sub)
    if os.path.isdir(d):
        names += [n for n in os.listdir(d) if rid and rid in n]
print(f"in the spool after the thaw: {names}")
if len(names) != 1:
    fail(f"report {rid} is in the spool {len(names)} times")
if rc != 0:
    fail(f"exit status {rc}: " + daemon_log()[-2000:])
print("\n".join(l for l in daemon_log().splitlines()
                if "stalled" in l or "answers again" in l or "Incident" in l))
sys.exit(1 if failed else 0)
