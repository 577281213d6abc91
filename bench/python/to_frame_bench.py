"""swat's CASTable.to_frame() of a 1 M-row x 5-column table over REST, next to pandas.read_csv of the
same data as a CSV file, in the same run (make bench). Prints seconds and MB/s; never asserts timings.

Usage: python to_frame_bench.py CASLITE_BINARY [ROWS]     (needs swat and pandas: the test venv)
"""
import os, pathlib, shutil, subprocess, sys, tempfile, time

import pandas as pd
import swat

caslite = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
work = pathlib.Path(tempfile.mkdtemp(prefix="caslite-toframe-"))
swat.options.cas.print_messages = False

csv = work / "public" / "rows.csv"
csv.parent.mkdir(parents=True)
with open(csv, "w") as f:   # the same rows as caslite-bench's table.fetch benchmark
    f.write("id,x,y,label,n\n")
    for i in range(rows):
        f.write(f"{i},{i * 0.5!r},{(i % 1000) / 7!r},lbl{i % 100},{i % 17}\n")
mb = csv.stat().st_size / 1e6

port_file = work / "http-port"
proc = subprocess.Popen([caslite, "serve", "--port", "0", "--http-port", "0", "--http-port-file", str(port_file),
                         "--data", str(work), "--auth", "none"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
try:
    deadline = time.time() + 60
    while not (port_file.exists() and port_file.read_text().strip()):
        if time.time() > deadline or proc.poll() is not None:
            sys.exit("caslite serve did not start")
        time.sleep(0.05)
    conn = swat.CAS(f"http://127.0.0.1:{port_file.read_text().strip()}", username="bench", password="x")
    r = conn.table.loadTable(path="rows.csv", caslib="public", casOut={"name": "rows", "caslib": "public"})
    assert r.severity == 0, r.messages
    tbl = conn.CASTable("rows", caslib="public")

    def best(fn, n=3):
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        return min(times), out

    t_swat, frame = best(lambda: tbl.to_frame())
    t_pandas, peer = best(lambda: pd.read_csv(csv))
    assert len(frame) == len(peer) == rows, (len(frame), len(peer))
    print(f"swat CASTable.to_frame() of {rows} rows x 5 columns over REST ({mb:.1f} MB as CSV), best of 3")
    print(f"  caslite + swat: {t_swat:.2f} s = {mb / t_swat:.0f} MB/s (of CSV-equivalent data)")
    print(f"  peer: pandas.read_csv of the same CSV file: {t_pandas:.2f} s = {mb / t_pandas:.0f} MB/s")
    print(f"  ratio to_frame/read_csv throughput: {t_pandas / t_swat:.2f}")
    conn.close()
finally:
    proc.terminate()
    proc.wait()
    shutil.rmtree(work, ignore_errors=True)
