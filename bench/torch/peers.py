"""The peers of bench/dlengine: one benchmark case per process, so the process's peak resident memory
(VmHWM) belongs to that case alone. Prints one machine-readable line:

  RESULT side=<pytorch|onnxruntime> case=<case> batch=<n> ms=<median> img_s=<n/median> min_ms=.. max_ms=..
         peak_mb=<VmHWM at the end> base_mb=<VmRSS after imports, before the model exists> threads=<n>

usage: peers.py pytorch CASE [threads]       CASE: any of CASES below, each also with the suffix -bf16:
                                             torch.autocast(cpu, bfloat16)
       peers.py onnxruntime CASE [threads]   CASE: an -infer- case, for resnet50 and mobilenetv2 also with -int8 (needs ONNX_DIR)
       peers.py export-onnx DIR [NET...]     random-weight models, opset 17, dynamic batch: DIR/<net>.onnx for NET in
                                             resnet50 (2 classes), mobilenetv2 (1000 classes), vgg16, inceptionv3 (2
                                             classes), tinyyolov2 (its output decoded as the detection layer does);
                                             default resnet50 and mobilenetv2, which also get DIR/<net>-int8.onnx from
                                             onnxruntime's quantize_static (QDQ, per-channel s8 weights, u8 activations,
                                             calibrated on 8 other seeded random images, as dlengine-bench calibrates)

Same protocol as dlengine-bench --case: random weights, a seeded random batch (224x224; Inception v3
299x299; Tiny YOLOv2 416x416 pixels in 0..255), `warm` untimed runs, then the median of `runs` timed runs.
Training steps are zero_grad, forward, cross-entropy, backward, SGD (lr 1e-3, momentum 0.9) on a 2-class
head; Tiny YOLOv2's loss is models.yolo_v2_loss (the engine's YOLO v2 loss) on seeded random truth boxes. The head-only MobileNetV2 step freezes
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
    "mobilenetv2-train-b4": (4, 3, 10),
    "vgg16-infer-b4": (4, 2, 5),
    "vgg16-train-b4": (4, 2, 5),
    "inceptionv3-infer-b4": (4, 2, 5),
    "inceptionv3-train-b4": (4, 2, 5),
    "tinyyolov2-infer-b4": (4, 3, 10),
    "tinyyolov2-train-b4": (4, 2, 5),
}


def net_of(case):
    """The network a case runs: the name up to -infer-/-train-/-head-."""
    return case.split("-")[0]


def make_model(net, classes=None):
    """The PyTorch twin a case of `net` runs, with the classes dlengine-bench builds it with (MobileNetV2 inference:
    1000, every classifier's training step and the other inference cases: 2; Tiny YOLOv2: 20 object classes)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import models
    if net == "tinyyolov2":
        return models.TinyYoloV2()
    make = {"resnet50": models.ResNet50, "mobilenetv2": models.MobileNetV2, "vgg16": models.VGG16, "inceptionv3": models.InceptionV3}[net]
    return make(classes or (1000 if net == "mobilenetv2" else 2))


def input_batch(net, batch):
    """The seeded random input of a case: [-0.5, 0.5) at the net's size, or 0..255 pixels for Tiny YOLOv2 (it scales by 1/255)."""
    size = {"inceptionv3": 299, "tinyyolov2": 416}.get(net, 224)
    lo, hi = (0, 255) if net == "tinyyolov2" else (-0.5, 0.5)
    return np.random.default_rng(5).uniform(lo, hi, (batch, 3, size, size)).astype(np.float32)


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
    from models import MobileNetV2, random_boxes, yolo_v2_loss
    torch.set_num_threads(threads)
    base = status_mb("VmRSS")
    if case not in CASES:
        sys.exit(f"unknown case {case}")
    batch, warm, runs = CASES[case]
    net = net_of(case)
    torch.manual_seed(0)
    x = torch.from_numpy(input_batch(net, batch))
    y = torch.arange(batch) % 2
    loss = nn.CrossEntropyLoss()
    if net == "tinyyolov2":
        boxes = random_boxes(batch)
        loss = lambda raw, _: yolo_v2_loss(m, raw, boxes)   # noqa: E731
    if "-infer-" in case:
        m = make_model(net).eval()
        post = m.decode if net == "tinyyolov2" else (lambda out: out)

        def fn():
            with torch.inference_mode(), amp():
                post(m(x))
    elif "-train-" in case:
        m = make_model(net, classes=2).train()
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
    x = input_batch(net, batch)
    report("onnxruntime", case, batch, timed(lambda: sess.run(None, {name: x}), warm, runs), base, threads)


def export_onnx(folder, nets=("resnet50", "mobilenetv2")):
    import torch
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    os.makedirs(folder, exist_ok=True)

    class Decoded(torch.nn.Module):
        """Tiny YOLOv2 with the detection layer's decoding, as the engine's inference output."""

        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m.decode(self.m(x))

    class Reader(CalibrationDataReader):
        def __init__(self):
            rng = np.random.default_rng(9)
            self.batches = iter([{"input": rng.uniform(-0.5, 0.5, (1, 3, 224, 224)).astype(np.float32)} for _ in range(8)])

        def get_next(self):
            return next(self.batches, None)

    for net in nets:
        torch.manual_seed(0)
        m = make_model(net).eval()
        if net == "tinyyolov2":
            m = Decoded(m).eval()
        path = os.path.join(folder, net + ".onnx")
        torch.onnx.export(m, torch.from_numpy(input_batch(net, 1)), path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=17, dynamo=False)
        if net not in ("resnet50", "mobilenetv2"):
            print(f"wrote {path}")
            continue
        q = os.path.join(folder, net + "-int8.onnx")
        quantize_static(path, q, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        print(f"wrote {path} and {q}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    side, arg = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 and side != "export-onnx" else 2
    if side == "export-onnx":
        export_onnx(arg, *([tuple(sys.argv[3:])] if len(sys.argv) > 3 else []))
    elif side == "pytorch":
        run_pytorch(arg, threads)
    elif side == "onnxruntime":
        run_onnxruntime(arg, threads)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
