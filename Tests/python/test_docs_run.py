"""Runs the documentation's examples exactly as written, so the docs cannot drift from the code.

A fenced block preceded by `<!-- run: NAME -->` in README.md or docs/*.md is run; the blocks of one NAME
in one file run in order, in a fresh folder (with `examples/` linked in), as one bash script with the
built `caslite` first on PATH:

- ```sh blocks: each line is a command; `set -e` stops at the first that fails. A line ending in `&`
  runs in the background and the script waits until its `--port` accepts connections.
- ```text blocks that start with `$ caslite shell …`: the `caslite> ` lines are piped into that shell.
- ```sas blocks: CASL, saved to a file and run with `caslite run FILE`.

What a reader fills in is filled in the same way: `…` is the password (typed at the `users add`
prompt and exported), `<uuid>` the session id the last `--keep-session` printed; ports 5570-5573
become free ports and `db.example.com` becomes `localhost` (the test certificate's name).
"""
import os
import pathlib
import re
import shlex
import socket
import subprocess

import pytest

from conftest import REPO, binary

PASSWORD = "tour-secret-1"
MARK = re.compile(r"<!-- run: ([\w-]+) -->\n```(\w+)\n(.*?)\n```", re.S)


def marked_blocks():
    """(file, name) → [(language, body)] for every marked block of README.md and docs/*.md."""
    groups = {}
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for name, lang, body in MARK.findall(path.read_text()):
            groups.setdefault((path.relative_to(REPO).as_posix(), name), []).append((lang, body))
    return groups


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def substitute(line, ports):
    for doc_port, port in ports.items():
        line = line.replace(str(doc_port), str(port))
    line = line.replace("db.example.com", "localhost").replace("…", PASSWORD)
    return line.replace("<uuid>", '"$(kept_session)"')


def strip_comment(line):
    return re.sub(r"\s+#\s.*$", "", line)


def script(blocks, ports):
    """The bash script that runs `blocks`; everything any command prints goes to $LOG too."""
    out = [
        "set -eo pipefail",
        'trap \'kill $(jobs -p) 2>/dev/null || true\' EXIT',
        'kept_session() { sed -n "s/.*kept session \\([0-9a-f-]*\\);.*/\\1/p" "$LOG" | tail -1; }',
        "wait_port() { for i in $(seq 600); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }",
    ]
    for i, (lang, body) in enumerate(blocks):
        lines = [substitute(strip_comment(l), ports) for l in body.splitlines() if l.strip()]
        if lang == "sh":
            for line in lines:
                out.append(f"echo {shlex.quote('$ ' + line)} >> \"$LOG\"")
                if line.endswith("&"):
                    port = re.search(r"--port (\d+)", line)
                    out.append(f'{line[:-1].rstrip()} >> "$LOG" 2>&1 &')
                    out.append(f"wait_port {port.group(1) if port else ports[5570]}")
                elif line.startswith(("export ", "mkdir ", "cd ", "kill ")):  # in this shell (kill %1 names its job)
                    out.append(line)
                else:
                    out.append(f'{line} 2>&1 | tee -a "$LOG"')
        elif lang == "text":
            assert lines[0].startswith("$ caslite shell"), f"a run text block starts with '$ caslite shell': {lines[0]}"
            commands = [l.removeprefix("caslite> ") for l in lines[1:] if l.startswith("caslite> ")]
            out.append(f'{lines[0][2:]} <<\'CASLITE_SHELL\' 2>&1 | tee -a "$LOG"')
            out += commands + ["CASLITE_SHELL"]
        elif lang == "sas":
            out.append(f"cat > block{i}.casl <<'CASLITE_CASL'")
            out += body.splitlines() + ["CASLITE_CASL"]
            out.append(f'caslite run block{i}.casl 2>&1 | tee -a "$LOG"')
        else:
            raise AssertionError(f"cannot run a ```{lang} block")
    return "\n".join(out) + "\n"


def run_blocks(blocks, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "caslite").symlink_to(binary())
    work = tmp_path / "work"
    work.mkdir()
    (work / "examples").symlink_to(REPO / "examples")
    ports = {5570: free_port(), 5571: free_port(), 5572: free_port(), 5573: free_port()}
    (work / "run.sh").write_text(script(blocks, ports))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASLITE_") or k == "CASLITE_BIN"}
    env.update(PATH=f"{bindir}:{env['PATH']}", HOME=str(tmp_path), LOG=str(tmp_path / "log"))
    # A session of its own (no controlling terminal): `users add` reads the password from standard input.
    p = subprocess.run(["bash", "run.sh"], cwd=work, env=env, input=f"{PASSWORD}\n{PASSWORD}\n", text=True,
                       capture_output=True, timeout=600, start_new_session=True)
    log = (tmp_path / "log").read_text() if (tmp_path / "log").exists() else ""
    assert p.returncode == 0, f"exit {p.returncode}\n--- log\n{log}\n--- stderr\n{p.stderr}"
    return log


GROUPS = marked_blocks()


def test_the_docs_mark_their_runnable_examples():
    assert ("README.md", "tour") in GROUPS
    assert len(GROUPS[("README.md", "tour")]) >= 5


@pytest.mark.parametrize("key", sorted(GROUPS), ids=lambda k: f"{k[0]}:{k[1]}")
def test_docs_examples_run_as_written(key, tmp_path):
    log = run_blocks(GROUPS[key], tmp_path)
    assert "ERROR:" not in log, log
    if key == ("README.md", "tour"):
        # The re-attached call saw the table loaded by the previous one; crossTab shows the levels it counts.
        assert re.search(r"kept session [0-9a-f-]{36}", log), log
        assert "Selected Rows from Table GH" in log, log
        assert "north" in log and "south" in log, log
        assert "listening on 0.0.0.0" in log or "(TLS)" in log or "About" in log, log
