"""Starts a real caslite server (the built binary) for the swat tests.

The binary is $CASLITE_BIN or .build/debug/caslite. Users alice, bob and carol are created with
`caslite users add … --password-stdin` and the server runs with `--auth password`; swat talks to
its REST port (`--http-port 0 --http-port-file …`). `tls_server` is a second server with TLS on both ports, its
certificates made by `caslite tls self-signed` (test_swat_https.py).
"""
import contextlib
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
    def __init__(self, url, data, proc, ca=None):
        self.url = url
        self.data = pathlib.Path(data)
        self.proc = proc
        self.ca = ca  # the CA file clients trust (TLS servers)

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


def binary():
    return os.environ.get("CASLITE_BIN", str(REPO / ".build" / "debug" / "caslite"))


@contextlib.contextmanager
def _serve(data, scheme="http", extra=(), ca=None, launcher=(), env=None, host="127.0.0.1"):
    """`caslite serve --auth password` over `data` with alice, bob and carol; yields the Server. `launcher` goes
    before the command (`mpirun -np 3` for the scale-out tests), `env` adds to the environment, `host` is where
    clients reach it (its --host, when `extra` gives one)."""
    for user, pw in PASSWORDS.items():
        subprocess.run([binary(), "users", "add", user, "--data", str(data), "--password-stdin"],
                       input=pw + "\n", text=True, check=True, capture_output=True)
    port_file, http_file = data / "port", data / "http-port"
    log = open(data / "server.log", "w")
    proc = subprocess.Popen([*launcher, binary(), "serve", "--port", "0", "--port-file", str(port_file), "--http-port", "0",
                             "--http-port-file", str(http_file), "--data", str(data), "--auth", "password", *extra],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        _wait_for(port_file, proc)
        http_port = _wait_for(http_file, proc)
        yield Server(f"{scheme}://{host}:{http_port}", data, proc, ca=ca)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    with _serve(tmp_path_factory.mktemp("caslite-data")) as s:
        yield s


def self_signed(folder, *hosts):
    """`caslite tls self-signed --out folder`: the CA file clients trust, and the server's certificate and key."""
    args = [a for h in hosts for a in ("--host", h)]
    subprocess.run([binary(), "tls", "self-signed", "--out", str(folder), *args], check=True, capture_output=True)
    return folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory):
    """A second server with TLS on both ports, set up as docs/security.md says (`caslite tls self-signed`, then
    `serve --tls-cert --tls-key`); swat reaches it at https://127.0.0.1:PORT trusting `server.ca`."""
    ca, cert, key = self_signed(tmp_path_factory.mktemp("certs"))
    with _serve(tmp_path_factory.mktemp("caslite-tls-data"), "https", ["--tls-cert", str(cert), "--tls-key", str(key)], ca) as s:
        yield s


@pytest.fixture
def conn(server):
    c = server.connect("alice")
    yield c
    c.terminate()
