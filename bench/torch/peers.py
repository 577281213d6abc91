"""The peers of bench/dlengine: one benchmark case per process, so the process's peak resident memory
(VmHWM) belongs to that case alone. Prints one machine-readable line:

  RESULT side=<pytorch|onnxruntime> case=<case> batch=<n> ms=<median> img_s=<n/median> min_ms=.. max_ms=..
         peak_mb=<VmHWM at the end> base_mb=<VmRSS after imports, before the model exists> threads=<n>

usage: peers.py pytorch CASE [threads]       CASE: resnet50-infer-b1 | resnet50-infer-b4 | resnet50-train-b4 |
                                                   mobilenetv2-head-b4
                                             each also with the suffix -bf16: torch.autocast(cpu, bfloat16)
       peers.py onnxruntime CASE [threads]   CASE: resnet50-infer-b1 | resnet50-infer-b4 | mobilenetv2-infer-b4, each also
                                             with -int8 (needs ONNX_DIR)
       peers.py export-onnx DIR              random-weight ResNet-50 (2 classes) and MobileNetV2 (1000 classes), torchvision
                                             topology, opset 17, dynamic batch: DIR/<net>.onnx, and DIR/<net>-int8.onnx from
                                             onnxruntime's quantize_static (QDQ, per-channel s8 weights, u8 activations,
                                             calibrated on 8 other seeded random images, as dlengine-bench calibrates)

Same protocol as dlengine-bench --case: random weights, a seeded random 224x224 batch, `warm` untimed
runs, then the median of `runs` timed runs. Training steps are zero_grad, forward, cross-entropy,
backward, SGD (lr 1e-3, momentum 0.9) on a 2-class head. The head-only MobileNetV2 step freezes
every parameter but classifier.1 and keeps the frozen part in eval mode (running BN statistics),
which is what the engine does with frozen layers.
"""
import os
import statistics
import sys
import time

import numpy as np

# (batch, warm-up runs, timed runs); dlengine-bench uses the same table.
CASES = {
    "resnet50-infer-b1": (1, 3, 10),
    "resnet50-infer-b4": (4, 2, 5),
    "resnet50-train-b4": (4, 2, 5),
    "mobilenetv2-head-b4": (4, 3, 10),
    "mobilenetv2-infer-b4": (4, 3, 10),
}


def status_mb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def timed(fn, warm, runs):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts), max(ts)


def report(side, case, batch, t, base, threads):
    med, lo, hi = t
    print(f"RESULT side={side} case={case} batch={batch} ms={med * 1e3:.2f} img_s={batch / med:.3f} "
          f"min_ms={lo * 1e3:.2f} max_ms={hi * 1e3:.2f} peak_mb={status_mb('VmHWM'):.1f} base_mb={base:.1f} threads={threads}",
          flush=True)


def run_pytorch(case, threads):
    import contextlib

    import torch
    import torch.nn as nn
    bf16 = case.endswith("-bf16")
    if bf16:
        case = case[:-5]
    # PyTorch's own mixed precision on the CPU: autocast runs convolutions and linear layers in bfloat16.
    amp = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from models import MobileNetV2, ResNet50
    torch.set_num_threads(threads)
    base = status_mb("VmRSS")
    batch, warm, runs = CASES[case]
    torch.manual_seed(0)
    x = torch.from_numpy(np.random.default_rng(5).uniform(-0.5, 0.5, (batch, 3, 224, 224)).astype(np.float32))
    y = torch.arange(batch) % 2
    loss = nn.CrossEntropyLoss()
    if case.startswith("resnet50-infer") or case == "mobilenetv2-infer-b4":
        m = (ResNet50(2) if case.startswith("resnet50") else MobileNetV2(1000)).eval()

        def fn():
            with torch.inference_mode(), amp():
                m(x)
    elif case == "resnet50-train-b4":
        m = ResNet50(2).train()
        opt = torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9)

        def fn():
            opt.zero_grad(set_to_none=True)
            with amp():
                out = loss(m(x), y)
            out.backward()
            opt.step()
    elif case == "mobilenetv2-head-b4":
        m = MobileNetV2(2)
        for p in m.parameters():
            p.requires_grad_(False)
        head = m.classifier[1]
        for p in head.parameters():
            p.requires_grad_(True)
        m.eval()
        m.classifier.train()          # dropout active, as in the engine's training forward
        opt = torch.optim.SGD(head.parameters(), lr=1e-3, momentum=0.9)

        def fn():
            opt.zero_grad(set_to_none=True)
            with amp():
                out = loss(m(x), y)
            out.backward()
            opt.step()
    else:
        sys.exit(f"unknown case {case}")
    report("pytorch", case + ("-bf16" if bf16 else ""), batch, timed(fn, warm, runs), base, threads)


def run_onnxruntime(case, threads):
    import onnxruntime as ort
    base = status_mb("VmRSS")
    int8 = case.endswith("-int8")
    base_case = case[:-5] if int8 else case
    if "-infer-" not in base_case:
        sys.exit(f"onnxruntime runs inference cases only, not {case}")
    net = base_case.split("-infer-")[0]
    path = os.path.join(os.environ.get("ONNX_DIR", ""), net + ("-int8" if int8 else "") + ".onnx")
    if not os.path.exists(path):
        sys.exit(f"{path} is missing: set ONNX_DIR to the folder `peers.py export-onnx` wrote")
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    batch, warm, runs = CASES[base_case]
    x = np.random.default_rng(5).uniform(-0.5, 0.5, (batch, 3, 224, 224)).astype(np.float32)
    report("onnxruntime", case, batch, timed(lambda: sess.run(None, {name: x}), warm, runs), base, threads)


def export_onnx(folder):
    import torch
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from models import MobileNetV2, ResNet50
    os.makedirs(folder, exist_ok=True)

    class Reader(CalibrationDataReader):
        def __init__(self):
            rng = np.random.default_rng(9)
            self.batches = iter([{"input": rng.uniform(-0.5, 0.5, (1, 3, 224, 224)).astype(np.float32)} for _ in range(8)])

        def get_next(self):
            return next(self.batches, None)

    for net, make in (("resnet50", lambda: ResNet50(2)), ("mobilenetv2", lambda: MobileNetV2(1000))):
        torch.manual_seed(0)
        m = make().eval()
        path = os.path.join(folder, net + ".onnx")
        torch.onnx.export(m, torch.randn(1, 3, 224, 224), path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=17, dynamo=False)
        q = os.path.join(folder, net + "-int8.onnx")
        quantize_static(path, q, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        print(f"wrote {path} and {q}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    side, arg = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    if side == "export-onnx":
        export_onnx(arg)
    elif side == "pytorch":
        run_pytorch(arg, threads)
    elif side == "onnxruntime":
        run_onnxruntime(arg, threads)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
