"""DLEngine (bench/dlengine) against PyTorch CPU and onnxruntime, measured in the same run: every case
is its own process (so its peak resident memory, VmHWM, is that case's alone), caslite and its peers
back to back, `--repeat` rounds alternating between the sides; the median of the rounds is reported.

usage: compare.py DLENGINE_BENCH PYTHON ONNX_DIR [--threads 2] [--repeat 1] [--peak PEAK_BIN] [--cases A,B,...] [--profile]
  DLENGINE_BENCH  bench/dlengine/.build/release/dlengine-bench
  PYTHON          a python with torch 2.13 CPU, onnxruntime, onnx, numpy (the Makefile's .venv-bench)
  ONNX_DIR        where the random-weight ResNet-50 / MobileNetV2 ONNX files (and their quantize_static
                  INT8 versions) are; exported with PyTorch when missing
  PEAK_BIN        bench/peak/peak.c built: the machine's fp32/bf16/int8 peaks, so each figure also reads
                  as a fraction of what the cores can do
  --cases         only these cases (names from CASES, comma-separated); the caslite-only convolution and BLAS
                  sections run only without --cases
  --profile       also print caslite's time per layer kind for each case (one extra untimed run)

Prints one line per figure, e.g.
  resnet50 train b4: caslite 6.10 img/s, PyTorch 4.90 img/s, ratio 1.24 (goal >= 1.1)
"""
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# case: (label, sides besides caslite, goals {(side, fp32-case or None): ratio})
# "pytorch" for a -bf16 case is PyTorch's torch.autocast(cpu, bfloat16); "onnxruntime" for a -int8 case is
# onnxruntime's quantize_static model. Goals name the peer case they compare with (None: the same case).
CASES = {
    "resnet50-infer-b1": ("resnet50 inference b1", ["pytorch", "onnxruntime"], {}),
    "resnet50-infer-b4": ("resnet50 inference b4", ["pytorch", "onnxruntime"], {}),
    "resnet50-train-b4": ("resnet50 train b4 (fwd+bwd+SGD)", ["pytorch"], {("pytorch", None): 1.1}),
    "mobilenetv2-head-b4": ("mobilenetv2 head-only fine-tune b4", ["pytorch"], {}),
    "mobilenetv2-infer-b4": ("mobilenetv2 inference b4", ["pytorch", "onnxruntime"], {}),
    "mobilenetv2-train-b4": ("mobilenetv2 train b4 (fwd+bwd+SGD)", ["pytorch"], {}),
    "vgg16-infer-b4": ("vgg16 inference b4", ["pytorch", "onnxruntime"], {}),
    "vgg16-train-b4": ("vgg16 train b4 (fwd+bwd+SGD)", ["pytorch"], {}),
    "inceptionv3-infer-b4": ("inceptionv3 inference b4 (299x299)", ["pytorch", "onnxruntime"], {}),
    "inceptionv3-train-b4": ("inceptionv3 train b4 (299x299, fwd+bwd+SGD)", ["pytorch"], {}),
    "tinyyolov2-infer-b4": ("tinyyolov2 inference b4 (416x416, decoded)", ["pytorch", "onnxruntime"], {}),
    "tinyyolov2-train-b4": ("tinyyolov2 train b4 (416x416, YOLO v2 loss, fwd+bwd+SGD)", ["pytorch"], {}),
    "resnet50-train-b4-bf16": ("resnet50 train b4, BF16", ["pytorch"],
                               {("pytorch", "resnet50-train-b4"): 1.6, ("pytorch", None): 1.1}),
    "resnet50-infer-b4-bf16": ("resnet50 inference b4, BF16", ["pytorch"], {}),
    "resnet50-infer-b4-int8": ("resnet50 inference b4, INT8", ["onnxruntime"],
                               {("onnxruntime", "resnet50-infer-b4"): 2.0, ("onnxruntime", None): 1.1}),
    "mobilenetv2-infer-b4-int8": ("mobilenetv2 inference b4, INT8", ["onnxruntime"],
                                  {("onnxruntime", "mobilenetv2-infer-b4"): 2.0, ("onnxruntime", None): 1.1}),
}
PEER_NAME = {"pytorch": "PyTorch", "onnxruntime": "onnxruntime"}
# Nominal work per image (multiply-adds × 2) for the fraction-of-peak lines: ResNet-50 4.1 GMAC and MobileNetV2
# 0.30 GMAC per 224×224 forward, VGG16 15.5 GMAC, Inception v3 5.7 GMAC at 299×299, DLPy's Tiny YOLOv2 2.68 GMAC
# at 416×416 (its convolutions); a training step ≈ 3 forwards.
GFLOP = {"resnet50-infer": 8.2, "resnet50-train": 24.6, "mobilenetv2-infer": 0.6, "mobilenetv2-train": 1.8,
         "vgg16-infer": 31.0, "vgg16-train": 93.0, "inceptionv3-infer": 11.4, "inceptionv3-train": 34.2,
         "tinyyolov2-infer": 5.35, "tinyyolov2-train": 16.1}


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


def label_of(side, case):
    name = PEER_NAME.get(side, side)
    if case.endswith("-bf16") and side == "pytorch":
        return name + " autocast bf16"
    if case.endswith("-int8") and side == "onnxruntime":
        return name + " INT8 (quantize_static)"
    return name + (" FP32" if side != "caslite" else "")


def main():
    args = sys.argv[1:]
    threads, repeat, peak_bin, selected, profile = 2, 1, None, None, "--profile" in args
    if profile:
        args.remove("--profile")
    for flag in ("--threads", "--repeat", "--peak", "--cases"):
        if flag in args:
            i = args.index(flag)
            if flag == "--threads": threads = int(args[i + 1])
            elif flag == "--repeat": repeat = int(args[i + 1])
            elif flag == "--cases": selected = args[i + 1].split(",")
            else: peak_bin = args[i + 1]
            del args[i:i + 2]
    if len(args) != 3:
        sys.exit(__doc__)
    bench, python, onnx_dir = args
    if selected is not None:
        unknown = [c for c in selected if c not in CASES]
        if unknown:
            sys.exit(f"unknown case(s) {', '.join(unknown)}; cases: {', '.join(CASES)}")
    cases = {c: v for c, v in CASES.items() if selected is None or c in selected}
    peers = os.path.join(HERE, "peers.py")
    if any(c in cases for c in ("resnet50-infer-b1", "resnet50-infer-b4", "mobilenetv2-infer-b4")) or any("-int8" in c for c in cases):
        if not os.path.exists(os.path.join(onnx_dir, "mobilenetv2-int8.onnx")):
            run([python, peers, "export-onnx", onnx_dir])
    # the other networks' FP32 files, exported when a selected case needs one
    missing = sorted({c.split("-")[0] for c, (_, sides, _) in cases.items() if "onnxruntime" in sides}
                     - {"resnet50", "mobilenetv2"})
    missing = [n for n in missing if not os.path.exists(os.path.join(onnx_dir, n + ".onnx"))]
    if missing:
        run([python, peers, "export-onnx", onnx_dir] + missing)
    versions = run([python, "-c", "import torch, onnxruntime; print(torch.__version__, onnxruntime.__version__)"]).split()
    start_load = load()
    print(f"== DLEngine vs PyTorch {versions[0]} and onnxruntime {versions[1]} (CPU, {threads} threads, random weights, "
          f"224x224 unless noted, median of {repeat} process(es) per side); load average before: {start_load}", flush=True)
    peak = None
    if peak_bin and "avx512_bf16" in open("/proc/cpuinfo").read() and "avx512_vnni" in open("/proc/cpuinfo").read():
        peak = parse(run([peak_bin, str(threads)]), [peak_bin])
    elif peak_bin:
        print("  (no machine peak: this CPU lacks AVX-512 BF16 or VNNI, which bench/peak/peak.c uses)")
    if peak:
        print(f"  machine peak ({threads} threads, bench/peak/peak.c): fp32 {float(peak['fp32_gflops']):.0f} GFLOP/s, "
              f"bf16 {float(peak['bf16_gflops']):.0f} GFLOP/s, int8 {float(peak['int8_gops']):.0f} GOP/s", flush=True)
    env = dict(os.environ, ONNX_DIR=onnx_dir)
    results = {}
    for case, (label, sides, _) in cases.items():
        rounds = {s: [] for s in ["caslite"] + sides}
        for k in range(repeat):
            out = run([bench, "--case", case, "--threads", str(threads)] + (["--profile"] if profile and k == 0 else []))
            if profile and k == 0:
                sys.stdout.write("".join(line + "\n" for line in out.splitlines() if "by layer kind" in line))
            rounds["caslite"].append(parse(out, [bench, case]))
            for side in sides:
                rounds[side].append(parse(run([python, peers, side, case, str(threads)], env), [peers, side, case]))
            print(f"  {case} round {k + 1}: " + ", ".join(f"{s} {rs[-1]['ms']} ms" for s, rs in rounds.items())
                  + f" (load {load()})", flush=True)
        results[case] = {side: {key: statistics.median(float(r[key]) for r in rs) for key in ("img_s", "ms", "peak_mb", "base_mb")}
                         for side, rs in rounds.items()}
    print("-- speed (images per second; ratio = caslite ÷ peer, > 1 means caslite is faster)")
    for case, (label, sides, goals) in cases.items():
        r = results[case]
        c = r["caslite"]
        parts = [f"{label}: caslite {c['img_s']:.2f} img/s ({c['ms']:.1f} ms/batch)"]
        for side in sides:
            parts.append(f"{label_of(side, case)} {r[side]['img_s']:.2f} img/s, ratio {c['img_s'] / r[side]['img_s']:.2f}")
        for (side, other), goal in goals.items():
            if (other or case) not in results:
                continue
            peer = results[other or case][side]
            ratio = c["img_s"] / peer["img_s"]
            parts.append(f"goal vs {label_of(side, other or case)} >= {goal}: {ratio:.2f} {'met' if ratio >= goal else 'NOT met'}")
        if ("-bf16" in case or "-int8" in case) and case.rsplit("-", 1)[0] in results:
            base = results[case.rsplit("-", 1)[0]]["caslite"]
            parts.append(f"speed-up over caslite FP32 {c['img_s'] / base['img_s']:.2f}")
        key = case.replace("-bf16", "").replace("-int8", "").rsplit("-", 1)[0]
        if peak and key in GFLOP:
            achieved = GFLOP[key] * c["img_s"]
            limit = (float(peak["int8_gops"]) if case.endswith("-int8") else float(peak["bf16_gflops"]) if case.endswith("-bf16")
                     else float(peak["fp32_gflops"]))
            parts.append(f"{achieved:.0f} G(FL)OP/s nominal = {100 * achieved / limit:.0f} % of the "
                         f"{'int8' if case.endswith('-int8') else 'bf16' if case.endswith('-bf16') else 'fp32'} peak")
        print("; ".join(parts))
    print("-- peak memory (VmHWM of a process doing only that case; ratio = caslite ÷ peer, < 1 means caslite uses less)")
    for case, (label, sides, _) in cases.items():
        r = results[case]
        c = r["caslite"]
        line = f"{label}: caslite {c['peak_mb']:.0f} MB (model and run {c['peak_mb'] - c['base_mb']:.0f} MB)"
        for side in sides:
            p = r[side]
            line += f"; {label_of(side, case)} {p['peak_mb']:.0f} MB (ratio {c['peak_mb'] / p['peak_mb']:.2f}, run {p['peak_mb'] - p['base_mb']:.0f} MB)"
        if case == "resnet50-train-b4" and "pytorch" in r:
            line += f" (goal <= 1.0: {'met' if c['peak_mb'] / r['pytorch']['peak_mb'] <= 1.0 else 'NOT met'})"
        print(line)
    if selected is not None:
        print(f"load average after: {load()} (before: {start_load})")
        return
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
