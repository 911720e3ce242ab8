#!/usr/bin/python3
"""Verdicts of the sdei-nmid scenarios (tests/lab/scenarios/daemon-*.sh).

    daemon-verdict.py SCENARIO LOG [--thresh S]

Reads the serial log of a lab run: the reports of the daemon's spool that the guest
framed with 'LAB: report-begin NAME' / 'LAB: report-end NAME' (nmid_stop_and_dump in
guest/lib.sh), the daemon's own log ('LAB: nmid-log-begin' / 'LAB: nmid-log-end
rc=N') and the kernel log the guest dumped at the end, whose timestamps (the kernel's
clock, in the guest) time the wedge, the detection and the moment the guest first saw
a report in the spool ('LAB: report-seen NAME'). Every report is validated against
daemon/sdei-nmid-report.schema.json. Prints what it found and exits 0 (the assertion
holds), 1 (it does not) or 2 (inconclusive: the run never reached what it tests, or
the daemon did not report at all, which no kernel excuses).
"""
import argparse
import json
import os
import re
import sys

HOLDS, FAILS, INCONCLUSIVE = 0, 1, 2
TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
SCHEMA = os.path.join(TOP, "daemon", "sdei-nmid-report.schema.json")
KERNEL_LINE = re.compile(r"^\[\s*(\d+\.\d+)\] (.*)$")


class Inconclusive(Exception):
    pass


class Log:
    def __init__(self, path):
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [l.rstrip("\n") for l in f]
        # the kernel's console lines may fall between the guest's
        self.lines = [l for l in lines if not KERNEL_LINE.match(l)]
        self.kmsg = []  # (seconds, text) of the kernel log dump
        inside = False
        for l in lines:
            if l == "LAB: kmsg-begin":
                inside = True
            elif l == "LAB: kmsg-end":
                break
            elif inside:
                m = KERNEL_LINE.match(l)
                if m:
                    self.kmsg.append((float(m.group(1)), m.group(2)))

    def has(self, regex):
        return any(re.search(regex, l) for l in self.lines)

    def kmsg_time(self, regex):
        """The kernel timestamp of the first dumped kernel log line matching regex."""
        for t, text in self.kmsg:
            if re.search(regex, text):
                return t
        return None

    def nmid_log(self):
        body, inside = [], False
        for l in self.lines:
            if l == "LAB: nmid-log-begin":
                inside = True
                continue
            m = re.fullmatch(r"LAB: nmid-log-end rc=(\d+)", l)
            if m and inside:
                return "\n".join(body), int(m.group(1))
            if inside:
                body.append(l)
        raise Inconclusive("the guest never stopped sdei-nmid (no 'LAB: nmid-log-end')")

    def reports(self):
        """[(name, text)] of the spool's reports."""
        if "LAB: reports-done" not in self.lines:
            raise Inconclusive("the guest never dumped the spool ('LAB: reports-done')")
        out, name, body = [], None, []
        for l in self.lines:
            m = re.fullmatch(r"LAB: report-begin (\S+)", l)
            if m:
                name, body = m.group(1), []
                continue
            if name and l == f"LAB: report-end {name}":
                out.append((name, "".join(body)))
                name = None
                continue
            if name:
                body.append(l)
        return out


class Verdict:
    def __init__(self):
        self.rc = HOLDS

    def found(self, what):
        print(f"found: {what}")

    def fail(self, what):
        print(f"missing: {what}")
        self.rc = max(self.rc, FAILS)

    def inconclusive(self, what):
        print(f"inconclusive: {what}")
        self.rc = INCONCLUSIVE


def validator():
    import jsonschema  # Debian's python3-jsonschema, from scripts/install-deps.sh

    with open(SCHEMA) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def load_reports(log, v):
    """The spool's reports, parsed; each one must validate against the schema."""
    val = validator()
    docs = []
    for name, text in log.reports():
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            v.fail(f"report {name}: not JSON at offset {e.pos}: {text[e.pos:e.pos + 60]!r}")
            continue
        errors = sorted(val.iter_errors(doc), key=str)
        if errors:
            v.fail(f"report {name}: not valid against sdei-nmid-report.schema.json: "
                   f"{errors[0].message} at {list(errors[0].absolute_path)}")
            continue
        docs.append(doc)
    v.found(f"{len(docs)} report(s) in the spool, each valid against "
            f"sdei-nmid-report.schema.json")
    return docs


def describe(doc):
    inc = doc["incident"]
    return (f"{inc['kind']} on CPUs {inc['stalled_cpus']} "
            f"(detector {inc.get('detector', '-')}, folded {doc['folded_count']})")


def cpu_evidence(doc, cpu):
    for c in doc["cpus"]:
        if c["cpu"] == cpu:
            return c
    return None


def has_stack(ev):
    return ev is not None and ev.get("delivery") == "captured" and bool(ev.get("frames"))


def seen_time(log):
    """Kernel time at which the guest first saw a report in the spool, or None."""
    return log.kmsg_time(r"LAB: report-seen ")


def reports_of(docs, kind, cpu=None):
    return [d for d in docs if d["incident"]["kind"] == kind and
            (cpu is None or cpu in d["incident"]["stalled_cpus"])]


def netlink_reason(log):
    text, _ = log.nmid_log()
    m = re.search(r"Source netlink not running: (.*)\.$", text, re.M)
    return m.group(1) if m else None


def check_unavailable(log, v, doc, cpu):
    """No stack for cpu: the report must say why (delivery and reason), and the daemon
    that the NMI source is unavailable; otherwise the run is no negative control."""
    ev = cpu_evidence(doc, cpu)
    if ev is None:
        v.inconclusive(f"the report names CPU {cpu} but has no evidence entry for it")
        return
    v.fail(f"CPU {cpu}'s stack: the report has none: delivery {ev['delivery']}"
           f"{': ' + ev['reason'] if ev.get('reason') else ''}")
    why = netlink_reason(log)
    if ev["delivery"] != "unavailable" or not ev.get("reason") or not why:
        v.inconclusive(f"the report does not explain the missing stack as the NMI source "
                       f"being unavailable (delivery {ev['delivery']}, daemon's netlink "
                       f"source: {why!r})")
    else:
        v.found(f"the daemon says: Source netlink not running: {why}")


def hardlockup(log, v, thresh):
    cpu = 2
    docs = load_reports(log, v)
    for d in docs:
        print(f"  report {d['id']}: {describe(d)}")
    mine = reports_of(docs, "hard-lockup", cpu)
    if not mine:
        detected = log.kmsg_time(r"Watchdog detected hard LOCKUP on cpu 2")
        if detected is None:
            v.inconclusive("the kernel never reported a hard lockup of CPU 2")
        else:
            v.inconclusive(f"no hard-lockup report naming CPU {cpu}, though the kernel "
                           f"detected it at {detected:.6f}: the daemon did not report")
        return
    if len(mine) > 1:
        v.fail(f"{len(mine)} hard-lockup reports of CPU {cpu}: its repeats were not "
               f"folded")
    doc = mine[0]
    v.found(f"report {doc['id']}: {describe(doc)}")
    ev = cpu_evidence(doc, cpu)
    if not has_stack(ev):
        check_unavailable(log, v, doc, cpu)
        return
    frame = next((f for f in ev["frames"] if f.startswith("lkdtm_HARDLOCKUP")), None)
    if frame:
        v.found(f"CPU {cpu}'s frame {frame} (source {ev.get('source')})")
    else:
        v.fail(f"the LKDTM frame (lkdtm_HARDLOCKUP) in CPU {cpu}'s stack: {ev['frames'][:3]}")
    ps = ev.get("pstate")
    if ps and ps["interrupts_masked"] and ps["daif"]["i"]:
        v.found(f"CPU {cpu}'s pstate {ps['value']}: interrupts masked (I set)")
    else:
        v.fail(f"CPU {cpu}'s pstate with interrupts masked: {ps}")
    # The stack as data from the sdei-nmi family (the kernel's own SDEI backtrace on
    # the monitor group, or the daemon's request), not parsed from the kernel log.
    src = ev.get("source")
    if src in ("netlink-monitor", "netlink-request"):
        v.found(f"CPU {cpu}'s stack is structured, from the sdei-nmi family ({src})")
    else:
        v.fail(f"CPU {cpu}'s stack from the sdei-nmi family (netlink-monitor or "
               f"netlink-request), not {src}")

    wedge = log.kmsg_time(r"lkdtm: Performing direct entry HARDLOCKUP")
    detected = log.kmsg_time(r"Watchdog detected hard LOCKUP on cpu 2")
    seen = seen_time(log)
    if wedge is None or seen is None:
        v.inconclusive("no kernel timestamp for the wedge or for the report's arrival")
        return
    limit = thresh + 5
    took = seen - wedge
    line = (f"the report was in the spool {took:.2f} s after the wedge (limit: the "
            f"threshold {thresh} s + 5 s)")
    if detected is not None:
        line += f", {seen - detected:.2f} s after the detection"
    if took <= limit:
        v.found(line)
    else:
        v.fail(line)


def bpf(log, v):
    """The BPF source runs and classifies: SysRq-l and the hard lockup of CPU 2."""
    text, _ = log.nmid_log()
    m = re.search(r"^Source bpf \((.*)\) running\.$", text, re.M)
    if not m:
        why = re.search(r"^Source bpf not running: (.*)$", text, re.M)
        v.fail(f"the BPF source running: {why.group(1) if why else 'not said'}")
        return
    progs = m.group(1).split(", ")
    if sorted(progs) == ["backtrace_request", "rcu_stall_warning", "sched_process_hang"]:
        v.found(f"the BPF source runs: {m.group(1)}")
    else:
        v.fail(f"all three BPF programs running: {progs}")
    for l in re.findall(r"^BPF: backtrace request .*$", text, re.M):
        print(f"  daemon: {l}")
    docs = load_reports(log, v)
    for d in docs:
        trig = d["incident"].get("trigger")
        print(f"  report {d['id']}: {describe(d)}, sources "
              f"{d['incident'].get('sources')}, trigger {trig}")

    def check_trigger(doc, caller, function, what):
        inc = doc["incident"]
        t = inc.get("trigger")
        if not t:
            v.fail(f"{what}: a trigger in the report")
            return
        if t["caller"] == caller and t.get("function") == function:
            v.found(f"{what}: trigger {caller} ({function}) from CPU {t['requester_cpu']} "
                    f"for CPUs {t['target_cpus']}")
        else:
            v.fail(f"{what}: trigger {caller} ({function}), got {t}")
        if "bpf" in inc.get("sources", []):
            v.found(f"{what}: sources {inc['sources']}")
        else:
            v.fail(f"{what}: bpf among the sources: {inc.get('sources')}")

    sysrq = [d for d in docs if d["incident"].get("detector") == "sysrq"]
    if log.kmsg_time(r"sysrq: Show backtrace of all active CPUs") is None:
        v.inconclusive("the kernel never took SysRq-l")
        return
    if len(sysrq) != 1:
        v.fail(f"one SysRq-l report (kind other, detector sysrq), got {len(sysrq)}")
    else:
        d = sysrq[0]
        if d["incident"]["kind"] != "other":
            v.fail(f"SysRq-l: kind other, got {d['incident']['kind']}")
        check_trigger(d, "sysrq", "sysrq_handle_showallcpus", "SysRq-l")
        stacks = [c["cpu"] for c in d["cpus"] if has_stack(c)]
        v.found(f"SysRq-l: the backtraces of CPUs {stacks} attached")

    mine = reports_of(docs, "hard-lockup", 2)
    if not mine:
        if log.kmsg_time(r"Watchdog detected hard LOCKUP on cpu 2") is None:
            v.inconclusive("the kernel never reported a hard lockup of CPU 2")
        else:
            v.fail("a hard-lockup report naming CPU 2")
        return

    def seen(doc, which):
        return int(doc["incident"][which]["monotonic_ns"]) / 1e9

    mine.sort(key=lambda d: seen(d, "first_seen"))
    d = mine[0]
    check_trigger(d, "hard-lockup", "watchdog_hardlockup_check", "hard lockup")
    if d["incident"].get("sources") != ["kmsg", "bpf"]:
        v.fail(f"hard lockup: the kernel log's detection in the same report as BPF's "
               f"event (sources kmsg and bpf): {d['incident'].get('sources')}")
    ev = cpu_evidence(d, 2)
    print(f"  CPU 2's evidence: {ev['delivery'] if ev else '(none)'}"
          f"{', source ' + ev['source'] if ev and ev.get('source') else ''}")
    if d["incident"].get("detector") == "buddy":
        v.found("hard lockup: detector buddy")
    else:
        v.fail(f"hard lockup: detector buddy, got {d['incident'].get('detector')}")
    # Repeats of the lockup fold into its report, BPF's as the log's. A later report of
    # CPU 2 is the kernel's own report again after the incident went quiet (the
    # unpatched kernel's buddy gives up on the IPI backtrace after 10 s and reports the
    # lockup anew): fine when it starts past the quiet period (5 s) after the last.
    for prev, x in zip(mine, mine[1:]):
        gap = seen(x, "first_seen") - seen(prev, "last_seen")
        if gap > 5:
            print(f"  also: CPU 2 reported again {gap:.1f} s after the previous report's "
                  f"last event: {describe(x)}, sources {x['incident'].get('sources')}")
        else:
            v.fail(f"CPU 2's repeats folded: a report {gap:.1f} s after the previous one's "
                   f"last event (the quiet period is 5 s)")
    # the unpatched kernel's buddy spins 10 s for CPU 2's backtrace, interrupts masked:
    # its own buddy then reports it too, a report of its own
    for x in docs:
        if x not in mine and x not in sysrq:
            print(f"  also: {describe(x)}, trigger {x['incident'].get('trigger')}")
    # stopped with CPU 2 still wedged: the programs stay attached, the exit is clean
    pins = next((l for l in log.lines if l.startswith("LAB: bpf-pins")), None)
    if re.search(r"^BPF source: 3 program\(s\) left attached, pinned in /sys/fs/bpf/sdei-nmid",
                 text, re.M) and pins and len(pins.split()) == 5:
        v.found(f"stopped with CPU 2 wedged, the programs left attached: {pins[14:]}")
    else:
        v.fail(f"the programs left attached at the stop (pinned): {pins}")


def report_times(log, v, doc, start_regex, what):
    """When the guest saw the first report, from what started it and from the
    detection (the report's first_seen is the detection's kernel time)."""
    start = log.kmsg_time(start_regex)
    seen = seen_time(log)
    detected = int(doc["incident"]["first_seen"]["monotonic_ns"]) / 1e9
    if start is None or seen is None:
        v.inconclusive(f"no kernel timestamp for {what} or for the report's arrival")
        return
    v.found(f"the first report was in the spool {seen - start:.2f} s after {what}, "
            f"{seen - detected:.2f} s after the detection")


def cpus_report(log, v, kind, cpu, frame_prefix):
    """The report of kind naming cpu with its stack (frame_prefix among its frames)."""
    docs = load_reports(log, v)
    for d in docs:
        print(f"  report {d['id']}: {describe(d)}")
    mine = reports_of(docs, kind, cpu)
    if not mine:
        v.inconclusive(f"no {kind} report naming CPU {cpu}: the daemon did not report it")
        return docs, None
    if len(mine) > 1:
        v.fail(f"{len(mine)} {kind} reports of CPU {cpu}: its repeats were not folded")
    doc = mine[0]
    v.found(f"report {doc['id']}: {describe(doc)}")
    ev = cpu_evidence(doc, cpu)
    if not has_stack(ev):
        v.fail(f"CPU {cpu}'s stack in the {kind} report: delivery "
               f"{ev['delivery'] if ev else '(no entry)'}")
        return docs, doc
    frame = next((f for f in ev["frames"] if f.startswith(frame_prefix)), None)
    if frame:
        v.found(f"CPU {cpu}'s frame {frame} (source {ev.get('source')}, "
                f"{len(ev['frames'])} frames)")
    else:
        v.fail(f"the frame {frame_prefix} in CPU {cpu}'s stack: {ev['frames'][:4]}")
    return docs, doc


def softlockup(log, v):
    cpu = 3
    if log.kmsg_time(r"BUG: soft lockup - CPU#3 stuck") is None:
        v.inconclusive("the kernel never reported a soft lockup of CPU 3")
        return
    docs, doc = cpus_report(log, v, "soft-lockup", cpu, "lkdtm_SOFTLOCKUP")
    if doc is None:
        return
    report_times(log, v, doc, r"lkdtm: Performing direct entry SOFTLOCKUP", "the lockup")
    rcu = reports_of(docs, "rcu-stall")
    if log.kmsg_time(r"rcu: INFO: .* (self-)?detected stall") is not None and not rcu:
        v.fail("a report of the RCU stall that the kernel reported")
    for d in rcu:
        if cpu in d["incident"]["stalled_cpus"]:
            ev = cpu_evidence(d, cpu)
            v.found(f"RCU stall report {d['id']} names CPU {cpu}; its evidence: "
                    f"{ev['delivery'] if ev else '(none)'}"
                    f"{', ' + str(len(ev['frames'])) + ' frames' if has_stack(ev) else ''}")
        else:
            v.fail(f"RCU stall report {d['id']} does not name CPU {cpu}: "
                   f"{d['incident']['stalled_cpus']}")


def hungtask(log, v, default_timeout=False):
    if log.kmsg_time(r"INFO: task .* blocked for more than") is None:
        v.inconclusive("the kernel never reported a hung task")
        return
    docs = load_reports(log, v)
    for d in docs:
        print(f"  report {d['id']}: {describe(d)}")
    mine = reports_of(docs, "hung-task")
    if not mine:
        v.inconclusive("no hung-task report: the daemon did not report it")
        return
    if len(mine) > 1:
        v.fail(f"{len(mine)} hung-task reports: the detector's warnings were not folded")
    doc = mine[0]
    v.found(f"report {doc['id']}: {describe(doc)}")
    lines = doc["kernel_log"]["lines"]
    first = next((l for l in lines if "blocked for more than" in l), None)
    if first:
        v.found(f"its kernel log: {first}")
    else:
        v.fail(f"the detector's line in the report's kernel log: {lines[:2]}")
    if any("lkdtm_HUNG_TASK" in l for l in lines):
        v.found("the blocked task's stack (lkdtm_HUNG_TASK) in the report's kernel log")
    else:
        v.fail("the blocked task's stack (lkdtm_HUNG_TASK) in the report's kernel log")
    # schema minor 2: the task itself, with its stack (sched_show_task()'s block)
    task = doc["incident"].get("task")
    if task and any("lkdtm_HUNG_TASK" in f for f in task.get("frames", [])):
        v.found(f"incident.task: {task['comm']} pid {task['pid']} blocked for more than "
                f"{task['blocked_seconds']} s, {len(task['frames'])} frames with "
                f"lkdtm_HUNG_TASK")
    elif default_timeout or "task" in doc["incident"] or doc["id"][14] == "8":
        # a daemon that names reports by their first record (a version 8 id) has it
        v.fail(f"incident.task with the blocked task's stack (lkdtm_HUNG_TASK): {task}")
    else:
        v.found("(a daemon of before incident.task, random ids: the stack checked in "
                "the kernel log only)")
    if default_timeout and task and task.get("blocked_seconds", 0) < 120:
        v.fail(f"blocked for more than {task.get('blocked_seconds')} s: not the default "
               f"timeout")
    report_times(log, v, doc, r"lkdtm: Performing direct entry HUNG_TASK", "the task blocked")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("log")
    ap.add_argument("--thresh", type=float, default=10)
    a = ap.parse_args()
    v = Verdict()
    log = Log(a.log)
    try:
        text, rc = log.nmid_log()
        print(f"sdei-nmid exited {rc}")
        if rc != 0:
            v.fail(f"sdei-nmid's exit status 0; its log:\n{text}")
        if a.scenario == "daemon-hardlockup":
            hardlockup(log, v, a.thresh)
        elif a.scenario == "daemon-bpf":
            bpf(log, v)
        elif a.scenario == "daemon-softlockup":
            softlockup(log, v)
        elif a.scenario == "daemon-hungtask":
            hungtask(log, v)
        elif a.scenario == "daemon-hungtask-default":
            hungtask(log, v, default_timeout=True)
        else:
            print(f"no verdict for {a.scenario}")
            return INCONCLUSIVE
    except Inconclusive as e:
        v.inconclusive(str(e))
    return v.rc


if __name__ == "__main__":
    sys.exit(main())
