"""DLEngine (bench/dlengine) against PyTorch CPU and onnxruntime, measured in the same run: every case
is its own process (so its peak resident memory, VmHWM, is that case's alone), caslite and its peers
back to back, `--repeat` rounds alternating between the sides; the median of the rounds is reported.

usage: compare.py DLENGINE_BENCH PYTHON ONNX_PATH [--threads 2] [--repeat 1]
  DLENGINE_BENCH  bench/dlengine/.build/release/dlengine-bench
  PYTHON          a python with torch 2.13 CPU, onnxruntime, onnx, numpy (the Makefile's .venv-bench)
  ONNX_PATH       where the random-weight ResNet-50 ONNX file is (exported with PyTorch when missing)

Prints one line per figure, e.g.
  resnet50 train b4: caslite 6.10 img/s, PyTorch 4.90 img/s, ratio 1.24 (goal >= 1.1)
"""
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# case, label, onnxruntime too?, speed goal vs PyTorch, memory goal vs PyTorch
CASES = [
    ("resnet50-infer-b1", "resnet50 inference b1", True, None, None),
    ("resnet50-infer-b4", "resnet50 inference b4", True, None, None),
    ("resnet50-train-b4", "resnet50 train b4 (fwd+bwd+SGD)", False, 1.1, 1.0),
    ("mobilenetv2-head-b4", "mobilenetv2 head-only fine-tune b4", False, None, None),
    # bf16 (issue: past the FP32 wall): caslite precision=BF16 against PyTorch's autocast bfloat16
    ("resnet50-infer-b4-bf16", "resnet50 inference b4, bf16", False, None, None),
    ("resnet50-train-b4-bf16", "resnet50 train b4, bf16 mixed precision", False, None, None),
]
# caslite only (no same-recipe int8 peer here): against the FP32 figures of the same run
INT8_CASES = [("resnet50-infer-b4-int8", "resnet50 inference b4, int8 (calibrated PTQ)", "resnet50-infer-b4")]
# bf16 cases also compared with the FP32 figures of the same run (both sides)
FP32_OF = {"resnet50-infer-b4-bf16": "resnet50-infer-b4", "resnet50-train-b4-bf16": "resnet50-train-b4"}


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def parse(out, cmd):
    m = re.search(r"^RESULT (.*)$", out, re.M)
    if not m:
        sys.stdout.write(out)
        sys.exit(f"no RESULT line from {' '.join(cmd)}")
    return dict(kv.split("=", 1) for kv in m.group(1).split())


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.stdout.write(p.stdout + p.stderr)
        sys.exit(f"failed: {' '.join(cmd)}")
    return p.stdout


def main():
    args = sys.argv[1:]
    threads, repeat = 2, 1
    if "--threads" in args:
        i = args.index("--threads"); threads = int(args[i + 1]); del args[i:i + 2]
    if "--repeat" in args:
        i = args.index("--repeat"); repeat = int(args[i + 1]); del args[i:i + 2]
    if len(args) != 3:
        sys.exit(__doc__)
    bench, python, onnx = args
    peers = os.path.join(HERE, "peers.py")
    if not os.path.exists(onnx):
        run([python, peers, "export-onnx", onnx])
    versions = run([python, "-c", "import torch, onnxruntime; print(torch.__version__, onnxruntime.__version__)"]).split()
    start_load = load()
    print(f"== DLEngine vs PyTorch {versions[0]} and onnxruntime {versions[1]} (CPU, {threads} threads, random weights, "
          f"224x224, median of {repeat} process(es) per side); load average before: {start_load}", flush=True)
    env_ort = dict(os.environ, ONNX_MODEL=onnx)
    results = {}
    for case, label, ort, _, _ in CASES:
        rounds = {"caslite": [], "pytorch": [], "onnxruntime": []}
        for k in range(repeat):
            rounds["caslite"].append(parse(run([bench, "--case", case, "--threads", str(threads)]), [bench, case]))
            rounds["pytorch"].append(parse(run([python, peers, "pytorch", case, str(threads)]), [peers, case]))
            if ort:
                rounds["onnxruntime"].append(parse(run([python, peers, "onnxruntime", case, str(threads)], env_ort), [peers, case]))
            print(f"  {case} round {k + 1}: " + ", ".join(f"{side} {rs[-1]['ms']} ms" for side, rs in rounds.items() if rs)
                  + f" (load {load()})", flush=True)
        results[case] = {side: {"img_s": statistics.median(float(r["img_s"]) for r in rs),
                                "ms": statistics.median(float(r["ms"]) for r in rs),
                                "peak_mb": statistics.median(float(r["peak_mb"]) for r in rs),
                                "base_mb": statistics.median(float(r["base_mb"]) for r in rs)}
                         for side, rs in rounds.items() if rs}
    print("-- speed (images per second; ratio = caslite ÷ peer, > 1 means caslite is faster)")
    for case, label, ort, goal, _ in CASES:
        r = results[case]
        c, t = r["caslite"], r["pytorch"]
        line = (f"{label}: caslite {c['img_s']:.2f} img/s ({c['ms']:.1f} ms/batch), PyTorch {t['img_s']:.2f} img/s, "
                f"ratio {c['img_s'] / t['img_s']:.2f}")
        if ort:
            o = r["onnxruntime"]
            line += f"; onnxruntime {o['img_s']:.2f} img/s, ratio {c['img_s'] / o['img_s']:.2f}"
        if goal:
            line += f" (goal >= {goal}: {'met' if c['img_s'] / t['img_s'] >= goal else 'NOT met'})"
        if case in FP32_OF:
            c32, t32 = results[FP32_OF[case]]["caslite"], results[FP32_OF[case]]["pytorch"]
            line += (f"; vs FP32 PyTorch ratio {c['img_s'] / t32['img_s']:.2f}; speed-up over caslite FP32 "
                     f"{c['img_s'] / c32['img_s']:.2f}, PyTorch's over its FP32 {t['img_s'] / t32['img_s']:.2f}")
        print(line)
    for case, label, fp32 in INT8_CASES:
        r = parse(run([bench, "--case", case, "--threads", str(threads)]), [bench, case])
        c32, t32, o32 = results[fp32]["caslite"], results[fp32]["pytorch"], results[fp32]["onnxruntime"]
        img_s = float(r["img_s"])
        print(f"{label}: caslite {img_s:.2f} img/s ({float(r['ms']):.1f} ms/batch); vs caslite FP32 {img_s / c32['img_s']:.2f}, "
              f"vs PyTorch FP32 {img_s / t32['img_s']:.2f}, vs onnxruntime FP32 {img_s / o32['img_s']:.2f} (one process, load {load()})")
    print("-- peak memory (VmHWM of a process doing only that case: the binary or interpreter with its libraries, "
          "weights, activations, gradients, optimizer state; ratio = caslite ÷ peer, < 1 means caslite uses less)")
    for case, label, ort, _, goal in CASES:
        r = results[case]
        c, t = r["caslite"], r["pytorch"]
        line = (f"{label}: caslite {c['peak_mb']:.0f} MB, PyTorch {t['peak_mb']:.0f} MB, ratio {c['peak_mb'] / t['peak_mb']:.2f}; "
                f"above the process before the model (caslite {c['base_mb']:.0f} MB, PyTorch after import {t['base_mb']:.0f} MB): "
                f"{c['peak_mb'] - c['base_mb']:.0f} vs {t['peak_mb'] - t['base_mb']:.0f} MB")
        if ort:
            o = r["onnxruntime"]
            line += f"; onnxruntime {o['peak_mb']:.0f} MB"
        if goal:
            line += f" (goal <= {goal}: {'met' if c['peak_mb'] / t['peak_mb'] <= goal else 'NOT met'})"
        print(line)
    print("-- convolutions and BLAS (caslite only)")
    sys.stdout.write(run([bench, "--case", "conv-b4", "--threads", str(threads)]).split("RESULT")[0])
    sys.stdout.write(run([bench, "--case", "threads", "--threads", str(threads)]).split("RESULT")[0])
    pthread = "/usr/lib/x86_64-linux-gnu/openblas-pthread"
    if os.path.isdir(pthread):
        print("  the same with the pthread OpenBLAS forced in (LD_LIBRARY_PATH, what the one-pool choice avoids):")
        out = run([bench, "--case", "threads", "--threads", str(threads)], dict(os.environ, LD_LIBRARY_PATH=pthread))
        sys.stdout.write("  " + out.split("RESULT")[0])
    print(f"load average after: {load()} (before: {start_load})")


if __name__ == "__main__":
    main()
