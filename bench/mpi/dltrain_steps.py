"""The per-step cost of data-parallel dlTrain (docs/scale-out.md): the same training over swat on one process
(nThreads 2 and 1) and on `mpirun -np 3 caslite serve --mpi` (2 workers, nThreads 1 each), global mini-batch 8.
Usage: CASLITE_BIN=.build/release/caslite .venv/bin/python bench/mpi/dltrain_steps.py [scratch folder]"""
import os, sys, tempfile, time, pathlib
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "Tests" / "python"))
from conftest import _serve
from test_mpi import launcher, MPI_ENV
from test_dlpy_pipeline import _write_pets

def model(c, size, big):
    c.deepLearn.buildModel(model={"name": "m", "replace": True}, type="CNN")
    c.deepLearn.addLayer(model="m", name="data", layer={"type": "input", "nchannels": 3, "width": size, "height": size, "scale": 1 / 255})
    src = "data"
    for i, n in enumerate([16, 32] if big else [6]):
        c.deepLearn.addLayer(model="m", name=f"c{i}", srclayers=[src], layer={"type": "convolution", "nfilters": n, "width": 3, "act": "relu"})
        c.deepLearn.addLayer(model="m", name=f"p{i}", srclayers=[f"c{i}"], layer={"type": "pooling", "width": 2, "stride": 2, "pool": "max"})
        src = f"p{i}"
    c.deepLearn.addLayer(model="m", name="fc", srclayers=[src], layer={"type": "fc", "n": 64 if big else 8, "act": "relu"})
    c.deepLearn.addLayer(model="m", name="out", srclayers=["fc"], layer={"type": "output", "n": 2, "act": "softmax"})

def run(srv, size, big, batch, threads, epochs):
    c = srv.connect("alice")
    for a in ("image", "deepLearn"): c.builtins.loadActionSet(actionSet=a)
    folder = srv.data / "public" / f"p{size}"
    if not folder.exists(): _write_pets(folder, per_class=16, size=size)
    assert c.image.loadImages(path=f"p{size}", caslib="Public", recurse=True, labelLevels=-1, casout={"name": "pets", "replace": True}).severity == 0
    model(c, size, big)
    t = time.time()
    r = c.deepLearn.dlTrain(table="pets", modelTable="m", modelWeights={"name": "w", "replace": True}, inputs="_image_", target="_label_", seed=5,
                            nThreads=threads, optimizer={"miniBatchSize": batch, "maxEpochs": epochs, "logLevel": 0,
                                                         "algorithm": {"method": "MOMENTUM", "learningRate": 0.02, "momentum": 0.9}})
    dt = time.time() - t
    assert r.severity == 0, r.messages
    c.terminate()
    return dt

tmp = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="dltrain-steps-"))
for size, big, epochs in ((32, False, 50), (64, True, 20)):
    steps = epochs * 4   # 32 images, global batch 8
    with _serve(tmp / f"one{size}") as s:
        one2 = run(s, size, big, 8, 2, epochs)
        one1 = run(s, size, big, 8, 1, epochs)
    with _serve(tmp / f"mpi{size}", launcher=launcher(3), env=MPI_ENV, extra=["--mpi"]) as s:
        mpi = run(s, size, big, 4, 1, epochs)
    print(f"{size}x{size} {'2 conv' if big else '1 conv'}: {steps} steps of 8 images — one process 2 threads {one2/steps*1000:.2f} ms/step, "
          f"1 thread {one1/steps*1000:.2f} ms/step; 2 workers x 4 images, 1 thread each {mpi/steps*1000:.2f} ms/step", flush=True)
