#!/usr/bin/python3
"""sdei-nmid killed at random points, restarted, and nothing lost or duplicated.

For each recorded lab kernel log (tests/fixtures/kmsg/lab/*.kmsg), a reference run
replays it uninterrupted (spool, kernel log cursor, OTLP to a local receiver) and
keeps the set of report ids it spooled. Then episodes replay the same log into fresh
directories, killing the daemon (SIGKILL, its process group: the daemon and its spool
writer, as systemd's KillMode=control-group does) after a random delay, over and over,
restarting it each time with the same spool and cursor, until a run reaches the end
of the log and exits 0. At the end of an episode:
  - lost: a reference id not in the spool;
  - duplicated: an id in two spool files, or an id the reference does not have;
  - unshipped: a pending report left (the last run ships everything before it exits);
  - the receiver got every shipped report, and no held one;
  - resent: requests the receiver got for an id it had acknowledged before (a kill
    between the collector's answer and the spool's move into shipped/); the report
    id, sent as Idempotency-Key and log.record.uid, lets a receiver drop them, so they
    are counted and printed, apart from the figures above.
Exits 1 on any loss or duplicate, or with fewer than --kills kills.

  test-kill.py SDEI_NMID RECEIVER FIXTURES [--kills N] [--seed S]
"""

import argparse
import atexit
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("nmid")
ap.add_argument("receiver")
ap.add_argument("fixtures")
ap.add_argument("--kills", type=int, default=1000)
ap.add_argument("--seed", type=int, default=None)
args = ap.parse_args()

seed = args.seed if args.seed is not None else int(time.time())
rng = random.Random(seed)
print(f"seed {seed}")

logs = sorted(glob.glob(os.path.join(args.fixtures, "kmsg", "lab", "*.kmsg")))
root = os.path.join(args.fixtures, "root")
top = tempfile.mkdtemp(prefix="sdei-nmi-kill-")
env = dict(os.environ, SDEI_NMI_CONFIG_ROOT=os.path.join(top, "no-config"))

recv_log = os.path.join(top, "receiver.jsonl")
port_file = os.path.join(top, "port")
receiver = subprocess.Popen([sys.executable, args.receiver, "--port-file", port_file,
                             "--log", recv_log], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def cleanup():
    receiver.kill()
    receiver.wait()
    shutil.rmtree(top, ignore_errors=True)


atexit.register(cleanup)
for _ in range(100):
    if os.path.exists(port_file) and open(port_file).read().strip():
        break
    time.sleep(0.05)
port = int(open(port_file).read())
url = f"http://127.0.0.1:{port}/v1/logs"


def log_size():
    return os.path.getsize(recv_log) if os.path.exists(recv_log) else 0


def received(since=0):
    """Per report id, the statuses the receiver answered after byte since, in order."""
    out = {}
    if not os.path.exists(recv_log):
        return out
    with open(recv_log) as f:
        f.seek(since)
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("id"):
                out.setdefault(r["id"], []).append(r.get("status"))
    return out


def spool_ids(spool):
    """Report id -> the states it is found in (one per file)."""
    ids = {}
    for state, sub in (("pending", ""), ("shipped", "shipped"), ("held", "held")):
        d = os.path.join(spool, sub)
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            if name.endswith(".json") and os.path.isfile(os.path.join(d, name)):
                ids.setdefault(name[24:60], []).append(state)
    return ids


def start(log, work):
    return subprocess.Popen(
        [args.nmid, "--kmsg", log, "--kmsg-cursor", os.path.join(work, "cursor"),
         "--spool", os.path.join(work, "spool"), "--root", root, "--exit-on-eof",
         "--otlp-url", url, "--bpf=no"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "daemon.log"), "a"),
        env=env, start_new_session=True)


def group_alive(pgid):
    """Whether a process of group pgid still runs (a zombie holds no lock: it does not
    count; in a container whose init does not reap, zombies stay)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()
    # the spool writer is in the group: wait until the group is gone (its lock too)
    for _ in range(500):
        if not group_alive(p.pid):
            return
        time.sleep(0.01)
    raise SystemExit(f"process group {p.pid} still there 5 s after SIGKILL")


refs = {}
for log in logs:
    # three uninterrupted runs: their ids agree; the median time sets the kills' range
    times, seen = [], []
    for _ in range(3):
        work = tempfile.mkdtemp(dir=top)
        t0 = time.monotonic()
        p = start(log, work)
        rc = p.wait(timeout=120)
        times.append(time.monotonic() - t0)
        seen.append(set(spool_ids(os.path.join(work, "spool"))))
        if rc != 0:
            break
    took = sorted(times)[len(times) // 2]
    ids = spool_ids(os.path.join(work, "spool"))
    if any(s != seen[0] for s in seen):
        print(f"FAIL: the reference runs of {os.path.basename(log)} disagree: {seen}")
        sys.exit(1)
    if rc != 0 or not ids:
        print(f"FAIL: reference run of {os.path.basename(log)}: exit {rc}, "
              f"{len(ids)} reports")
        print(open(os.path.join(work, "daemon.log")).read()[-3000:])
        sys.exit(1)
    refs[log] = (set(ids), took)
    print(f"reference {os.path.basename(log)}: {len(ids)} report(s) in {took:.3f} s")

kills = episodes = runs = lost = dup = extra = unshipped = missing = held_sent = 0
resent = 0
failures = []
while kills < args.kills:
    log = logs[episodes % len(logs)]
    ref, took = refs[log]
    work = tempfile.mkdtemp(dir=top)
    episodes += 1
    since = log_size()
    while True:
        p = start(log, work)
        runs += 1
        try:
            rc = p.wait(timeout=rng.uniform(0, took * 1.2))
        except subprocess.TimeoutExpired:
            kill_group(p)
            kills += 1
            continue
        if rc != 0:
            failures.append(f"{os.path.basename(log)}: a run exited {rc}")
        break
    got = spool_ids(os.path.join(work, "spool"))
    names = os.path.basename(log)
    if not os.path.exists(os.path.join(work, "cursor")):
        failures.append(f"{names}: no kernel log cursor saved")
    for i in ref - set(got):
        lost += 1
        failures.append(f"{names}: report {i} lost")
        if os.environ.get("SN_KILL_DEBUG"):
            print(f"DEBUG lost {i} in {work} (cursor "
                  f"{open(os.path.join(work, 'cursor')).read().strip() if os.path.exists(os.path.join(work, 'cursor')) else None}):")
            print(open(os.path.join(work, "daemon.log")).read()[-12000:], flush=True)
            os.system(f"find '{work}' -ls; grep -h '{i}' '{recv_log}' | cut -c1-120")
            sys.exit(3)
    for i, states in got.items():
        if len(states) > 1:
            dup += 1
            failures.append(f"{names}: report {i} in {states}")
        if i not in ref:
            extra += 1
            failures.append(f"{names}: report {i} not in the reference run")
    recv = received(since)
    for i, states in got.items():
        if "pending" in states:
            unshipped += 1
            failures.append(f"{names}: report {i} left pending")
        if "shipped" in states and 200 not in recv.get(i, []):
            missing += 1
            failures.append(f"{names}: report {i} shipped but never received")
        if "held" in states and 200 in recv.get(i, []):
            held_sent += 1  # held ones are never sent (none is refused here)
            failures.append(f"{names}: held report {i} was received")
    for i in got:
        ok = [s for s in recv.get(i, []) if s == 200]
        resent += max(0, len(ok) - 1)
        if len(ok) > 1 and os.environ.get("SN_KILL_DEBUG") == "resent":
            print(f"DEBUG resent {i} in {work}: {recv.get(i)}", flush=True)
            os.system(f"grep -h '{i}' '{recv_log}' | cut -c1-200")
            print(open(os.path.join(work, "daemon.log")).read()[-8000:], flush=True)
            sys.exit(3)
    shutil.rmtree(work)

print(f"{kills} kills over {episodes} episodes ({runs} runs): {lost} lost, {dup} "
      f"duplicated in the spool, {extra} not in the reference, {unshipped} left "
      f"unshipped, {missing} shipped but not received, {held_sent} held but sent; "
      f"{resent} sent again after a kill between the collector's answer and the "
      f"spool's move (deduplicated by report id)")
for f in failures[:20]:
    print("FAIL:", f)
sys.exit(1 if failures or kills < args.kills else 0)
