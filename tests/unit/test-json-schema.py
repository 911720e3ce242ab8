#!/usr/bin/env python3
"""Validates the JSON fixtures of tests/fixtures/cli/ against the schemas in cli/, as the
lab validates the guest's output, and checks that the schemas reject what they must.

    test-json-schema.py CLI_DIR FIXTURES_CLI_DIR

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

cli_dir, fixtures = map(pathlib.Path, sys.argv[1:3])
schemas = {
    "backtrace": json.loads((cli_dir / "sdei-nmictl-backtrace.schema.json").read_text()),
    "status": json.loads((cli_dir / "sdei-nmictl-status.schema.json").read_text()),
    "kdump": json.loads((cli_dir / "sdei-nmictl-kdump.schema.json").read_text()),
}
validators = {}
for name, schema in schemas.items():
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validators[name] = cls(schema, format_checker=jsonschema.FormatChecker())

failed = 0


def check(name, doc, valid, what):
    global failed
    errors = list(validators[name].iter_errors(doc))
    if bool(errors) == valid:
        failed = 1
        detail = "; ".join(e.message for e in errors[:3]) if errors else "accepted"
        print(f"FAIL: {what}: expected {'valid' if valid else 'invalid'}: {detail}")


docs = {}
for path in sorted(fixtures.glob("*.json")):
    name = next((n for n in ("status", "kdump") if path.name.startswith(n)), "backtrace")
    doc = json.loads(path.read_text())
    docs[path.name] = doc
    check(name, doc, True, path.name)

# Mutations the schemas must reject.
reply = docs["backtrace-reply.json"]
captured = next(e for e in reply["entries"] if e["delivery"] == "captured")
status = docs["status-active.json"]
kdump = docs["kdump-degraded.json"]
mutations = [
    ("kdump", lambda d: d.pop("checks"), "kdump without checks"),
    ("kdump", lambda d: d.update(status="fine"), "unknown kdump status"),
    ("kdump", lambda d: d.update(arch="host"), "kdump arch host"),
    ("kdump", lambda d: d["checks"][0].update(level="maybe"), "unknown check level"),
    ("kdump", lambda d: d["checks"][0].update(id="Reservation"), "check id not lower case"),
    ("kdump", lambda d: d["checks"][0].pop("reason"), "check without reason"),
    ("kdump", lambda d: d["checks"][0].update(remedy=""), "empty remedy"),
    ("kdump", lambda d: d["checks"][0].update(extra=1), "unknown check key"),
    ("kdump", lambda d: d.update(crash_size=-1), "negative crash_size"),

    ("backtrace", lambda d: d.pop("entries"), "no entries"),
    ("backtrace", lambda d: d.update(kind="other"), "unknown kind"),
    ("backtrace", lambda d: d["entries"][0].pop("cpu"), "entry without cpu"),
    ("backtrace", lambda d: d["entries"][0].update(cpu=-1), "negative cpu"),
    ("backtrace", lambda d: d["entries"][0].update(delivery="lost"), "unknown delivery"),
    ("backtrace", lambda d: d["entries"][0].pop("pstate"), "captured without pstate"),
    ("backtrace", lambda d: d["entries"][0].pop("frames"), "captured without frames"),
    ("backtrace", lambda d: d["entries"][0]["daif"].pop("i"), "daif without i"),
    ("backtrace", lambda d: d["entries"][0].update(el="EL4h"), "bad el"),
    ("backtrace", lambda d: d["entries"][0].update(pc="ffff8000"), "pc not 0x-hex"),
    ("backtrace", lambda d: d["entries"][0].update(interrupts_masked="yes"), "masked not bool"),
    ("backtrace", lambda d: d["entries"][0].update(frames=[1]), "frame not a string"),
    ("backtrace", lambda d: d["entries"][0].pop("context"), "captured without context"),
    ("backtrace", lambda d: d["entries"][0].pop("path"), "captured without path"),
    ("backtrace", lambda d: d["entries"][0].update(context="asleep"), "unknown context name"),
    ("backtrace", lambda d: d["entries"][0].update(context="unknown-"), "unknown- without number"),
    ("backtrace", lambda d: d["entries"][0].update(context=3), "context a number"),
    ("backtrace", lambda d: d["entries"][0].update(path="nmi"), "unknown path name"),
    ("backtrace", lambda d: d["entries"][0].update(user=False), "the old user flag"),
    ("backtrace", lambda d: d["entries"][1].update(path="ipi"), "path on a CPU not captured"),
    ("backtrace", lambda d: d["entries"][1].update(context="idle"),
     "context on a CPU not captured"),
    ("status", lambda d: d.pop("state"), "status without state"),
    ("status", lambda d: d.update(state="inactive"), "inactive without reason"),
    ("status", lambda d: d["cpus"][0].pop("online"), "cpu without online"),
    ("status", lambda d: d["sdei_version"].pop("major"), "version without major"),
]


def ipi_without_registers(d):
    e = d["entries"][0]
    e.update(path="ipi", context="idle")
    for k in ("pstate", "daif", "interrupts_masked", "el", "sp"):
        e.pop(k, None)


# Variations the schemas must accept.
variations = [
    ("backtrace", ipi_without_registers, "path ipi without pstate or sp"),
    ("backtrace", lambda d: d["entries"][0].update(context="guest"), "a KVM guest"),
    ("backtrace", lambda d: d["entries"][0].update(context="unknown-7", path="unknown-9"),
     "context and path of a newer kernel"),
    ("backtrace", lambda d: d["entries"][0].update(context="user", frames=[]),
     "context user without frames"),
]
assert reply["entries"][0] is captured, "the first entry of backtrace-reply.json is captured"
assert reply["entries"][1]["delivery"] != "captured", "its second is not"
for name, mutate, what in mutations:
    doc = copy.deepcopy({"backtrace": reply, "status": status, "kdump": kdump}[name])
    mutate(doc)
    check(name, doc, False, what)
for name, mutate, what in variations:
    doc = copy.deepcopy({"backtrace": reply}[name])
    mutate(doc)
    check(name, doc, True, what)

if not failed:
    print(f"PASS: {len(docs)} fixtures valid, {len(mutations)} mutations rejected, "
          f"{len(variations)} variations accepted")
sys.exit(failed)
