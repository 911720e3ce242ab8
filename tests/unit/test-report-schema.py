#!/usr/bin/env python3
"""Validates incident reports against daemon/sdei-nmid-report.schema.json: the checked-in
fixtures and the reports test-report writes now, and checks that the schema rejects what
it must (mutations of a fixture).

    test-report-schema.py SCHEMA DIR...

Exits 77 (skipped) when python3-jsonschema is missing.
"""
import copy
import json
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed")
    sys.exit(77)

schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema, format_checker=jsonschema.FormatChecker())

failed = 0


def check(doc, valid, what):
    global failed
    errors = list(validator.iter_errors(doc))
    if bool(errors) == valid:
        failed = 1
        detail = "; ".join(e.message for e in errors[:3]) if errors else "accepted"
        print(f"FAIL: {what}: expected {'valid' if valid else 'invalid'}: {detail}")


docs = {}
for d in map(pathlib.Path, sys.argv[2:]):
    paths = sorted(d.glob("*.json"))
    if not paths:
        print(f"FAIL: no reports in {d}")
        failed = 1
    for path in paths:
        text = path.read_text()
        if text.count("\n") != 1 or not text.endswith("\n"):
            failed = 1
            print(f"FAIL: {path}: not one line")
        doc = json.loads(text)
        docs[str(path)] = doc
        check(doc, True, str(path))

hard = next(d for p, d in docs.items() if p.endswith("hard-lockup.json"))
unavail = next(d for p, d in docs.items() if p.endswith("soft-lockup-unavailable.json"))
assert hard["cpus"][0]["delivery"] == "captured" and hard["cpus"][1]["delivery"] == "timeout"


def cpu0(f):
    return lambda d: f(d["cpus"][0])


mutations = [
    (hard, lambda d: d.pop("id"), "no id"),
    (hard, lambda d: d.update(schema="sdei-nmi.report/2"), "other schema"),
    (hard, lambda d: d.update(extra=1), "unknown key"),
    (hard, lambda d: d.update(id="0D2F5B8E-6A41-4C3E-9F7A-1B2C3D4E5F60"), "uppercase id"),
    (hard, lambda d: d["host"].update(machine_id="xyz"), "bad machine id"),
    (hard, lambda d: d["host"].update(firmware_sdei_version="v1"), "bad sdei version"),
    (hard, lambda d: d["incident"].update(kind="lockup"), "unknown kind"),
    (hard, lambda d: d["incident"].pop("first_seen"), "no first_seen"),
    (hard, lambda d: d["incident"]["first_seen"].update(monotonic_ns=5), "monotonic number"),
    (hard, lambda d: d["incident"]["first_seen"].update(realtime="2026-11-02"), "bad realtime"),
    (hard, lambda d: d["incident"].update(stalled_cpus=[2, 2]), "repeated CPU"),
    (hard, lambda d: d["incident"].update(detector="Buddy Detector"), "bad detector"),
    (hard, lambda d: d["incident"].update(kmsg_seqs=[2**53]), "seq past 2^53 - 1"),
    (hard, lambda d: d.update(folded_count=-1), "negative fold"),
    (hard, lambda d: d.update(kdump=[]), "kdump not an object"),
    (hard, lambda d: d["kdump"].pop("ready"), "checked kdump without ready"),
    (hard, lambda d: d["kdump"].update(extra=1), "unknown kdump key"),
    (hard, lambda d: d["kdump"].update(crash_size=-1), "negative crash_size"),
    (hard, lambda d: d["kdump"].update(checked=False), "unchecked kdump with values"),
    (hard, lambda d: d["kernel_log"].pop("lines_dropped"), "no lines_dropped"),
    (hard, lambda d: d["kernel_log"]["lines"].append("tab\there"), "unprintable line"),
    (hard, cpu0(lambda c: c.pop("cpu")), "evidence without cpu"),
    (hard, cpu0(lambda c: c.update(delivery="lost")), "unknown delivery"),
    (hard, cpu0(lambda c: c.pop("stack_hash")), "frames without stack_hash"),
    (hard, cpu0(lambda c: c.pop("frames")), "stack_hash without frames"),
    (hard, cpu0(lambda c: c.pop("source")), "stack without source"),
    (hard, cpu0(lambda c: c.update(source="dmesg")), "unknown source"),
    (hard, cpu0(lambda c: c.update(pc="ffff8000")), "pc not 0x-hex"),
    (hard, cpu0(lambda c: c["pstate"]["daif"].pop("i")), "daif without i"),
    (hard, cpu0(lambda c: c["pstate"].update(el="EL4h")), "bad el"),
    (hard, cpu0(lambda c: c["pstate"].update(interrupts_masked="yes")), "masked not bool"),
    (hard, cpu0(lambda c: c.update(frames=[])), "no frames"),
    (hard, cpu0(lambda c: c.update(reason="x")), "reason on captured"),
    (hard, lambda d: d["cpus"][1].update(source="kmsg"), "source on a timeout"),
    (unavail, cpu0(lambda c: c.pop("reason")), "unavailable without reason"),
    (unavail, cpu0(lambda c: c.update(comm="x")), "comm without source"),
    (hard, cpu0(lambda c: c.update(context="asleep")), "unknown context"),
    (hard, cpu0(lambda c: c.update(context="unknown-7")), "a context not named"),
    (hard, cpu0(lambda c: c.update(path="nmi")), "unknown path"),
    (hard, lambda d: d["cpus"][1].update(context="idle"), "context on a timeout"),
    (unavail, cpu0(lambda c: c.update(path="ipi")), "path without source"),
]
assert hard["cpus"][0]["context"] == "kernel" and hard["cpus"][0]["path"] == "sdei"


def idle_ipi(c):
    c.update(context="idle", path="ipi")
    c.pop("pstate")
    c.pop("sp")


# What the schema must accept besides the fixtures.
variations = [
    (hard, cpu0(idle_ipi), "idle through the IPI, without pstate or sp"),
    (hard, cpu0(lambda c: c.update(context="guest")), "a KVM guest (minor 4)"),
    (hard, cpu0(lambda c: [c.pop("context"), c.pop("path")]), "no context or path (minor 2)"),
]
for base, mutate, what in variations:
    doc = copy.deepcopy(base)
    mutate(doc)
    check(doc, True, what)
for base, mutate, what in mutations:
    doc = copy.deepcopy(base)
    mutate(doc)
    check(doc, False, what)

if not failed:
    print(f"PASS: {len(docs)} reports valid, {len(mutations)} mutations rejected, "
          f"{len(variations)} variations accepted")
sys.exit(failed)
