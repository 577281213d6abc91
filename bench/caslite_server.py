"""What the Python benchmarks share: a release `caslite serve --auth none` on a free port, and a minimal
JSON-lines client (docs/protocol.md) that raises on an Error disposition."""
import contextlib, json, os, socket, subprocess, time


class Client:
    """A minimal JSON-lines client: `call(action, params)` returns the response object."""

    def __init__(self, port, user):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        self.next_id = 0
        self.send({"hello": {"user": user, "protocol": 1}})
        json.loads(self.f.readline())

    def close(self):
        self.f.close()
        self.s.close()

    def send(self, obj):
        self.s.sendall((json.dumps(obj) + "\n").encode())

    def call(self, action, params, allow_warnings=True):
        self.next_id += 1
        self.send({"id": self.next_id, "action": action, "params": params})
        while True:
            msg = json.loads(self.f.readline())
            if "response" in msg:
                r = msg["response"]
                severity = r["disposition"]["severity"]
                if severity == "Error" or (severity == "Warning" and not allow_warnings):
                    raise RuntimeError(f"{action}: {r}")
                return r


@contextlib.contextmanager
def served(caslite, work, user):
    """`caslite serve --data work --auth none` on a free port; yields a connected Client, stops the server."""
    portfile = os.path.join(work, "port")
    if os.path.exists(portfile):
        os.remove(portfile)
    server = subprocess.Popen([caslite, "serve", "--data", work, "--port", "0", "--port-file", portfile, "--auth", "none"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if os.path.exists(portfile) and open(portfile).read().strip():
                break
            time.sleep(0.05)
        c = Client(int(open(portfile).read().strip()), user)
        try:
            yield c
        finally:
            c.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
