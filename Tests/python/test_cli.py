"""The `caslite` command line as a person uses it: the real binary, on a pseudo-terminal where the behaviour is
a terminal's (line editing, completion, Ctrl-C, the progress line), through pipes elsewhere.

Numbers in the test names are the items of the issue "The caslite command line as people expect it".
"""
import contextlib
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import fcntl
import time

import pytest

from conftest import REPO, binary

PASSWORD = "cli-secret-1"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


# ---- helpers -------------------------------------------------------------------------------------------

class Term:
    """`caslite ARGS` on a pseudo-terminal of 120 columns; `expect` waits for a regular expression in the output."""

    def __init__(self, args, cwd, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.execve(binary(), [binary(), *args], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.out = ""
        self.mark = 0

    def send(self, text):
        os.write(self.fd, text.encode())

    def read(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return None
        if not data:
            return None
        self.out += data.decode(errors="replace")
        return True

    def expect(self, pattern, timeout=60):
        deadline = time.time() + timeout
        while True:
            m = re.search(pattern, self.out[self.mark:])
            if m:
                self.mark += m.end()
                return m
            left = deadline - time.time()
            if left <= 0 or self.read(left) is None:
                raise AssertionError(f"no {pattern!r} in the output:\n{self.out[self.mark:]!r}")

    def wait(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self.read(0.1):
                    pass
                return os.waitstatus_to_exitcode(status)
            self.read(0.1)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError(f"caslite did not end; output:\n{self.out!r}")


def cli(args, cwd, env=None, input=None, timeout=120):
    """`caslite ARGS` through pipes; (status, standard output + standard error as one stream, in order)."""
    p = subprocess.run([binary(), *args], cwd=cwd, env=env or os.environ, input=input, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout


@contextlib.contextmanager
def serve(data, auth="password"):
    """`caslite serve` over `data` (user alice when auth is password); yields the JSON-lines port."""
    if auth == "password":
        subprocess.run([binary(), "users", "add", "alice", "--data", str(data), "--password-stdin"],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    port_file = data / "port"
    proc = subprocess.Popen([binary(), "serve", "--port", "0", "--port-file", str(port_file), "--data", str(data), "--auth", auth],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None and time.time() < deadline, "caslite serve did not start"
            time.sleep(0.05)
        yield int(port_file.read_text())
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.fixture
def place(tmp_path):
    """A working folder with caslite-data/public/greenhouse.csv, and an environment whose HOME is the folder."""
    public = tmp_path / "caslite-data" / "public"
    public.mkdir(parents=True)
    (public / "greenhouse.csv").write_text((REPO / "examples" / "data" / "greenhouse.csv").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASLITE_")}
    env.update(HOME=str(tmp_path), TERM="xterm")
    return tmp_path, env


def big_csv(folder, rows):
    """A CSV that takes the debug build seconds to load."""
    path = folder / "caslite-data" / "public" / "big.csv"
    with open(path, "w") as f:
        f.write("id,group,x,y,label\n")
        line = "".join(f"{i},g{i % 17},{i * 0.5},{(i * 7919) % 1000 / 3},label-{i % 5}\n" for i in range(10000))
        for _ in range(rows // 10000):
            f.write(line)
    return path


# ---- 1, 2, 5: sessions, users -----------------------------------------------------------------------------

def test_5_one_shot_call_ends_its_session_unless_kept(place):
    folder, env = place
    with serve(folder / "caslite-data", auth="none") as port:
        server = ["--server", f"127.0.0.1:{port}", "--user", "bob"]
        status, out = cli(["call", *server, "table.loadTable", "caslib=public", "path=greenhouse.csv", "casOut.name=gh"], folder, env)
        assert status == 0, out
        status, out = cli(["call", *server, "--keep-session", "table.loadTable", "caslib=public", "path=greenhouse.csv",
                           "casOut.name=gh"], folder, env)
        assert status == 0, out
        kept = re.search(rf"kept session ({UUID}); re-attach with --session", out).group(1)
        status, out = cli(["call", *server, "session.listSessions"], folder, env)
        # the session of the first call is gone; the kept one and this call's own are listed
        assert status == 0 and len(re.findall(UUID, out)) == 2 and kept in out, out
        status, out = cli(["call", *server, "--session", kept, "table.fetch", "table.name=gh", "table.caslib=public", "to=2"], folder, env)
        assert status == 0 and "Selected Rows from Table GH" in out, out


def test_2_default_user_and_what_an_authentication_failure_says(place):
    folder, env = place
    with serve(folder / "caslite-data") as port:
        server = ["--server", f"127.0.0.1:{port}"]
        status, out = cli(["call", *server, "session.sessionId"], folder, env)
        login = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        assert status != 0 and f"'{login}' (from your login name)" in out and "--user NAME or CASLITE_USER=NAME" in out, out
        status, out = cli(["call", *server, "session.sessionId"], folder, {**env, "CASLITE_USER": "alice", "CASLITE_PASSWORD": "wrong"})
        assert status != 0 and "'alice' (from CASLITE_USER)" in out and "CASLITE_PASSWORD" in out, out
        status, out = cli(["call", *server, "session.sessionId"], folder, {**env, "CASLITE_USER": "alice", "CASLITE_PASSWORD": PASSWORD})
        assert status == 0, out


# ---- 6: help ---------------------------------------------------------------------------------------------

def test_6_help_knows_subcommands_sets_actions_and_near_misses(place):
    folder, env = place
    status, out = cli(["help", "call"], folder, env)
    assert status == 0 and "USAGE: caslite call" in out and "--keep-session" in out, out
    status, out = cli(["help", "tabl"], folder, env)
    assert status != 0 and "Did you mean 'table'?" in out, out
    # what a subcommand's own help points to: `caslite help groups <subcommand>`
    status, out = cli(["help", "groups"], folder, env)
    assert status == 0 and "caslite help groups <subcommand>" in out, out
    status, out = cli(["help", "groups", "add"], folder, env)
    assert status == 0 and "USAGE: caslite groups add" in out, out
    status, out = cli(["help", "tls", "self-signed"], folder, env)
    assert status == 0 and "--host" in out, out
    status, out = cli(["help", "groups", "nope"], folder, env)
    assert status != 0 and "has no subcommand 'nope'" in out, out
    status, out = cli(["help", "table"], folder, env)
    assert status == 0 and "loadTable" in out, out
    status, out = cli(["help"], folder, env)
    rows = [l for l in out.splitlines() if l.startswith("  ")]
    columns = {re.match(r"  \S+\s+", l).end() for l in rows}
    assert status == 0 and len(columns) == 1 and any(l.split()[0] == "deepLearn" for l in rows) and "serve" in out, out
    # a user-defined set lives in the data folder: help asks the embedded server over it
    (folder / "geo.casl").write_text('source b; send_response({length=sqrt(a*a+b*b)}); endsource;\n'
                                     'builtins.defineActionSet / name="geometry" actions={{name="hypot", desc="Hypotenuse.", '
                                     'parms={{name="a", type="double", required=true}, {name="b", type="double", required=true}}, definition=b}};\n')
    status, out = cli(["run", "geo.casl"], folder, env)
    assert status == 0, out
    status, out = cli(["help", "geometry"], folder, env)
    assert status == 0 and "hypot" in out and "Hypotenuse." in out, out


# ---- 8, 9: values and readability ------------------------------------------------------------------------

def test_8_a_value_that_looks_like_broken_json_is_an_error_at_its_position(place):
    folder, env = place
    status, out = cli(["call", "table.fetch", 'table={"name":"gh","caslib":"public"'], folder, env)
    assert status != 0 and "is not valid JSON" in out and "does not exist" not in out, out
    line, caret = [l for l in out.splitlines() if l.startswith("  ")][:2]
    assert caret.index("^") == len(line), out  # just past the end: the missing '}'


def test_9_crosstab_labels_tableinfo_times_serverstatus_and_port_clash(place):
    folder, env = place
    script = folder / "t.casl"
    script.write_text('table.loadTable / caslib="public" path="greenhouse.csv" casOut={name="gh"};\n'
                      'loadactionset "simple";\n'
                      'simple.crossTab / table={name="gh", caslib="public"} row="sensor" col="zone";\n'
                      'table.tableInfo / caslib="public";\n')
    status, out = cli(["run", "t.casl"], folder, env)
    assert status == 0, out
    header = next(l for l in out.splitlines() if "sensor" in l and "Total" in l)
    assert "north" in header and "Col1" not in header, out
    assert not re.search(r"\de\+\d", out), out
    status, out = cli(["call", "builtins.serverStatus"], folder, env)
    assert status == 0 and re.search(r"\n  System:\n    ", out) and '{"' not in out, out
    with serve(folder / "caslite-data", auth="none") as port:
        status, out = cli(["serve", "--port", str(port), "--auth", "none", "--data", "other"], folder, env)
        assert status != 0 and f"cannot listen on 127.0.0.1:{port} (--port): the address is already in use" in out, out


# ---- 7: progress -----------------------------------------------------------------------------------------

def test_7_progress_lines_never_split_a_log_line_when_captured(place):
    folder, env = place
    big_csv(folder, 300_000)
    status, out = cli(["call", "table.loadTable", "caslib=public", "path=big.csv", "casOut.name=big"], folder, env)
    assert status == 0, out
    lines = out.splitlines()
    progress = [l for l in lines if "progress:" in l]
    assert progress and all(l.startswith("progress: ") and "%" in l for l in progress), out
    assert any(l.startswith("NOTE: caslite made the file big.csv available") for l in lines), out


def test_7_progress_on_a_terminal_is_one_updating_line_with_a_bar(place):
    folder, env = place
    big_csv(folder, 600_000)
    t = Term(["call", "table.loadTable", "caslib=public", "path=big.csv", "casOut.name=big"], folder, env)
    t.expect(r"\r\x1b\[K\[[#-]{20}\]\s+\d+%\s+[\d.]+ [KM]?B/[\d.]+ MB\s+[\d.]+ [KM]?B/s\s+ETA \d+:\d\d")
    assert t.wait(120) == 0, t.out
    assert "progress:" not in t.out and "NOTE: caslite made the file big.csv" in t.out, t.out


# ---- 3: Ctrl-C -------------------------------------------------------------------------------------------

def press_ctrl_c_while_loading(t):
    """Ctrl-C once the progress line shows; the call says it was cancelled by the client."""
    t.expect(r"\d+%")
    t.send("\x03")
    t.expect("cancelling table.loadTable")
    t.expect("was cancelled by the client")


def test_3_ctrl_c_in_the_shell_cancels_the_call_and_keeps_the_session(place):
    folder, env = place
    big_csv(folder, 1_500_000)
    t = Term(["shell"], folder, env)
    session = t.expect(rf"session ({UUID})").group(1)
    t.expect("caslite> ")
    t.send("table.loadTable caslib=public path=big.csv casOut.name=big\r")
    press_ctrl_c_while_loading(t)
    t.expect(r"cancelled table.loadTable; session " + session + " kept")
    t.expect("caslite> ")
    time.sleep(1.2)  # not a second Ctrl-C within a second
    t.send("session.sessionId\r")
    t.expect(session)
    t.expect("caslite> ")
    t.send("quit\r")
    assert t.wait() == 0, t.out


def test_3_ctrl_c_in_call_cancels_and_exits_130(place):
    folder, env = place
    big_csv(folder, 1_500_000)
    t = Term(["call", "table.loadTable", "caslib=public", "path=big.csv", "casOut.name=big"], folder, env)
    press_ctrl_c_while_loading(t)
    assert t.wait() == 130, t.out


def test_3_ctrl_c_in_run_cancels_the_script(place):
    folder, env = place
    big_csv(folder, 1_500_000)
    (folder / "load.casl").write_text('print "loading";\ntable.loadTable / caslib="public" path="big.csv" casOut={name="big"};\nprint "loaded";\n')
    t = Term(["run", "load.casl"], folder, env)
    t.expect("loading")
    time.sleep(0.5)
    t.send("\x03")
    t.expect("cancelling sccasl.runCasl")
    t.expect("load.casl was cancelled")
    assert t.wait() == 130 and "loaded\r\n" not in t.out, t.out


def test_3_two_ctrl_c_within_a_second_leave_the_shell(place):
    folder, env = place
    t = Term(["shell"], folder, env)
    t.expect("caslite> ")
    t.send("builtins.ec")
    t.send("\x03")
    t.expect(r"\^C")
    t.expect("caslite> ")  # the first clears the line
    t.send("\x03")
    assert t.wait() == 130, t.out


# ---- 4: the shell's line editor ---------------------------------------------------------------------------

def test_4_shell_history_completion_and_help_once(place):
    folder, env = place
    t = Term(["shell"], folder, env)
    t.expect("caslite> ")
    # completion is seen by its effect: the completed line runs (the screen shows libedit's redraws)
    t.send("builtins.ec\t")
    time.sleep(0.3)
    t.send("greeting=hi\r")
    t.expect(r"\[greeting\] hi")
    t.expect("caslite> ")
    t.send("\x1b[A\r")  # Up-arrow recalls the line
    t.expect(r"\[greeting\] hi")
    t.expect("caslite> ")
    assert "Action '[A'" not in t.out and "does not exist" not in t.out, t.out
    t.send("table.loadTable caslib=public path=greenhouse.csv casOut.name=greenhouse\r")
    t.expect("caslite> ")
    for typed in ["table.fetch to=2 table.na\t", "gre\t", "table.caslib=public\r"]:
        t.send(typed)
        time.sleep(0.3)
    t.expect("Selected Rows from Table GREENHOUSE")
    t.expect("caslite> ")
    t.send("help table.fetch\r")
    t.expect("caslite> ")
    help_text = t.out[t.out.rindex("help table.fetch"):]
    assert help_text.count("sortBy") == 1, help_text
    t.send("help simple\r")  # a set, loaded or not
    t.expect("crossTab")
    t.expect("caslite> ")
    t.send("quit\r")
    assert t.wait() == 0, t.out
    history = (folder / ".caslite_history").read_text().replace("\\040", " ")  # libedit's file format
    assert "table.loadTable caslib=public path=greenhouse.csv casOut.name=greenhouse" in history, history
