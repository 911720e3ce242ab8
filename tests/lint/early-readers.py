#!/usr/bin/env python3
"""Finds pipelines whose reader may stop before its writer has finished.

Under `set -o pipefail`, a reader that exits early (head, grep -q or -m, a sed script
that quits, an awk program with exit) leaves its writer to die of SIGPIPE, and the
pipeline's status becomes 141: a good run turned into a failure, or not, depending on
how much the writer had left to say. This check reads every host shell script the
project tracks (those that set pipefail, bash scripts, and files with no shebang, which
are sourced: lib-host.sh, the scenarios' check()) and reports each such reader in a
pipeline; the guest's own files (tests/lab/guest/) run without pipefail and are not read.

A reader that must stay may say why on its line: `# pipefail: <reason>`.

    early-readers.py [FILE...]      (default: every tracked shell script)

Exit status 0 when none is found, 1 when some are, 2 on error.
"""
import os
import re
import subprocess
import sys

# A heredoc's start: <<WORD, <<-WORD, <<'WORD', <<"WORD" (not <<<).
HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")


def logical_commands(text):
    """Yields (line number, [pipeline segments]) for every pipeline of two or more
    commands. Quotes, comments, heredoc bodies, line continuations and pipes at the
    end of a line are handled; $( ) and backquotes are read as plain words, which is
    enough to tell a reader's name and its arguments."""
    lines = text.split("\n")
    i = 0
    segs, cur, start = [], [], None
    quote = None
    pending_heredocs = []
    while i < len(lines):
        line = lines[i]
        j = 0
        if start is None:
            start = i + 1
        while j < len(line):
            c = line[j]
            if quote:
                cur.append(c)
                if c == "\\" and quote == '"' and j + 1 < len(line):
                    cur.append(line[j + 1])
                    j += 2
                    continue
                if c == quote:
                    quote = None
                j += 1
                continue
            if c in "'\"":
                quote = c
                cur.append(c)
            elif c == "\\" and j + 1 < len(line):
                cur.append(line[j:j + 2])
                j += 2
                continue
            elif c == "\\":
                cur.append(" ")  # a continuation: the command goes on
                j += 1
                break
            elif c == "#" and (j == 0 or line[j - 1] in " \t;|&("):
                comment = line[j:]
                if segs or cur:
                    cur.append(" " + comment)  # kept: it may hold '# pipefail:'
                break
            elif c == "|" and line[j + 1:j + 2] == "|":
                cur.append("||")
                j += 2
                continue
            elif c == "|":
                segs.append("".join(cur))
                cur = []
                if line[j + 1:j + 2] == "&":  # |& pipes stderr too
                    j += 1
            else:
                m = HEREDOC.match(line, j) if c == "<" else None
                # not a here-string (<<<), not a shift in $(( ))
                arith = "".join(cur).count("((") > "".join(cur).count("))")
                if m and line[j:j + 3] != "<<<" and not arith:
                    pending_heredocs.append((m.group(1) == "-", m.group(3)))
                    cur.append(m.group(0))
                    j = m.end()
                    continue
                cur.append(c)
            j += 1
        else:
            if quote:
                cur.append("\n")
                i += 1
                continue
        i += 1
        # heredoc bodies are data, not commands
        for strip, word in pending_heredocs:
            while i < len(lines):
                body = lines[i].lstrip("\t") if strip else lines[i]
                i += 1
                if body == word:
                    break
        pending_heredocs = []
        text_so_far = "".join(cur).rstrip()
        if quote or (line.rstrip().endswith("\\")):
            continue
        code = re.sub(r"\s#.*$", "", text_so_far).rstrip()
        if code.endswith("|") or (not code and segs):
            continue  # the pipeline goes on on the next line
        if segs:
            yield start, segs + ["".join(cur)]
        segs, cur, start = [], [], None


def words(seg):
    seg = re.sub(r"\s#.*$", "", seg, flags=re.S)
    return seg.strip().split()


def early_reader(seg):
    """Why this pipeline segment (not the first) may stop reading early, or None."""
    w = words(seg)
    # the command of the segment: past `!`, `{`, `(`, variables, and the commands that
    # run another (sudo, timeout 5, env, nice, stdbuf -oL, ...)
    while w:
        if w[0] in ("!", "{", "(", "exec", "command", "sudo", "$SUDO", "${SUDO}", "env",
                    "nice", "nohup", "stdbuf", "time") or re.match(r"^\w+=", w[0]):
            w = w[1:]
        elif w[0] == "timeout" and len(w) > 1:
            w = w[1:]
            while len(w) > 1 and w[0] in ("-k", "-s", "--kill-after", "--signal"):
                w = w[2:]
            while len(w) > 1 and w[0].startswith("-"):
                w = w[1:]
            w = w[1:]  # the duration
        elif w[0] in ("-n", "-u", "-g", "-i", "-o", "-e", "-C") and len(w) > 2:
            w = w[2:]  # an option of the wrapper and its argument (nice -n 10, sudo -u x)
        elif w[0].startswith("-") and len(w) > 1 and w[0] != "-":
            w = w[1:]  # an option of the wrapper before it (stdbuf -oL)
        else:
            break
    if not w:
        return None
    cmd = os.path.basename(w[0].strip("({"))
    args = w[1:]
    body = " ".join(args)
    if cmd == "head":
        return "head stops after its lines"
    if cmd in ("grep", "egrep", "fgrep", "zgrep"):
        # GNU grep that writes to /dev/null stops at its first match, as -q does
        if re.search(r"(^|\s)(1?>|&>|>&)\s*/dev/null", body):
            return "grep into /dev/null stops at its first match"
        for a in args:
            if a in ("--quiet", "--silent", "--files-with-matches", "--files-without-match") \
                    or a.startswith("--max-count"):
                return f"grep {a} stops at its first match"
            if re.fullmatch(r"-[A-Za-z]*[qlLm][A-Za-z0-9]*", a):
                return f"grep {a} stops at its first match"
        return None
    if cmd == "sed":
        # a q or Q command in the script
        if re.search(r"(^|[;{}'\"\s/])[0-9$]*[qQ]([0-9]*)\s*($|[;}'\"])", body):
            return "the sed script quits"
        return None
    if cmd in ("awk", "gawk", "mawk"):
        if re.search(r"\bexit\b", body):
            return "the awk program exits"
        return None
    if cmd == "read":
        return "read takes one line"
    return None


def judged(path, text):
    """Host scripts are judged: those that set pipefail and those that may be sourced
    by one (lib-host.sh, the scenarios' check()). Only the guest's own files, run by
    busybox sh without pipefail, and plain POSIX sh scripts that no bash script
    sources are not: a reader stopping early costs them nothing."""
    if "pipefail" in text:
        return True
    if "/tests/lab/guest/" in os.path.abspath(path).replace(os.sep, "/"):
        return False
    first = text.split("\n", 1)[0]
    return not (first.startswith("#!") and re.search(r"\b(da)?sh\b", first) and
                "bash" not in first)


def check(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print(f"{path}: cannot read: {e}", file=sys.stderr)
        return -1
    if not judged(path, text):
        return 0
    found = 0
    for lineno, segs in logical_commands(text):
        if any("# pipefail:" in s for s in segs):
            continue
        for seg in segs[1:]:
            why = early_reader(seg)
            if why:
                found += 1
                shown = " | ".join(" ".join(words(s)) for s in segs)
                if len(shown) > 110:
                    shown = shown[:107] + "..."
                print(f"{path}:{lineno}: {why}: {shown}")
    return found


def tracked_scripts(top):
    git = subprocess.run(["git", "-C", top, "ls-files", "-z"], capture_output=True)
    if git.returncode != 0:
        print(f"not a git checkout: {top}: no tracked scripts to read")
        sys.exit(77)
    out = git.stdout.decode().split("\0")
    for rel in out:
        if not rel:
            continue
        p = os.path.join(top, rel)
        if rel.endswith(".sh"):
            yield p
            continue
        try:
            with open(p, "rb") as f:
                head = f.readline()
        except OSError:
            continue
        if head.startswith(b"#!") and re.search(rb"\b(ba|da)?sh\b", head):
            yield p


def main():
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    files = sys.argv[1:] or list(tracked_scripts(top))
    total, bad = 0, 0
    for p in files:
        n = check(p)
        if n < 0:
            bad += 1
        else:
            total += n
    print(f"{len(files)} scripts read, {total} early reader(s) in pipelines")
    if bad:
        return 2
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
