"""Partition-local actions on a spread table (docs/scale-out.md): each action over swat on `mpirun -np 3 caslite serve
--mpi` (2 workers) and on one process, the same rows, printed as seconds and the ratio one-process ÷ MPI (above 1:
the workers win). On one machine the workers share its cores, so this measures the overhead of moving partials,
not a speed-up; it guards against a reduce that grows with the data (as percentile's did before its bounds were
binary searches). Usage: CASLITE_BIN=.build/release/caslite .venv/bin/python bench/mpi/spread_actions.py [rows]"""
import pathlib, sys, tempfile, time
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "Tests" / "python"))
import numpy as np
import pandas as pd
from conftest import _serve
from test_mpi import launcher, MPI_ENV

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 400_000
rng = np.random.default_rng(7)
df = pd.DataFrame({"x": rng.normal(size=rows), "y": rng.integers(0, 1000, size=rows).astype(float),
                   "g": rng.choice(["a", "b", "c", "d"], size=rows)})
calls = [("summary", "simple", "summary", {"inputs": ["x", "y"]}),
         ("summary by g", "simple", "summary", {"table": {"name": "t", "groupBy": ["g"]}, "inputs": ["x", "y"]}),
         ("freq y", "simple", "freq", {"inputs": ["y"]}),
         ("distinct x (a level per row)", "simple", "distinct", {"inputs": ["x"]}),
         ("percentile x, y (100 values)", "percentile", "percentile", {"inputs": ["x", "y"], "values": [float(v) for v in np.linspace(0, 100, 100)]}),
         ("srs 20 % with output", "sampling", "srs", {"samppct": 20, "seed": 1, "output": {"casOut": {"name": "s", "replace": True}}}),
         ("fetch sortBy x, first 100", "table", "fetch", {"sortBy": [{"name": "x"}], "to": 100})]
times = {}
tmp = pathlib.Path(tempfile.mkdtemp(prefix="spread-actions-"))
for name, kw in (("mpi", dict(launcher=launcher(3), env=MPI_ENV, extra=["--mpi"])), ("one", {})):
    with _serve(tmp / name, **kw) as s:
        c = s.connect("alice")
        for a in ("percentile", "sampling"):
            c.builtins.loadActionSet(actionSet=a)
        c.upload_frame(df, casout={"name": "t", "replace": True})
        for label, aset, action, args in calls:
            args = {"table": "t", **args}
            best = float("inf")
            for _ in range(3):
                t = time.time()
                r = getattr(getattr(c, aset), action)(**args)
                best = min(best, time.time() - t)
                assert r.severity == 0, (label, r.status)
            times[(name, label)] = best
        c.terminate()
print(f"== partition-local actions on {rows} rows: 3 ranks (2 workers) vs one process, best of 3 (s)")
for label, *_ in calls:
    m, o = times[("mpi", label)], times[("one", label)]
    print(f"{label:34s} mpi {m:7.3f}  one {o:7.3f}  one/mpi {o / m:5.2f}")
