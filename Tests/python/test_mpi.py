"""The MPI scale-out (docs/scale-out.md): `mpirun -np 3 caslite serve --mpi` — a controller and two workers on
this machine — driven by the unmodified swat client, and compared with the one-process `server` fixture on the
same data. Tables stored in a session are spread over the workers (tableDetails per node); every action reads
them back whole, so its results must be those of the one-process server exactly. A worker killed with SIGKILL
fails the call that needed it within the heartbeat time-out, never hangs it, and the controller stays up and
reports the node down. Skipped (with the reason) where Open MPI's mpirun is not installed."""
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest

from conftest import _serve, binary

MPIRUN = shutil.which("mpirun")
pytestmark = pytest.mark.skipif(MPIRUN is None, reason="mpirun is not installed (Debian: openmpi-bin, libopenmpi-dev)")

# mpirun refuses root unless told; CI runs as root. --enable-recovery: a lost rank does not end the job.
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def launcher(ranks):
    return [MPIRUN, "--oversubscribe", "--enable-recovery", "-np", str(ranks)]


@pytest.fixture(scope="module")
def mpi(tmp_path_factory):
    with _serve(tmp_path_factory.mktemp("caslite-mpi"), launcher=launcher(3), env=MPI_ENV, extra=["--mpi", "--metrics-access", "open"]) as s:
        yield s


def frame(n=1001):
    """Every column type swat uploads, with missing values, negative zero, extreme doubles and multi-byte text."""
    rng = np.random.default_rng(17)
    x = rng.normal(size=n)
    x[::7] = np.nan
    e = np.zeros(n)
    e[1], e[2], e[3] = -0.0, 1.7976931348623157e308, -5e-324
    return pd.DataFrame({
        "e": e,
        "k": np.arange(n, dtype=np.int64),
        "g": [["ä-one", "two", "three", None][i % 4] for i in range(n)],
        "x": x,
        "y": rng.integers(-1000, 1000, size=n).astype(np.float64),
    })


def metrics(server):
    """The cluster's counters from /metrics."""
    text = urllib.request.urlopen(server.url + "/metrics").read().decode()
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line.startswith("caslite_cluster_")}


def nodes(conn):
    return conn.builtins.serverStatus()["nodestatus"]


def test_the_controller_reports_its_two_workers(mpi):
    c = mpi.connect("alice")
    try:
        r = c.builtins.serverStatus()
        assert int(r["server"]["nodes"].iloc[0]) == 3
        ns = r["nodestatus"]
        assert list(ns["role"]) == ["controller", "worker", "worker"]
        assert list(ns["state"]) == ["up", "up", "up"]
        assert int(c.builtins.about()["server"]["nodes"].iloc[0]) == 3       # DLPy's get_cas_host_type reads this
        # builtins.help says how each action runs here
        for s in ("deepLearn", "percentile", "sampling", "image"):
            c.builtins.loadActionSet(actionSet=s)
        for action, kind in (("simple.summary", "partition-local"), ("table.tableInfo", "metadata only"),
                             ("percentile.percentile", "partition-local"), ("sampling.stratified", "writes its part of the output table"),
                             ("image.processImages", "writes its part of the output table"),
                             ("deepLearn.dlTrain", "data-parallel"), ("table.fetch", "moves only the rows it returns"),
                             ("simple.correlation", "gathered there first")):
            text = " ".join(c.builtins.help(action=action).messages)
            assert "On an MPI server: " in text and kind in text, (action, text)
    finally:
        c.terminate()


def both(mpi, server):
    a, b = mpi.connect("alice"), server.connect("alice")
    return a, b


def test_an_uploaded_table_is_spread_over_the_workers_and_reads_back_exactly(mpi, server):
    a, b = both(mpi, server)
    try:
        df = frame()
        ta = a.upload_frame(df, casout={"name": "spread", "replace": True})
        tb = b.upload_frame(df, casout={"name": "spread", "replace": True})
        per_node = a.table.tableDetails(name="spread", level="node")["TableDetails"]
        assert list(per_node["Rows"]) == [501, 500]                       # one block of ceil(1001 / 2) rows per worker
        total = a.table.tableDetails(name="spread")["TableDetails"]
        assert int(total["Rows"].iloc[0]) == 1001 and int(total["Blocks"].iloc[0]) == 2
        assert int(a.table.tableInfo(name="spread")["TableInfo"]["Rows"].iloc[0]) == 1001
        fa, fb = ta.to_frame(), tb.to_frame()
        pd.testing.assert_frame_equal(fa, fb)
        # the exact values came back (negative zero, the largest double, the smallest subnormal)
        assert np.signbit(fa["e"].iloc[1]) and fa["e"].iloc[2] == 1.7976931348623157e308 and fa["e"].iloc[3] == -5e-324
        # summary and numRows run on the workers' blocks (moments merged on the controller): no rows gathered
        before = metrics(mpi)
        for where in ["", "y > 0", "k < 300"]:                            # k < 300: the second worker's block matches nothing
            # not e: its squares overflow (one process then says skewness 0, the merged moments NaN)
            sa = a.simple.summary(table={"name": "spread", "where": where}, inputs=["k", "x", "y"])["Summary"]
            sb = b.simple.summary(table={"name": "spread", "where": where}, inputs=["k", "x", "y"])["Summary"]
            pd.testing.assert_frame_equal(sa, sb, rtol=1e-9)
            na = a.simple.numRows(table={"name": "spread", "where": where})["numrows"]
            assert na == b.simple.numRows(table={"name": "spread", "where": where})["numrows"] and na > 0
            qa = a.simple.freq(table={"name": "spread", "where": where}, inputs=["g", "y"])["Frequency"]
            qb = b.simple.freq(table={"name": "spread", "where": where}, inputs=["g", "y"])["Frequency"]
            pd.testing.assert_frame_equal(qa, qb)
            for missing in (True, False):                                   # distinct: freq's level counts, merged
                da = a.simple.distinct(table={"name": "spread", "where": where}, includeMissing=missing)["Distinct"]
                db = b.simple.distinct(table={"name": "spread", "where": where}, includeMissing=missing)["Distinct"]
                pd.testing.assert_frame_equal(da, db)
                assert list(da["Column"]) == ["e", "k", "g", "x", "y"] and da["NMiss"].iloc[3] > 0
        after = metrics(mpi)
        # summary and freq: 2 blocks × 3 wheres each; numRows: 2 × the 2 wheres (without one the controller knows the
        # count); distinct: 2 blocks × 3 wheres × 2
        assert after["caslite_cluster_partition_runs_total"] - before["caslite_cluster_partition_runs_total"] == 6 + 6 + 4 + 12
        assert after["caslite_cluster_rows_gathered_total"] == before["caslite_cluster_rows_gathered_total"]
        assert after["caslite_cluster_workers{state=\"up\"}"] == 2
        # fetch in stored order (swat's head()) reads only the window's rows, from the worker(s) holding them
        for lo, hi in [(1, 5), (499, 503), (1000, 1001), (1001, 1200)]:          # the second spans both blocks
            before = metrics(mpi)["caslite_cluster_rows_gathered_total"]
            fa = a.table.fetch(table="spread", **{"from": lo, "to": hi})["Fetch"]
            fb = b.table.fetch(table="spread", **{"from": lo, "to": hi})["Fetch"]
            pd.testing.assert_frame_equal(fa, fb)
            assert metrics(mpi)["caslite_cluster_rows_gathered_total"] - before == min(hi, 1001) - lo + 1
        # fetch with sortBy: each worker sends its first `to` sorted rows, the controller merges them (stable: ties in
        # stored order, as one process sorts) — ties on g, missing values, wheres, windows across blocks, vars
        cases = [({"sortBy": [{"name": "x", "order": "descending"}], "to": 7}, "spread"),
                 ({"sortBy": [{"name": "g"}], "from": 495, "to": 510}, "spread"),
                 ({"sortBy": [{"name": "g", "order": "DESCENDING"}, {"name": "x"}], "from": 3, "to": 40, "maxRows": 9, "index": True}, "spread"),
                 ({"sortBy": [{"name": "y"}], "to": 2000}, {"name": "spread", "where": "k > 480"}),
                 ({"sortBy": [{"name": "x"}], "from": 990, "to": 1005}, {"name": "spread", "vars": ["k", "x"]}),
                 ({"sortBy": [{"name": "x"}], "from": 50, "to": 10}, "spread")]
        for kwargs, table in cases:
            before = metrics(mpi)
            ra, rb = a.table.fetch(table=table, **kwargs), b.table.fetch(table=table, **kwargs)
            assert sorted(ra.keys()) == sorted(rb.keys()), (kwargs, list(ra.keys()), list(rb.keys()))
            for key in rb.keys():
                pd.testing.assert_frame_equal(ra[key], rb[key])
            after = metrics(mpi)
            assert after["caslite_cluster_rows_gathered_total"] == before["caslite_cluster_rows_gathered_total"], kwargs
            assert after["caslite_cluster_partition_runs_total"] - before["caslite_cluster_partition_runs_total"] == 2, kwargs
        # by-groups on the workers too: each worker runs the kernel per group of its block, merged group by group
        before = metrics(mpi)
        for tbl in ({"name": "spread", "groupBy": ["g"]}, {"name": "spread", "groupBy": ["g", "y"], "where": "y < -900"},
                    {"name": "spread", "groupBy": "g", "where": "k >= 600", "vars": ["x", "y"]}):
            # summary: not e (its squares overflow: NaN moments merged, 0 on one process — docs/scale-out.md)
            for action, kwargs in (("summary", {} if "vars" in tbl else {"inputs": ["k", "x", "y"]}), ("freq", {"inputs": ["y"]}), ("distinct", {}), ("topk", {"topk": 2, "bottomk": 1}),
                                   ("numRows", {}), ("crossTab", {"row": "y", "col": "x"} if "vars" in tbl else {"row": "g", "col": "k"})):
                ra, rb = (getattr(c.simple, action)(table=tbl, **kwargs) for c in (a, b))
                assert ra.severity == 0 and rb.severity == 0, (action, tbl, ra.status, rb.status)
                assert list(ra.keys()) == list(rb.keys()), (action, tbl, list(ra.keys())[:5], list(rb.keys())[:5])
                for key in rb.keys():
                    if hasattr(rb[key], "columns"):
                        pd.testing.assert_frame_equal(ra[key], rb[key], rtol=1e-9, atol=1e-12)
                        attrs = [{k: v for k, v in x[key].attrs.items() if k != "CreateTime"} for x in (ra, rb)]
                        assert attrs[0] == attrs[1], (action, key, attrs)
                    else:
                        assert ra[key] == rb[key], (action, key)
        assert metrics(mpi)["caslite_cluster_rows_gathered_total"] == before["caslite_cluster_rows_gathered_total"]
        bad = a.simple.summary(table={"name": "spread", "where": "nosuch > 1"})
        assert bad.severity == 2 and "where" in bad.status, bad.status
        assert a.simple.numRows(table="spread")["numrows"] == 1001
        qa = a.simple.freq(table="spread", includeMissing=False)["Frequency"]       # every column, missing levels left out
        qb = b.simple.freq(table="spread", includeMissing=False)["Frequency"]
        pd.testing.assert_frame_equal(qa, qb)
    finally:
        a.terminate()
        b.terminate()


def test_an_action_output_table_is_spread_too_and_alter_and_drop_work(mpi, server):
    a, b = both(mpi, server)
    try:
        for c in (a, b):
            c.upload_frame(frame(), casout={"name": "src", "replace": True})
            r = c.dataStep.runCode(code="data out; set src; z = x * 2 + y; run;")
            assert r.severity == 0, r
        assert len(a.table.tableDetails(name="out", level="node")["TableDetails"]) == 2
        pd.testing.assert_frame_equal(a.CASTable("out").to_frame(), b.CASTable("out").to_frame())
        assert a.table.alterTable(name="out", columns=[{"name": "z", "rename": "zz"}]).severity == 0
        fa = a.CASTable("out").to_frame()
        assert "zz" in fa.columns and "z" not in fa.columns and len(fa) == 1001
        assert a.table.dropTable(name="out").severity == 0
        assert a.table.tableExists(name="out")["exists"] == 0
    finally:
        a.terminate()
        b.terminate()


def test_sampling_on_the_workers_draws_one_process_sample(mpi, server):
    """srs and stratified on a spread table: the workers count their rows per stratum, the controller draws the
    codes as one process does (same seed: the same rows), each worker writes its part of the output and keeps it —
    no row reaches the controller, and the sample is the one-process sample."""
    a, b = both(mpi, server)
    try:
        for c in (a, b):
            c.upload_frame(frame(), casout={"name": "pop", "replace": True})
            c.builtins.loadActionSet(actionSet="sampling")
        cases = [("srs", {"table": "pop", "samppct": 30, "seed": 7, "output": {"casOut": {"name": "smp", "replace": True}}}),
                 ("srs", {"table": {"name": "pop", "where": "y > -500"}, "samppct": 64, "samppct2": 16, "partInd": True, "seed": 11,
                          "output": {"casOut": {"name": "smp", "replace": True}, "copyVars": ["k", "g"]}}),
                 ("stratified", {"table": {"name": "pop", "groupBy": ["g"]}, "samppct": 20, "seed": 3,
                                 "output": {"casOut": {"name": "smp", "replace": True}}}),
                 ("stratified", {"table": {"name": "pop", "groupBy": ["g"], "where": "k >= 400", "vars": ["k", "g", "x"]},
                                 "samppct": 50, "samppct2": 25, "partInd": True, "seed": 123,
                                 "output": {"casOut": {"name": "smp", "replace": True}, "partIndName": "part"}}),
                 ("stratified", {"table": {"name": "pop", "groupBy": ["g"], "where": "k < 300"}, "samppct": 40, "seed": 1}),
                 ("srs", {"table": {"name": "pop", "where": "k < 0"}, "samppct": 40, "seed": 1,
                          "output": {"casOut": {"name": "smp", "replace": True}}})]
        for action, kwargs in cases:
            before = metrics(mpi)
            ra, rb = getattr(a.sampling, action)(**kwargs), getattr(b.sampling, action)(**kwargs)
            assert ra.severity == 0 and rb.severity == 0, (kwargs, ra.status, rb.status)
            assert sorted(ra.keys()) == sorted(rb.keys()), (kwargs, list(ra.keys()), list(rb.keys()))
            freq = "SRSFreq" if action == "srs" else "STRAFreq"
            pd.testing.assert_frame_equal(ra[freq], rb[freq])
            after = metrics(mpi)
            assert after["caslite_cluster_rows_gathered_total"] == before["caslite_cluster_rows_gathered_total"], kwargs
            runs = after["caslite_cluster_partition_runs_total"] - before["caslite_cluster_partition_runs_total"]
            if "output" not in kwargs:
                assert runs == 2, kwargs                                        # the strata counted on both blocks
                continue
            assert runs == 4, kwargs                                            # counted, then written, on both blocks
            sa, sb = a.CASTable("smp").to_frame(), b.CASTable("smp").to_frame()
            pd.testing.assert_frame_equal(sa, sb)
            n = len(sb)
            assert int(a.table.tableInfo(name="smp")["TableInfo"]["Rows"].iloc[0]) == n
            if n:
                assert 0 < n < 1001 and after["caslite_cluster_rows_distributed_total"] == before["caslite_cluster_rows_distributed_total"]
                assert len(a.table.tableDetails(name="smp", level="node")["TableDetails"]) == 2   # kept where it was written
        # a stratum column that is not there: the one-process error
        ea = a.sampling.stratified(table={"name": "pop", "groupBy": ["nosuch"]}, samppct=10)
        eb = b.sampling.stratified(table={"name": "pop", "groupBy": ["nosuch"]}, samppct=10)
        assert ea.severity == 2 and ea.status == eb.status, (ea.status, eb.status)
        # an indicator named like a copied column would overwrite it: refused, naming the parameter
        ea, eb = (c.sampling.srs(table="pop", partInd=True, output={"casOut": "bad", "copyVars": ["k", "x"], "partIndName": "x"}) for c in (a, b))
        assert ea.severity == 2 and ea.status == eb.status and "output.partIndName" in ea.status, (ea.status, eb.status)
        ea = a.sampling.srs(table="pop", output={"casOut": "bad", "copyVars": ["nosuch"]})
        assert ea.severity == 2 and "nosuch" in ea.status and a.table.tableExists(name="bad")["exists"] == 0
    finally:
        a.terminate()
        b.terminate()


def test_topk_crosstab_aggregate_and_exact_percentiles_merge_the_workers_parts(mpi, server):
    """topk and crossTab add up the workers' level counts, aggregate merges their moments and counts, percentile
    selects exact order statistics in two rounds (a sample of each sorted block, then the values between two
    sampled bounds) — one process's results, with no rows gathered."""
    a, b = both(mpi, server)
    try:
        df = frame(20001)
        df["t"] = (df["y"] % 7).astype(np.int64)            # few levels, many ties
        for c in (a, b):
            c.upload_frame(df, casout={"name": "big", "replace": True})
            for s in ("percentile", "aggregation"):
                c.builtins.loadActionSet(actionSet=s)
        calls = []
        for where in ("", "y > 100", "k >= 15000"):          # k >= 15000: only the second worker's rows
            tbl = {"name": "big", "where": where}
            calls += [("simple.topk", {"table": tbl, "inputs": ["g", "y", "t"], "topk": 4, "bottomk": 3}),
                      ("simple.topk", {"table": tbl, "inputs": ["x", "g"], "order": "VALUE", "includeMissing": False}),
                      ("simple.crossTab", {"table": tbl, "row": "g", "col": "t"}),
                      ("aggregation.aggregate", {"table": tbl, "varSpecs": [{"names": ["x", "y"], "agg": "MEAN"}, {"names": ["g", "x"], "agg": "NMISS"},
                                                                            {"names": ["g", "k"], "agg": "N"}, {"names": ["x"], "agg": "STD"},
                                                                            {"names": ["y"], "agg": "MAX"}, {"names": ["k"], "agg": "SUM"}]}),
                      ("aggregation.aggregate", {"table": {**tbl, "groupBy": ["t", "g"]}, "varSpecs": [{"names": ["x", "g"], "agg": "N"},
                                                                                             {"names": ["y"], "agg": "VAR"}]}),
                      ("percentile.percentile", {"table": tbl, "inputs": ["x", "y", "t", "k"],
                                                 "values": [0, 0.01, 1, 5, 25, 33.3, 50, 50.5, 75, 99, 99.99, 100]})]
        calls.append(("percentile.percentile", {"table": {"name": "big", "where": "k < 0"}, "inputs": ["x"]}))   # no rows
        for action, kwargs in calls:
            before = metrics(mpi)
            ra, rb = (getattr(getattr(c, action.split(".")[0]), action.split(".")[1])(**kwargs) for c in (a, b))
            assert ra.severity == 0 and rb.severity == 0, (action, kwargs, ra.status, rb.status)
            assert sorted(ra.keys()) == sorted(rb.keys()), (action, list(ra.keys()), list(rb.keys()))
            for key in rb.keys():
                exact = action != "aggregation.aggregate"
                pd.testing.assert_frame_equal(ra[key], rb[key], check_exact=exact, rtol=1e-9)
            after = metrics(mpi)
            assert after["caslite_cluster_rows_gathered_total"] == before["caslite_cluster_rows_gathered_total"], (action, kwargs)
            assert after["caslite_cluster_partition_runs_total"] > before["caslite_cluster_partition_runs_total"], (action, kwargs)
        # more than 100 percentiles at once: the columns are read on the controller instead (same values)
        many = [float(v) for v in np.linspace(0, 100, 151)]
        ra, rb = (c.percentile.percentile(table={"name": "big", "where": "y > 0"}, inputs=["x", "t"], values=many) for c in (a, b))
        pd.testing.assert_frame_equal(ra["Percentile"], rb["Percentile"])
        bad = [c.percentile.percentile(table="big", inputs=["g"]) for c in (a, b)]
        assert bad[0].severity == 2 and bad[0].status == bad[1].status, [x.status for x in bad]
    finally:
        a.terminate()
        b.terminate()


def ranks_of(mpirun_pid):
    """{rank: pid} of the processes mpirun started (their environment names their rank)."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != mpirun_pid:
                continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = dict(e.split(b"=", 1) for e in f.read().split(b"\0") if b"=" in e)
            if b"OMPI_COMM_WORLD_RANK" in env:
                out[int(env[b"OMPI_COMM_WORLD_RANK"])] = int(pid)
        except (OSError, ValueError, IndexError):
            continue
    return out


def test_a_killed_worker_fails_the_call_within_the_timeout_and_the_server_goes_on(tmp_path):
    with _serve(tmp_path, launcher=launcher(3), env=MPI_ENV, extra=["--mpi", "--worker-timeout", "3"]) as s:
        c = s.connect("alice")
        try:
            c.upload_frame(frame(), casout={"name": "doomed", "replace": True})
            c.upload_frame(frame(), casout={"name": "dropped", "replace": True})
            ranks = ranks_of(s.proc.pid)
            assert sorted(ranks) == [0, 1, 2], ranks
            os.kill(ranks[2], signal.SIGKILL)
            # freeing a table's blocks right after the kill (on the dead worker too) must not stall the heartbeats:
            # past the time-out the dead worker is down and the live one still up (it heard the controller all along)
            time.sleep(0.3)
            assert c.table.dropTable(name="dropped").severity == 0
            time.sleep(5)
            assert list(nodes(c)["state"]) == ["up", "up", "down"] and 1 in ranks_of(s.proc.pid)
            start = time.time()
            r = c.table.fetch(table="doomed", **{"from": 990, "to": 995})   # rows of rank 2's block
            took = time.time() - start
            assert r.severity == 2, r
            text = " ".join(c.get_action_messages() if hasattr(c, "get_action_messages") else []) + str(r.status)
            assert "worker rank 2" in text and "down" in text, text
            assert took < 30, took
            ns = nodes(c)
            assert list(ns["state"]) == ["up", "up", "down"]
            assert c.builtins.ping().severity == 0                          # the session and the controller go on
            # a new table goes to the worker that is left, and reads back
            t = c.upload_frame(frame(50), casout={"name": "after", "replace": True})
            assert list(c.table.tableDetails(name="after", level="node")["TableDetails"]["Rows"]) == [50]
            expected = frame(50).astype({"k": np.float64}).fillna({"g": ""})     # CAS reads a missing text as blank
            pd.testing.assert_frame_equal(t.to_frame(), expected, check_dtype=False)
        finally:
            c.terminate()


def _pets(server, per_class=16):
    """32 images of two classes under the server's Public caslib (the same files for every server)."""
    from test_dlpy_pipeline import _write_pets
    folder = server.data / "public" / "mpi_pets"
    if not folder.exists():
        _write_pets(folder, per_class=per_class)
    return "mpi_pets"


def _small_model(c):
    """A CNN without batch norm: data-parallel training then equals one process up to the order of float sums."""
    c.deepLearn.buildModel(model={"name": "m", "replace": True}, type="CNN")
    c.deepLearn.addLayer(model="m", name="data", layer={"type": "input", "nchannels": 3, "width": 32, "height": 32, "scale": 1 / 255})
    c.deepLearn.addLayer(model="m", name="conv", srclayers=["data"], layer={"type": "convolution", "nfilters": 6, "width": 3, "act": "relu"})
    c.deepLearn.addLayer(model="m", name="pool", srclayers=["conv"], layer={"type": "pooling", "width": 2, "stride": 2, "pool": "max"})
    c.deepLearn.addLayer(model="m", name="fc", srclayers=["pool"], layer={"type": "fc", "n": 8, "act": "relu"})
    c.deepLearn.addLayer(model="m", name="out", srclayers=["fc"], layer={"type": "output", "n": 2, "act": "softmax"})


def _train(c, batch, epochs=5, **more):
    return c.deepLearn.dlTrain(table="pets", modelTable="m", modelWeights={"name": "w", "replace": True}, inputs="_image_",
                               target="_label_", seed=5, nThreads=1,
                               optimizer={"miniBatchSize": batch, "maxEpochs": epochs, "logLevel": 2,
                                          "algorithm": {"method": "MOMENTUM", "learningRate": 0.02, "momentum": 0.9}}, **more)


def _weights(c):
    return c.table.fetch(table="w", to=1000, maxRows=1000, sortBy=["_Layer_", "_Tensor_"])["Fetch"]


def test_dl_train_on_two_workers_equals_one_process_with_twice_the_batch(mpi, server):
    """CAS's synchronous mode: each of the 2 workers trains on its block with miniBatchSize 4 and the gradients are
    summed every step (MPI_Allreduce), so 20 steps (5 epochs of 32 images) equal one process with miniBatchSize 8
    and the same seed: the same images in every step, weights within 1e-4."""
    results = {}
    for name, srv in (("mpi", mpi), ("one", server)):
        c = srv.connect("alice")
        try:
            path = _pets(srv)
            for actionset in ("image", "deepLearn"):
                c.builtins.loadActionSet(actionSet=actionset)
            r = c.image.loadImages(path=path, caslib="Public", recurse=True, labelLevels=-1, casout={"name": "pets", "replace": True})
            assert r.severity == 0, r.messages
            assert r.severity == 0, r
            _small_model(c)
            r = _train(c, 4 if name == "mpi" else 8)
            assert r.severity == 0, r
            results[name] = (r["OptIterHistory"], _weights(c), c)
            if name == "mpi":
                assert any("mini-batch 8, across 2 workers (4 images each per step)" in m for m in r.messages), r.messages
                rows = c.table.tableDetails(name="pets", level="node")["TableDetails"]["Rows"]
                assert list(rows) == [16, 16]                                   # the images are spread over both workers
        except Exception:
            c.terminate()
            raise
    (h_mpi, w_mpi, c_mpi), (h_one, w_one, c_one) = results["mpi"], results["one"]
    try:
        assert len(h_mpi) == 5 and len(h_one) == 5
        np.testing.assert_allclose(h_mpi["Loss"], h_one["Loss"], atol=1e-4)
        np.testing.assert_allclose(h_mpi["FitError"], h_one["FitError"], atol=1e-9)
        np.testing.assert_allclose(h_mpi["LearningRate"], h_one["LearningRate"], rtol=1e-7)
        assert h_one["Loss"].iloc[-1] < h_one["Loss"].iloc[0]                    # it learned something
        assert list(w_mpi["_Tensor_"]) == list(w_one["_Tensor_"]) and len(w_mpi) > 8
        largest = 0.0
        for a, b in zip(w_mpi["_Weights_"], w_one["_Weights_"]):
            x, y = np.frombuffer(bytes(a), dtype="<f4"), np.frombuffer(bytes(b), dtype="<f4")
            assert x.shape == y.shape
            largest = max(largest, float(np.max(np.abs(x - y))) if x.size else 0.0)
        assert largest < 1e-4, largest
        # the trained weights score the same on both servers: on the MPI server each worker scores its own images and
        # keeps its part of the scored table (only labels, predictions and probabilities reach the controller)
        def model_rows(c):
            return sum(int(c.table.tableInfo(name=n)["TableInfo"]["Rows"].iloc[0]) for n in ("m", "w"))
        for kwargs in ({"table": "pets", "copyVars": ["_label_"]},
                       {"table": {"name": "pets", "where": "_label_ = 'cats'"}, "copyVars": ["_label_", "_path_"], "topProbs": 2},
                       {"table": {"name": "pets", "vars": ["_image_"]}}):
            before = metrics(mpi)
            scores = []
            for c in (c_mpi, c_one):
                s = c.deepLearn.dlScore(model="m", initWeights="w", casout={"name": "s", "replace": True}, **kwargs)
                assert s.severity == 0, (kwargs, s.status, s.messages)
                scores.append((s["ScoreInfo"].set_index("Descr")["Value"].to_dict(), s["ClassAccuracy"], c.CASTable("s").to_frame()))
            (info_a, acc_a, out_a), (info_b, acc_b, out_b) = scores
            assert info_a == info_b, (kwargs, info_a, info_b)
            pd.testing.assert_frame_equal(acc_a, acc_b)
            assert len(out_b) > 0 and list(out_a.columns) == list(out_b.columns), (list(out_a.columns), list(out_b.columns))
            pd.testing.assert_frame_equal(out_a, out_b, rtol=1e-6)
            after = metrics(mpi)
            # rows gathered: the model and weights tables (read on the controller) and the scored table read back here
            gathered = after["caslite_cluster_rows_gathered_total"] - before["caslite_cluster_rows_gathered_total"]
            assert gathered == model_rows(c_mpi) + len(out_a), (kwargs, gathered)
        assert len(c_mpi.table.tableDetails(name="s", level="node")["TableDetails"]) == 2
        # occlusion heat maps: each worker explains its share of the first maxImages images (20: across both blocks;
        # without _id_ the images are named by their row in the whole table)
        for kwargs in ({"table": "pets", "maxImages": 3}, {"table": "pets", "maxImages": 20, "stepSize": 4},
                       {"table": {"name": "pets", "vars": ["_image_", "_label_"], "where": "_label_ ^= 'nothing'"}, "maxImages": 20}):
            before = metrics(mpi)
            maps = [c.deepLearn.dlHeatMap(model="m", initWeights="w", casout={"name": "hm", "replace": True}, **kwargs) for c in (c_mpi, c_one)]
            assert maps[0].severity == 0 and maps[1].severity == 0, [m.messages for m in maps]
            ia, ib = maps[0]["HeatMapInfo"], maps[1]["HeatMapInfo"]
            assert list(ia["Id"]) == list(ib["Id"]) and list(ia["Label"]) == list(ib["Label"]) and len(ia) == kwargs["maxImages"], (ia, ib)
            for col in ("PTrue", "MinMaskedP"):
                np.testing.assert_allclose(ia[col], ib[col], rtol=1e-5, atol=1e-6)
            ha, hb = c_mpi.CASTable("hm").to_frame(), c_one.CASTable("hm").to_frame()
            gathered = metrics(mpi)["caslite_cluster_rows_gathered_total"] - before["caslite_cluster_rows_gathered_total"]
            assert gathered == model_rows(c_mpi) + len(ha), gathered                 # no image came to the controller
            assert list(ha["_id_"]) == list(hb["_id_"])
            for x, y in zip(ha["_HeatMap_"], hb["_HeatMap_"]):             # swat reads the PNGs as images
                x, y = np.asarray(x, dtype=np.int32), np.asarray(y, dtype=np.int32)
                assert x.shape == y.shape and x.shape[0] > 0 and np.abs(x - y).mean() < 0.5, (x.shape, y.shape)
        assert list(ia["Id"])[-1] == "20"
        # no image matches: the one-process error, on both servers
        errors = [c.deepLearn.dlScore(table={"name": "pets", "where": "_label_ = 'none'"}, model="m", initWeights="w") for c in (c_mpi, c_one)]
        assert errors[0].severity == 2 and errors[0].status == errors[1].status, [e.status for e in errors]
    finally:
        c_mpi.terminate()
        c_one.terminate()


def test_process_images_runs_on_the_workers_and_equals_one_process(mpi, server):
    """processImages on spread images: every worker processes its own and keeps its part of the output (no image
    reaches the controller); the table, the NOTEs and the skipped-image WARNING are one process's."""
    a, b = both(mpi, server)
    try:
        for c, srv in ((a, mpi), (b, server)):
            c.builtins.loadActionSet(actionSet="image")
            r = c.image.loadImages(path=_pets(srv), caslib="Public", recurse=True, labelLevels=-1, casout={"name": "pix", "replace": True})
            assert r.severity == 0, r.messages
            # and two images (one in each worker's block) too small for the CROP below: skipped, with a WARNING naming them
            bad = srv.data / "public" / "mpi_pets_bad"
            if not bad.exists():
                from PIL import Image
                shutil.copytree(srv.data / "public" / "mpi_pets", bad)
                for name in ("cats/cats_02.png", "dogs/dogs_09.png"):
                    Image.new("RGB", (16, 16), (9, 99, 199)).save(bad / name)
            r = c.image.loadImages(path="mpi_pets_bad", caslib="Public", recurse=True, labelLevels=-1, casout={"name": "pixbad", "replace": True})
            assert r.severity == 0 and c.table.tableInfo(name="pixbad")["TableInfo"]["Rows"].iloc[0] == 32, r.messages
        steps = [{"step": {"stepType": "RESIZE", "width": 16, "height": 12}},
                 {"step": {"stepType": "NORMALIZE", "type": "MINMAX", "alpha": 0, "beta": 255}}]
        cases = [{"table": "pix", "steps": steps},
                 {"table": {"name": "pixbad", "where": "_id_ > 3"}, "steps": steps, "decode": False, "copyVars": ["_label_"]},
                 {"table": {"name": "pix", "where": "_id_ > 20"}, "steps": steps},
                 {"table": {"name": "pix", "vars": ["_image_", "_path_"]}, "steps": [{"step": {"stepType": "FLIP", "type": "VERTICAL"}}]}]
        crop = [{"step": {"stepType": "CROP", "x": 18, "y": 2, "width": 10, "height": 8}}]
        cases.append({"table": "pixbad", "steps": crop + steps, "decode": False, "copyVars": ["_label_"]})
        for kwargs in cases:
            before = metrics(mpi)
            ra, rb = (c.image.processImages(casout={"name": "done", "replace": True}, **kwargs) for c in (a, b))
            assert ra.severity == rb.severity and ra.severity <= 1, (kwargs, ra.messages, rb.messages)
            assert ra.messages == rb.messages, (kwargs, ra.messages, rb.messages)
            after = metrics(mpi)
            assert after["caslite_cluster_rows_gathered_total"] == before["caslite_cluster_rows_gathered_total"], kwargs
            assert after["caslite_cluster_rows_distributed_total"] == before["caslite_cluster_rows_distributed_total"], kwargs
            holding = 1 if "_id_ > 20" in str(kwargs["table"]) else 2           # _id_ > 20: only the second block's rows
            assert len(a.table.tableDetails(name="done", level="node")["TableDetails"]) == holding
            fa, fb = a.CASTable("done").to_frame(), b.CASTable("done").to_frame()
            assert len(fb) > 0
            pd.testing.assert_frame_equal(fa, fb)
            if kwargs["table"] == "pixbad":
                assert any("2 images could not be processed" in m for m in ra.messages), ra.messages
        bad = [c.image.processImages(table="pix", casout={"name": "x", "replace": True}, steps=steps, copyVars=["nosuch"]) for c in (a, b)]
        assert bad[0].severity == 2 and bad[0].status == bad[1].status, [x.status for x in bad]
        # summarizeImages: every worker adds up its images (integer sums), the sums merged — one process's figures
        for kwargs in ({"table": "pix", "meanImage": True}, {"table": {"name": "pixbad", "where": "_id_ > 5"}},
                       {"table": {"name": "pix", "where": "_id_ > 20", "vars": ["_image_"]}, "meanImage": True},
                       {"table": "done"}, {"table": "pixbad", "meanImage": True}):
            before = metrics(mpi)
            ra, rb = (c.image.summarizeImages(**kwargs) for c in (a, b))
            assert ra.severity == rb.severity and ra.status == rb.status, (kwargs, ra.status, rb.status)
            assert sorted(ra.keys()) == sorted(rb.keys()), kwargs
            for key in rb.keys():
                pd.testing.assert_frame_equal(ra[key], rb[key])
            after = metrics(mpi)
            assert after["caslite_cluster_rows_gathered_total"] == before["caslite_cluster_rows_gathered_total"], kwargs
        assert ra.severity == 2 and "mean image needs equal sizes" in ra.status, ra.status      # 16×16 among 32×32
    finally:
        a.terminate()
        b.terminate()


def test_a_worker_killed_while_training_fails_dl_train_within_the_timeout(tmp_path):
    """A worker SIGKILLed in the middle of a data-parallel dlTrain: the call ends with an Error naming it within the
    heartbeat time-out (the all-reduce it left is given up, never waited on for good), the session and the
    controller go on, and the other worker — left waiting in that all-reduce, which Open MPI 4.1 cannot repair —
    is reported down too."""
    with _serve(tmp_path, launcher=launcher(3), env=MPI_ENV, extra=["--mpi", "--worker-timeout", "3"]) as s:
        c = s.connect("alice")
        try:
            for actionset in ("image", "deepLearn"):
                c.builtins.loadActionSet(actionSet=actionset)
            r = c.image.loadImages(path=_pets(s), caslib="Public", recurse=True, labelLevels=-1, casout={"name": "pets", "replace": True})
            assert r.severity == 0, r.messages
            _small_model(c)
            ranks = ranks_of(s.proc.pid)
            killer = threading.Timer(3.0, os.kill, (ranks[2], signal.SIGKILL))
            killer.start()
            start = time.time()
            r = _train(c, 4, epochs=100000)                 # minutes of training: the kill lands in the middle
            took = time.time() - start
            killer.join()
            assert r.severity == 2, r
            text = " ".join(r.messages) + str(r.status)
            assert "worker rank 2" in text and "down" in text, text
            assert took < 30, took
            assert c.builtins.ping().severity == 0
            assert list(nodes(c)["state"]) == ["up", "down", "down"]
            r = _train(c, 4, epochs=1)                      # its tables' rows were on the lost workers
            assert r.severity == 2 and "is down" in " ".join(r.messages), r.messages
        finally:
            c.terminate()


def test_other_sessions_use_the_workers_while_a_training_holds_them(tmp_path):
    """Calls to the workers overlap (each on tags of its own): while bob's data-parallel dlTrain runs for minutes,
    alice uploads a table (spread over the workers), summarizes it, samples it (kept on the workers), reads rows
    and drops it — all within seconds, the training still running."""
    with _serve(tmp_path, launcher=launcher(3), env=MPI_ENV, extra=["--mpi"]) as s:
        bob, alice = s.connect("bob"), s.connect("alice")
        for actionset in ("image", "deepLearn"):
            bob.builtins.loadActionSet(actionSet=actionset)
        r = bob.image.loadImages(path=_pets(s), caslib="Public", recurse=True, labelLevels=-1, casout={"name": "pets", "replace": True})
        assert r.severity == 0, r.messages
        _small_model(bob)
        training = threading.Thread(target=lambda: _train(bob, 4, epochs=100000), daemon=True)   # minutes
        training.start()
        time.sleep(2)                                       # well into the training (its collective run holds the workers)
        assert training.is_alive()
        done = {}

        def work():
            df = frame()
            t = alice.upload_frame(df, casout={"name": "meanwhile", "replace": True})
            done["rows"] = list(alice.table.tableDetails(name="meanwhile", level="node")["TableDetails"]["Rows"])
            done["n"] = int(alice.simple.summary(table="meanwhile", inputs=["k"])["Summary"]["N"].iloc[0])
            alice.builtins.loadActionSet(actionSet="sampling")
            done["sample"] = alice.sampling.srs(table="meanwhile", samppct=10, seed=1, output={"casOut": {"name": "some", "replace": True}}).severity
            done["head"] = len(t.to_frame())
            done["dropped"] = alice.table.dropTable(name="meanwhile").severity

        start = time.time()
        other = threading.Thread(target=work, daemon=True)
        other.start()
        other.join(timeout=60)
        assert not other.is_alive(), f"alice's calls waited for bob's training: {done}"
        assert done == {"rows": [501, 500], "n": 1001, "sample": 0, "head": 1001, "dropped": 0}, done
        assert training.is_alive(), "the training ended before alice's calls: they did not overlap"
        print(f"alice's calls took {time.time() - start:.1f} s while the training ran")
        alice.terminate()
    # the server stopped (SIGTERM cancels the training); bob's swat retries its lost connection for a while in its
    # daemon thread, which the test does not wait for


def test_the_all_reduce_sums_every_ranks_gradients():
    """`MPIWorld.allreduceSum` (what data-parallel dlTrain calls every step), through bench/mpi on 3 ranks: each rank
    adds rank+1 into gradient-sized buffers; the program exits 4 when any rank's sum is wrong."""
    bench = os.path.join(os.path.dirname(binary()), "mpi-bench")
    # mpirun waits forever for a program it cannot start: say what is missing instead (`make test` builds it)
    assert os.access(bench, os.X_OK), f"{bench} is not built: swift build --product mpi-bench"
    # --enable-recovery: mpirun then reports 0 for ranks that end without MPI_Finalize (as caslite's do)
    r = subprocess.run([*launcher(3), "--quiet", bench], env={**os.environ, **MPI_ENV, "MPI_BENCH_ROUNDS": "2"},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "ResNet-50 gradients: 102.2 MB" in r.stdout and "over 3 ranks" in r.stdout, r.stdout
