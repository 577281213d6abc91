"""The MPI scale-out across two hosts (docs/scale-out.md): the test makes the hosts itself — two network namespaces
on a bridge, each with its own address and host name — and gives mpirun a hostfile and a launch agent that runs
Open MPI's daemon inside the namespace (`ip netns exec`) instead of ssh. The controller and worker 1 run on host 1,
worker 2 on host 2: every row, result and gradient between them crosses the virtual network (TCP, no shared
memory). Skipped, with the reason, where namespaces cannot be made (not root, no iproute2/unshare, no
CAP_NET_ADMIN) or mpirun is missing."""
import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import _serve
from test_mpi import MPI_ENV, MPIRUN, _pets, _small_model, _train, frame

SUBNET = "10.77.0"


def _run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


class TwoHosts:
    """Bridge `br` (SUBNET.1) with namespaces ns[0] (SUBNET.2, host name cl-host1) and ns[1] (SUBNET.3, cl-host2)."""

    def __init__(self, folder):
        tag = str(os.getpid() % 100000)
        self.br, self.ns = f"clb{tag}", [f"clns{tag}a", f"clns{tag}b"]
        self.addresses, self.names = [f"{SUBNET}.2", f"{SUBNET}.3"], ["cl-host1", "cl-host2"]
        self.hostfile, self.agent = folder / "hostfile", folder / "netns-agent"

    def create(self):
        """None when made, else why not."""
        if os.geteuid() != 0:
            return "needs root (network namespaces)"
        for tool in ("ip", "unshare"):
            if shutil.which(tool) is None:
                return f"{tool} is not installed (iproute2, util-linux)"
        if _run("ip", "-4", "addr", "show", "to", f"{SUBNET}.0/24").stdout.strip():
            return f"{SUBNET}.0/24 is already in use on this machine"
        steps = [["ip", "link", "add", self.br, "type", "bridge"], ["ip", "addr", "add", f"{SUBNET}.1/24", "dev", self.br],
                 ["ip", "link", "set", self.br, "up"]]
        for i, (ns, address) in enumerate(zip(self.ns, self.addresses)):
            veth = f"{self.br}v{i}"
            steps += [["ip", "netns", "add", ns], ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
                      ["ip", "link", "set", veth, "master", self.br, "up"], ["ip", "-n", ns, "addr", "add", f"{address}/24", "dev", "eth0"],
                      ["ip", "-n", ns, "link", "set", "eth0", "up"], ["ip", "-n", ns, "link", "set", "lo", "up"]]
        for step in steps:
            r = _run(*step)
            if r.returncode != 0:
                self.remove()
                return f"cannot make the network namespaces: `{' '.join(step)}` said {r.stderr.strip() or r.returncode}"
        cases = "\n".join(f"  {a}) ns={n}; name={h};;" for a, n, h in zip(self.addresses, self.ns, self.names))
        self.agent.write_text(f"""#!/bin/sh
# Open MPI's launch agent (instead of ssh): runs the command on 'host' $1 = inside its network namespace
host=$1; shift
case $host in
{cases}
  *) echo "no such host: $host" >&2; exit 1;;
esac
exec ip netns exec $ns unshare --uts /bin/sh -c "hostname $name && $*"
""")
        self.agent.chmod(0o755)
        self.hostfile.write_text(f"{self.addresses[0]} slots=2\n{self.addresses[1]} slots=1\n")
        return None

    def remove(self):
        for ns in self.ns:
            # whatever still runs there (an Open MPI daemon whose mpirun was killed) would keep the namespace alive
            for pid in _run("ip", "netns", "pids", ns).stdout.split():
                try:
                    os.kill(int(pid), 9)
                except (OSError, ValueError):
                    pass
            _run("ip", "netns", "del", ns)
        _run("ip", "link", "del", self.br)

    def launcher(self):
        return [MPIRUN, "--enable-recovery", "-np", "3", "--hostfile", str(self.hostfile), "--mca", "plm_rsh_agent", str(self.agent),
                "--mca", "oob_tcp_if_include", f"{SUBNET}.0/24", "--mca", "btl_tcp_if_include", f"{SUBNET}.0/24", "--mca", "btl", "tcp,self"]

    def namespace_of(self, pid):
        """The index in `ns` of the network namespace process `pid` runs in (None: another one)."""
        inode = os.stat(f"/proc/{pid}/ns/net").st_ino
        for i, ns in enumerate(self.ns):
            if os.stat(f"/run/netns/{ns}").st_ino == inode:
                return i
        return None


def ranks_in(data):
    """{rank: pid} of the caslite processes serving `data` (launched by Open MPI's daemons, wherever they run)."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if str(data).encode() not in f.read():
                    continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = dict(e.split(b"=", 1) for e in f.read().split(b"\0") if b"=" in e)
            if b"OMPI_COMM_WORLD_RANK" in env:
                out[int(env[b"OMPI_COMM_WORLD_RANK"])] = int(pid)
        except (OSError, ValueError):
            continue
    return out


@pytest.fixture
def hosts(tmp_path):
    if MPIRUN is None:
        pytest.skip("mpirun is not installed (Debian: openmpi-bin, libopenmpi-dev)")
    net = TwoHosts(tmp_path)
    why = net.create()
    if why:
        print(f"SKIPPED the two-host test: {why}")
        pytest.skip(why)
    try:
        yield net
    finally:
        net.remove()


def test_a_server_on_two_hosts_spreads_tables_and_trains_across_them(hosts, tmp_path, server):
    data = tmp_path / "data"
    data.mkdir()
    with _serve(data, launcher=hosts.launcher(), env=MPI_ENV, host=hosts.addresses[0],
                extra=["--mpi", "--host", hosts.addresses[0], "--allow-plaintext-passwords", "--worker-timeout", "10"]) as s:
        ranks = ranks_in(data)
        assert sorted(ranks) == [0, 1, 2], ranks
        assert [hosts.namespace_of(ranks[r]) for r in (0, 1, 2)] == [0, 0, 1]     # really on the two "hosts"
        c, one = s.connect("alice"), server.connect("alice")
        try:
            ns = c.builtins.serverStatus()["nodestatus"]
            assert list(ns["role"]) == ["controller", "worker", "worker"] and list(ns["state"]) == ["up"] * 3
            assert list(ns["name"]) == ["cl-host1", "cl-host1", "cl-host2"], list(ns["name"])
            # a table spread over both hosts reads back exactly, and the partition-local actions equal one process
            df = frame()
            ta = c.upload_frame(df, casout={"name": "spread", "replace": True})
            tb = one.upload_frame(df, casout={"name": "spread", "replace": True})
            assert list(c.table.tableDetails(name="spread", level="node")["TableDetails"]["Rows"]) == [501, 500]
            pd.testing.assert_frame_equal(ta.to_frame(), tb.to_frame())
            for action, kwargs in (("summary", {"inputs": ["k", "x", "y"]}), ("freq", {"inputs": ["g"]}), ("topk", {"inputs": ["y"]})):
                ra = getattr(c.simple, action)(table={"name": "spread", "where": "y > -300"}, **kwargs)
                rb = getattr(one.simple, action)(table={"name": "spread", "where": "y > -300"}, **kwargs)
                for key in rb.keys():
                    pd.testing.assert_frame_equal(ra[key], rb[key], rtol=1e-9)
            # data-parallel training: the gradients are summed across the hosts every step
            for actionset in ("image", "deepLearn"):
                c.builtins.loadActionSet(actionSet=actionset)
            r = c.image.loadImages(path=_pets(s), caslib="Public", recurse=True, labelLevels=-1, casout={"name": "pets", "replace": True})
            assert r.severity == 0, r.messages
            _small_model(c)
            r = _train(c, 4, epochs=2)
            assert r.severity == 0, r.messages
            assert any("across 2 workers" in m for m in r.messages), r.messages
            assert len(r["OptIterHistory"]) == 2 and np.isfinite(r["OptIterHistory"]["Loss"]).all()
            scored = c.deepLearn.dlScore(table="pets", model="m", initWeights="w", casout={"name": "scored", "replace": True})
            assert scored.severity == 0, scored.messages
            assert list(c.table.tableDetails(name="scored", level="node")["TableDetails"]["Rows"]) == [16, 16]
        finally:
            c.terminate()
            one.terminate()
