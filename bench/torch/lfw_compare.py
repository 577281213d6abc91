"""`make demo`'s fine-tuning pipeline on caslite next to the same recipe in PyTorch (issue 7, item 5):
test accuracy and training wall time side by side.

caslite side: examples/covid-ct/pipeline.casl, unchanged, run by the release `caslite run` on its
embedded server with the demo's settings, plus an epilogue appended to a temporary copy of the script
that prints the partition sampling.srs made (`PARTITION <_path_> <_PartInd_>`), so the PyTorch run uses
exactly the same train/validation/test images. caslite's training wall time is measured between the
streamed log lines of dlTrain: from "NOTE: Training N images ..." to the NOTE of the last epoch (all
epochs including the per-epoch validation scoring; the log is read through a pseudo-terminal so
lines arrive unbuffered). Test accuracy is the script's `accuracy` result (dlScore on the test part).

PyTorch side: bench/torch/lfw_finetune.py with the partition file (its training wall time covers
the same span: the epochs with their validation passes).

caslite runs twice, precision=FP32 and precision=BF16 (decision 020; skipped with a reason where the
CPU has no AVX-512 BF16): the bf16 goal is a test accuracy within 2.5 points of FP32's.

usage: lfw_compare.py CASLITE_BIN DATA_ROOT PYTHON [epochs=6] [size=64] [seed=12345]
  DATA_ROOT holds public/lfw/{face,nonface}/*.png and public/weights/mobilenet_v2-b0353104.pth
"""
import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EPILOGUE = '''
/* bench/torch/lfw_compare.py: the partition, for the PyTorch run on the same images */
table.fetch result=bench_parts / table="parts" fetchVars={"_path_", "_PartInd_"} to=1000000;
do row over bench_parts.Fetch;
    print "PARTITION " row._path_ " " row._PartInd_;
end;
'''


def run_caslite(binary, data_root, epochs, size, seed, precision="FP32"):
    with open(os.path.join(ROOT, "examples/covid-ct/pipeline.casl")) as f:
        script = f.read() + EPILOGUE
    tmp = tempfile.NamedTemporaryFile("w", suffix=".casl", delete=False)
    tmp.write(script)
    tmp.close()
    cmd = [binary, "run", "--data", data_root, tmp.name, "--set", "caslib=public", "--set", "data=lfw",
           "--set", "model=mobilenetv2", "--set", "weights=weights/mobilenet_v2-b0353104.pth",
           "--set", f"epochs={epochs}", "--set", f"size={size}", "--set", "outdir=bench-lfw-output", "--set", f"seed={seed}",
           "--set", f"precision={precision}"]
    master, slave = pty.openpty()
    t_launch = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=slave, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, close_fds=True)
    os.close(slave)
    lines, buf = [], b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            now = time.perf_counter()
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                lines.append((now, line.decode("utf-8", "replace").rstrip("\r")))
        elif proc.poll() is not None:
            break
    proc.wait()
    os.close(master)
    os.unlink(tmp.name)
    wall = time.perf_counter() - t_launch
    if proc.returncode != 0:
        sys.stdout.write("\n".join(l for _, l in lines[-40:]) + "\n")
        sys.exit(f"caslite run failed (exit {proc.returncode})")
    start = next((t for t, l in lines if "NOTE: Training " in l and " images (" in l), None)
    ends = [t for t, l in lines if re.search(rf"NOTE: Epoch {epochs - 1}: ", l)]
    history = [l.split("NOTE: ", 1)[1] for _, l in lines if re.search(r"NOTE: Epoch \d+: ", l)]
    acc = next((float(m.group(1)) for _, l in lines for m in [re.match(r"\[accuracy\]\s+(\S+)", l.strip())] if m), None)
    parts = [list(m.groups()) for _, l in lines for m in [re.search(r"PARTITION (\S+) (\S+)\s*$", l)] if m]
    if start is None or not ends or acc is None or not parts:
        sys.stdout.write("\n".join(l for _, l in lines[-60:]) + "\n")
        sys.exit("could not find the training notes, the accuracy or the partition in caslite's log")
    return {"train_s": ends[-1] - start, "accuracy": acc, "parts": parts, "history": history, "wall_s": wall}


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    binary, data_root, python = sys.argv[1:4]
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 6
    size = int(sys.argv[5]) if len(sys.argv) > 5 else 64
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 12345
    load = open("/proc/loadavg").read().split()[:3]
    print(f"== LFW fine-tune (make demo's recipe: MobileNetV2 ImageNet weights, frozen to features.17, {size}x{size}, "
          f"SGD + cyclic LR, batch 4, {epochs} epochs, seed {seed}); load average {' '.join(load)}")
    cas = run_caslite(binary, data_root, epochs, size, seed)
    caslib = os.path.join(data_root, "public")
    base = caslib if os.path.exists(os.path.join(caslib, cas["parts"][0][0])) else os.path.join(caslib, "lfw")
    counts = {p: sum(1 for _, q in cas["parts"] if int(float(q)) == p) for p in (2, 0, 1)}
    print(f"caslite: partition train {counts[2]}, validation {counts[0]}, test {counts[1]}; history:")
    for h in cas["history"]:
        print("  " + h)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as pf:
        for path, part in cas["parts"]:
            pf.write(f"{path} {part}\n")
    out = subprocess.run([python, os.path.join(HERE, "lfw_finetune.py"), base, pf.name,
                          os.path.join(caslib, "weights/mobilenet_v2-b0353104.pth"), str(epochs), str(size), str(seed), "2"],
                         capture_output=True, text=True)
    os.unlink(pf.name)
    sys.stdout.write(out.stdout)
    if out.returncode != 0:
        sys.stdout.write(out.stderr)
        sys.exit("the PyTorch run failed")
    m = re.search(r"RESULT side=pytorch .*train_s=(\S+) accuracy=(\S+)", out.stdout)
    t_train, t_acc = float(m.group(1)), float(m.group(2))
    load = open("/proc/loadavg").read().split()[:3]
    print(f"{'':30s} {'caslite (release, embedded)':>28s} {'PyTorch 2.13 CPU':>18s}")
    print(f"{'test accuracy (%, ' + str(counts[1]) + ' images)':30s} {cas['accuracy']:>28.1f} {t_acc:>18.1f}")
    print(f"{'training wall time (s)':30s} {cas['train_s']:>28.2f} {t_train:>18.2f}")
    print(f"training speed ratio (PyTorch time / caslite time): {t_train / cas['train_s']:.2f}; load average after: {' '.join(load)}")
    if "avx512_bf16" not in open("/proc/cpuinfo").read():
        print("SKIPPED caslite precision=BF16: this CPU has no AVX-512 BF16")
    else:
        bf = run_caslite(binary, data_root, epochs, size, seed, "BF16")
        gap = cas["accuracy"] - bf["accuracy"]
        print(f"caslite precision=BF16: test accuracy {bf['accuracy']:.1f} % (FP32 {cas['accuracy']:.1f} %, "
              f"{'within' if abs(gap) <= 2.5 else 'NOT within'} 2.5 points), training {bf['train_s']:.2f} s "
              f"(FP32 {cas['train_s']:.2f} s, speed-up {cas['train_s'] / bf['train_s']:.2f})")
        print(f"RESULT case=lfw-mobilenetv2-bf16 caslite_train_s={bf['train_s']:.3f} caslite_accuracy={bf['accuracy']:.2f}")
    print(f"RESULT case=lfw-mobilenetv2 caslite_train_s={cas['train_s']:.3f} caslite_accuracy={cas['accuracy']:.2f} "
          f"pytorch_train_s={t_train:.3f} pytorch_accuracy={t_acc:.2f} caslite_run_wall_s={cas['wall_s']:.2f}")


if __name__ == "__main__":
    main()
