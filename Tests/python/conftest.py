"""Starts a real caslite server (the built binary) for the swat tests.

The binary is $CASLITE_BIN or .build/debug/caslite. Users alice, bob and carol are created with
`caslite users add … --password-stdin` and the server runs with `--auth password`; swat talks to
its REST port (`--http-port 0 --http-port-file …`).
"""
import os
import pathlib
import subprocess
import time

import pytest
import swat

REPO = pathlib.Path(__file__).resolve().parents[2]
PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-2", "carol": "carol-secret-3"}

# Connection-time chatter off; errors are checked through severity in the tests.
swat.options.cas.print_messages = False


class Server:
    def __init__(self, url, data, proc):
        self.url = url
        self.data = pathlib.Path(data)
        self.proc = proc

    def connect(self, user="alice", password=None, **kw):
        return swat.CAS(self.url, username=user, password=password or PASSWORDS[user], **kw)


def _wait_for(path, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text().strip())
        if proc.poll() is not None:
            raise RuntimeError(f"caslite serve exited with {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError(f"caslite serve did not write {path}")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    binary = os.environ.get("CASLITE_BIN", str(REPO / ".build" / "debug" / "caslite"))
    data = tmp_path_factory.mktemp("caslite-data")
    for user, pw in PASSWORDS.items():
        subprocess.run([binary, "users", "add", user, "--data", str(data), "--password-stdin"],
                       input=pw + "\n", text=True, check=True, capture_output=True)
    port_file, http_file = data / "port", data / "http-port"
    log = open(data / "server.log", "w")
    proc = subprocess.Popen([binary, "serve", "--port", "0", "--port-file", str(port_file), "--http-port", "0",
                             "--http-port-file", str(http_file), "--data", str(data), "--auth", "password"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(port_file, proc)
        http_port = _wait_for(http_file, proc)
        yield Server(f"http://127.0.0.1:{http_port}", data, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def conn(server):
    c = server.connect("alice")
    yield c
    c.terminate()
