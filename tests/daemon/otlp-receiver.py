#!/usr/bin/python3
"""A local OTLP/HTTP logs receiver for the sdei-nmid tests.

Reads each POST the way a collector would: the body (gunzipped for
Content-Encoding: gzip) parsed by protobuf's json_format into the upstream
ExportLogsServiceRequest (Debian's python3-opentelemetry-proto), unknown fields
refused, plus OTLP's JSON rules that a stock protobuf parser lets through
(lowerCamelCase keys only, enums as integers, 64-bit integers as decimal strings,
traceId/spanId in hex); then one report per request whose id is the
Idempotency-Key, its body a kvlistValue that is the report. Answers per its
options; writes one JSON line per request to --log:

    {"t": monotonic seconds, "status": answered, "key": Idempotency-Key,
     "id": the report's id, "kind": ..., "errors": [what the payload got wrong],
     "x": the request's X-* headers, "authorization": its Authorization header,
     "path": ..., "encoding": its Content-Encoding, "resource": {key: value},
     "severity": [number, text], "report": the body made JSON again,
     "retry_after": the Retry-After sent, if any}

and, with TLS, {"t": ..., "tls_error": "..."} for a handshake it refused.

Options:
  --port-file PATH   write the port it listens on (127.0.0.1, chosen by the kernel)
  --port N           listen on N instead
  --path P           the path expected (default /v1/logs)
  --script LIST      answers to the first requests, in order, comma-separated:
                     STATUS, STATUS:ra=SECONDS (Retry-After in seconds),
                     STATUS:date=SECONDS (Retry-After as an HTTP-date that far
                     ahead), partial (200, partialSuccess rejecting the record)
  --fail-first N     then answer --fail-status (default 503) to the next N requests
  --status N         then answer N to every request (default 200)
  --hang             accept requests and never answer
  --tls-cert, --tls-key PEM  serve HTTPS with this certificate
  --tls-client-ca PEM        and require a client certificate signed by this CA
"""

import argparse
import calendar
import email.utils
import gzip
import json
import os
import re
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2

DIGITS = re.compile(r"^-?(0|[1-9][0-9]*)$")
CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
# a report id: version 8 (derived from the boot and the first record) or 4 (random)
ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[48][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# host.arch in the semantic conventions
ARCHES = {"amd64", "arm32", "arm64", "ia64", "ppc32", "ppc64", "s390x", "x86"}
# lib/otlp.h: the severity by kind
SEVERITY = {"hard-lockup": (21, "FATAL"), "rcu-stall": (19, "ERROR3"),
            "soft-lockup": (17, "ERROR"), "hung-task": (13, "WARN"),
            "other": (9, "INFO"), "synthetic": (9, "INFO")}
INT64_FIELDS = {"timeUnixNano", "observedTimeUnixNano", "intValue"}
ENUM_FIELDS = {"severityNumber"}
HEX_FIELDS = {"traceId": 32, "spanId": 16}


def json_rules(errors, obj, path="$"):
    """OTLP's JSON encoding where protobuf's parser is lenient. Every object key of
    the document is a field name (attribute and kvlist keys are values)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            where = f"{path}.{k}"
            if not CAMEL.match(k):
                errors.append(f"{where}: key not lowerCamelCase")
            if k in INT64_FIELDS and not (isinstance(v, str) and DIGITS.match(v)):
                errors.append(f"{where}: {v!r} not a decimal string")
            if k in ENUM_FIELDS and (not isinstance(v, int) or isinstance(v, bool)):
                errors.append(f"{where}: enum {v!r} not an integer")
            if k in HEX_FIELDS and not (isinstance(v, str) and re.fullmatch(
                    f"[0-9a-f]{{{HEX_FIELDS[k]}}}", v)):
                errors.append(f"{where}: {v!r} not {HEX_FIELDS[k]} hex digits")
            json_rules(errors, v, where)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            json_rules(errors, v, f"{path}[{i}]")


def any_value(errors, v, where):
    """An AnyValue as the JSON it stands for."""
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "kvlist_value":
        out = {}
        for kv in v.kvlist_value.values:
            if kv.key in out:
                errors.append(f"{where}: key {kv.key!r} twice")
            out[kv.key] = any_value(errors, kv.value, f"{where}.{kv.key}")
        return out
    if kind == "array_value":
        return [any_value(errors, x, f"{where}[{i}]")
                for i, x in enumerate(v.array_value.values)]
    if kind == "bytes_value":
        errors.append(f"{where}: bytesValue")
        return None
    return getattr(v, kind)


def attrs(errors, where, lst):
    """Attributes (strings and ints only, here) as a dict; each key once."""
    out = {}
    for kv in lst:
        kind = kv.value.WhichOneof("value")
        if kind not in ("string_value", "int_value"):
            errors.append(f"{where}: {kv.key} of kind {kind}")
        if kv.key in out:
            errors.append(f"{where}: {kv.key} twice")
        out[kv.key] = getattr(kv.value, kind) if kind else None
    return out


def check(headers, path, raw, want_path):
    """The errors of a request, and what it carried."""
    errors = []
    got = {"key": headers.get("Idempotency-Key"), "id": None, "kind": None,
           "resource": None, "severity": None, "report": None}
    if path != want_path:
        errors.append(f"path {path}")
    if headers.get("Content-Type") != "application/json":
        errors.append(f"Content-Type {headers.get('Content-Type')!r}")
    if not got["key"] or not ID.match(got["key"]):
        errors.append(f"Idempotency-Key {got['key']!r}")
    encoding = headers.get("Content-Encoding")
    if encoding == "gzip":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            return [f"not gzip: {e}"], got
    elif encoding is not None:
        errors.append(f"Content-Encoding {encoding!r}")
    try:
        text = raw.decode("utf-8")
        doc = json.loads(text)
    except ValueError as e:
        return errors + [f"not JSON: {e}"], got
    json_rules(errors, doc)
    req = logs_service_pb2.ExportLogsServiceRequest()
    try:
        json_format.Parse(text, req, ignore_unknown_fields=False)
    except json_format.ParseError as e:
        return errors + [f"not an ExportLogsServiceRequest: {e}"], got
    try:
        (rl,) = req.resource_logs
        res = attrs(errors, "resource", rl.resource.attributes)
        got["resource"] = res
        if not res.get("service.name"):
            errors.append("resource without service.name")
        for k in ("host.name", "os.type", "service.version", "host.arch"):
            if k not in res:
                errors.append(f"resource without {k}")
        if res.get("os.type") != "linux":
            errors.append(f"os.type {res.get('os.type')!r}")
        if res.get("host.arch") not in ARCHES:
            errors.append(f"host.arch {res.get('host.arch')!r}")
        if "host.id" in res and not re.match(r"^[0-9a-f]{32}$", res["host.id"]):
            errors.append(f"host.id {res['host.id']!r}")
        (sl,) = rl.scope_logs
        if sl.scope.name != "sdei-nmid":
            errors.append("scope name")
        (rec,) = sl.log_records
        if rec.observed_time_unix_nano < rec.time_unix_nano:
            errors.append("observed before the incident")
        if rec.body.WhichOneof("value") != "kvlist_value":
            errors.append(f"body is {rec.body.WhichOneof('value')}, not kvlistValue")
        report = any_value(errors, rec.body, "body")
        got["report"] = report
        got["id"] = rid = report["id"]
        got["kind"] = kind = report["incident"]["kind"]
        got["severity"] = [rec.severity_number, rec.severity_text]
        if tuple(got["severity"]) != SEVERITY.get(kind):
            errors.append(f"severity {got['severity']} for {kind}")
        if report.get("schema") != "sdei-nmi.report/1":
            errors.append(f"schema {report.get('schema')!r}")
        a = attrs(errors, "logRecord", rec.attributes)
        if not (got["key"] == rid == a.get("sdei_nmi.report.id") == a.get("log.record.uid")):
            errors.append(f"ids differ: key {got['key']}, report {rid}, attributes "
                          f"{a.get('sdei_nmi.report.id')} {a.get('log.record.uid')}")
        if a.get("sdei_nmi.kind") != kind:
            errors.append(f"sdei_nmi.kind {a.get('sdei_nmi.kind')!r}, report {kind}")
        cpus = report["incident"]["stalled_cpus"]
        if a.get("sdei_nmi.cpu_count") != len(cpus):
            errors.append(f"sdei_nmi.cpu_count {a.get('sdei_nmi.cpu_count')!r}")
        if "sdei_nmi.cpus" not in a:
            errors.append("no sdei_nmi.cpus")
        first = report["incident"]["first_seen"]["realtime"]  # ...T10:04:05.123456Z
        ns = (calendar.timegm(time.strptime(first[:19], "%Y-%m-%dT%H:%M:%S")) * 10**9
              + int(first[20:26]) * 1000)
        if rec.time_unix_nano != ns:
            errors.append(f"timeUnixNano {rec.time_unix_nano} is not {first}")
    except (KeyError, TypeError, ValueError) as e:
        errors.append(f"shape: {type(e).__name__} {e}")
    return errors, got


def parse_script(text):
    """[(status, retry_after header or None, partial)]"""
    out = []
    for item in filter(None, (text or "").split(",")):
        status, _, opt = item.partition(":")
        if status == "partial":
            out.append((200, None, True))
            continue
        ra = None
        if opt.startswith("ra="):
            ra = opt[3:]
        elif opt.startswith("date="):
            ra = ("date", float(opt[5:]))
        elif opt:
            raise SystemExit(f"bad script item {item!r}")
        out.append((int(status), ra, False))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--path", default="/v1/logs")
    ap.add_argument("--log", required=True)
    ap.add_argument("--script")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-status", type=int, default=503)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--hang", action="store_true")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca")
    args = ap.parse_args()
    script = parse_script(args.script)
    log = open(args.log, "a", buffering=1)
    seen = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # the answer's headers and body not held back for an ACK (Nagle)
        disable_nagle_algorithm = True

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
            errors, got = check(self.headers, self.path, raw, args.path)
            i = seen["n"]
            seen["n"] += 1
            ra, partial = None, False
            if i < len(script):
                status, ra, partial = script[i]
            elif i < len(script) + args.fail_first:
                status = args.fail_status
            else:
                status = args.status
            if errors:
                status, ra, partial = 400, None, False
            if isinstance(ra, tuple):
                ra = email.utils.formatdate(time.time() + ra[1], usegmt=True)
            extra = {k: v for k, v in self.headers.items() if k.lower().startswith("x-")}
            entry = {"t": t, "status": status, "errors": errors, "x": extra,
                     "authorization": self.headers.get("Authorization"),
                     "path": self.path, "encoding": self.headers.get("Content-Encoding"),
                     "retry_after": ra, "partial": partial}
            entry.update(got)
            log.write(json.dumps(entry) + "\n")
            if partial:
                body = (b'{"partialSuccess":{"rejectedLogRecords":"1",'
                        b'"errorMessage":"too old"}}')
            else:
                body = b'{"partialSuccess":{}}' if status == 200 else b"{}"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if ra is not None:
                self.send_header("Retry-After", str(ra))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        ctx = None

        def get_request(self):
            sock, addr = self.socket.accept()
            if not self.ctx:
                return sock, addr
            try:
                return self.ctx.wrap_socket(sock, server_side=True), addr
            except (ssl.SSLError, OSError) as e:
                log.write(json.dumps({"t": time.monotonic(), "tls_error": str(e)}) + "\n")
                sock.close()
                raise

    srv = Server(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.tls_client_ca)
        srv.ctx = ctx
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(srv.server_address[1]))
        os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
