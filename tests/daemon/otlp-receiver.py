#!/usr/bin/python3
"""A local OTLP/HTTP JSON logs receiver for the sdei-nmid tests.

Checks each POST the way a collector would read it (OTLP's JSON encoding: camelCase,
int64 as decimal strings, one report per request whose id is the Idempotency-Key) and
answers per its options; writes one JSON line per request to --log:

    {"t": monotonic seconds, "status": answered, "key": Idempotency-Key,
     "id": the report's id, "kind": ..., "errors": [what the payload got wrong],
     "x": the request's X-* headers}

Options:
  --port-file PATH   write the port it listens on (127.0.0.1, chosen by the kernel)
  --port N           listen on N instead
  --fail-first N     answer --fail-status (default 503) to the first N requests
  --status N         answer N to every request (after --fail-first ones)
  --hang             accept requests and never answer
"""

import argparse
import calendar
import json
import os
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIGITS = re.compile(r"^(0|[1-9][0-9]*)$")
CAMEL = re.compile(r"^[a-z][a-zA-Z]*$")
ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def attrs(errors, where, lst):
    """The attributes list as a dict; checks its encoding."""
    out = {}
    if not isinstance(lst, list):
        errors.append(f"{where}: attributes not a list")
        return out
    for kv in lst:
        if not isinstance(kv, dict) or set(kv) != {"key", "value"}:
            errors.append(f"{where}: bad attribute {kv!r}")
            continue
        v = kv["value"]
        if not isinstance(v, dict) or len(v) != 1:
            errors.append(f"{where}: bad value of {kv['key']}")
            continue
        (kind, val), = v.items()
        if kind == "stringValue":
            if not isinstance(val, str):
                errors.append(f"{where}: {kv['key']} stringValue not a string")
        elif kind == "intValue":
            # int64 in OTLP JSON: a decimal string
            if not isinstance(val, str) or not DIGITS.match(val):
                errors.append(f"{where}: {kv['key']} intValue {val!r} not a decimal string")
        else:
            errors.append(f"{where}: {kv['key']} of unexpected kind {kind}")
        if kv["key"] in out:
            errors.append(f"{where}: {kv['key']} twice")
        out[kv["key"]] = val
    return out


def camel_keys(errors, obj, path="$"):
    """Every key of the OTLP envelope is lowerCamelCase (attribute keys are values)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not CAMEL.match(k):
                errors.append(f"{path}: key {k!r} not lowerCamelCase")
            if k not in ("stringValue",):
                camel_keys(errors, v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            camel_keys(errors, v, f"{path}[{i}]")


def check(headers, path, raw):
    """The errors of a request, its report's id and kind."""
    errors = []
    rid = kind = None
    if path != "/v1/logs":
        errors.append(f"path {path}")
    if headers.get("Content-Type") != "application/json":
        errors.append(f"Content-Type {headers.get('Content-Type')!r}")
    key = headers.get("Idempotency-Key")
    if not key or not ID.match(key):
        errors.append(f"Idempotency-Key {key!r}")
    try:
        doc = json.loads(raw)
    except ValueError as e:
        return [f"not JSON: {e}"], key, None, None
    camel_keys(errors, doc)
    try:
        (rl,) = doc["resourceLogs"]
        res = attrs(errors, "resource", rl["resource"]["attributes"])
        if res.get("service.name") != "sdei-nmid":
            errors.append(f"service.name {res.get('service.name')!r}")
        for k in ("host.name", "os.type"):
            if k not in res:
                errors.append(f"resource without {k}")
        if "host.id" in res and not re.match(r"^[0-9a-f]{32}$", res["host.id"]):
            errors.append(f"host.id {res['host.id']!r}")
        (sl,) = rl["scopeLogs"]
        if sl["scope"].get("name") != "sdei-nmid":
            errors.append("scope name")
        (rec,) = sl["logRecords"]
        for k in ("timeUnixNano", "observedTimeUnixNano"):
            if not isinstance(rec.get(k), str) or not DIGITS.match(rec[k]):
                errors.append(f"{k} {rec.get(k)!r} not a decimal string")
        if int(rec["observedTimeUnixNano"]) < int(rec["timeUnixNano"]):
            errors.append("observed before the incident")
        for k in ("traceId", "spanId"):
            if k in rec and not re.match(r"^[0-9a-f]+$", rec[k]):
                errors.append(f"{k} not hex")
        report = json.loads(rec["body"]["stringValue"])
        rid = report["id"]
        kind = report["incident"]["kind"]
        # FATAL, CRITICAL; a synthetic incident (a test of the sinks) INFO
        severity = (9, "INFO") if kind == "synthetic" else (21, "CRITICAL")
        if (rec.get("severityNumber"), rec.get("severityText")) != severity or \
                not isinstance(rec["severityNumber"], int):
            errors.append(f"severity {rec.get('severityNumber')!r} "
                          f"{rec.get('severityText')!r}, expected {severity}")
        if report.get("schema") != "sdei-nmi.report/1":
            errors.append(f"schema {report.get('schema')!r}")
        a = attrs(errors, "logRecord", rec["attributes"])
        if not (key == rid == a.get("sdei_nmi.report.id") == a.get("log.record.uid")):
            errors.append(f"ids differ: key {key}, report {rid}, attributes "
                          f"{a.get('sdei_nmi.report.id')} {a.get('log.record.uid')}")
        if a.get("sdei_nmi.kind") != kind:
            errors.append(f"sdei_nmi.kind {a.get('sdei_nmi.kind')!r}, report {kind}")
        cpus = report["incident"]["stalled_cpus"]
        if a.get("sdei_nmi.cpu_count") != str(len(cpus)):
            errors.append(f"sdei_nmi.cpu_count {a.get('sdei_nmi.cpu_count')!r}")
        if "sdei_nmi.cpus" not in a:
            errors.append("no sdei_nmi.cpus")
        first = report["incident"]["first_seen"]["realtime"]  # ...T10:04:05.123456Z
        ns = (calendar.timegm(time.strptime(first[:19], "%Y-%m-%dT%H:%M:%S")) * 10**9
              + int(first[20:26]) * 1000)
        if rec["timeUnixNano"] != str(ns):
            errors.append(f"timeUnixNano {rec['timeUnixNano']} is not {first}")
    except (KeyError, TypeError, ValueError) as e:
        errors.append(f"shape: {type(e).__name__} {e}")
    return errors, key, rid, kind


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-status", type=int, default=503)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--hang", action="store_true")
    args = ap.parse_args()
    log = open(args.log, "a", buffering=1)
    seen = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n)
            t = time.monotonic()
            if args.hang:
                log.write(json.dumps({"t": t, "status": None}) + "\n")
                time.sleep(3600)
                return
            errors, key, rid, kind = check(self.headers, self.path, raw)
            seen["n"] += 1
            status = args.fail_status if seen["n"] <= args.fail_first else args.status
            if errors:
                status = 400
            extra = {k: v for k, v in self.headers.items() if k.lower().startswith("x-")}
            log.write(json.dumps({"t": t, "status": status, "key": key, "id": rid,
                                  "kind": kind, "errors": errors, "x": extra}) + "\n")
            body = b'{"partialSuccess":{}}' if status == 200 else b"{}"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(srv.server_address[1]))
        os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
