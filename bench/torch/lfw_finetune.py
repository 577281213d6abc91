"""`make demo`'s fine-tuning recipe (examples/covid-ct/pipeline.casl with model=mobilenetv2, size=64,
epochs=6) in PyTorch, on the same images and the same train/validation/test partition, for
bench/torch/lfw_compare.py.

The recipe, step by step as pipeline.casl does it:
  1. the class-folder PNGs (scripts/demo/make_lfw_folders.py: 25x25 gray LFW faces / non-faces);
  2. image.processImages: decode to 3 equal channels, RESIZE to size x size (bilinear with half-pixel
     centres, OpenCV INTER_LINEAR, float32 arithmetic, rounded) then NORMALIZE MINMAX to 0..255 per
     image (rounded) -- mirrored below operation by operation, so the uint8 pixels are the same;
  3. the partition caslite's sampling.srs made (read from a file: `path part` per line, part 2 =
     train, 0 = validation, 1 = test);
  4. torchvision MobileNetV2 (bench/torch/models.py) with the ImageNet weights of
     mobilenet_v2-b0353104.pth except the 1000-class head, a new 2-class classifier.1 initialised as
     the engine does (normal, std sqrt(2/fan_in), bias 0); input x/255, ImageNet mean/std;
  5. freezeLayersTo="features.17.conv.3": features.0 .. features.17 frozen and in eval mode (running
     BN statistics, as the engine's frozen batch norms); features.18 (1x1 conv + BN) and the
     classifier (dropout 0.2 + linear) train;
  6. SGD momentum 0.9, no weight decay, batch 4, CyclicLR triangular from 0.0001 to 0.002 with
     step_size_up = batches per epoch (ceil(train/4)), stepped every batch, momentum not cycled;
     `epochs` epochs; the training rows shuffled every epoch; the validation rows scored after
     every epoch (batch 4, inference mode);
  7. test accuracy in inference mode (batch 16, dlScore's bufferSize).
What differs by construction: the random streams (head initialisation, shuffling order, dropout
masks) are torch's, not the engine's Xoshiro256, so the two runs see the batches in another order.

usage: lfw_finetune.py DATA_DIR PARTITION_FILE WEIGHTS.pth [epochs=6] [size=64] [seed=12345] [threads=2]
Prints the history, then
  RESULT side=pytorch case=lfw-mobilenetv2 train_s=<wall time of the epochs incl. validation> accuracy=<test %> ...
"""
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import MobileNetV2  # noqa: E402

F32 = np.float32


def linear_taps(src, dst):
    """ImageCodec's Image.linearTaps: src = (d + 0.5)·src/dst − 0.5 clamped to [0, src−1], in float32."""
    scale = F32(src) / F32(dst)
    s = (np.arange(dst, dtype=F32) + F32(0.5)) * scale - F32(0.5)
    s = np.minimum(np.maximum(s, F32(0)), F32(src - 1))
    i0 = s.astype(np.int64)
    return i0, np.minimum(i0 + 1, src - 1), (s - i0.astype(F32)).astype(F32)


def round_clamp_u8(v):
    """ImageCodec's roundClampU8: floor(v + 0.5) clamped to 0...255 (float32)."""
    return np.clip(np.floor(v.astype(F32) + F32(0.5)), 0, 255).astype(np.uint8)


def resize_bilinear(img, dw, dh):
    """Image.resizeBilinear: vertical pass into a float row, then horizontal, rounded to uint8."""
    h, w = img.shape[:2]
    if (w, h) == (dw, dh):
        return img
    src = img.astype(F32)
    y0, y1, fy = linear_taps(h, dh)
    x0, x1, fx = linear_taps(w, dw)
    fy = fy[:, None, None]
    v = (F32(1) - fy) * src[y0] + fy * src[y1]                     # [dh, w, c]
    fx = fx[None, :, None]
    return round_clamp_u8((F32(1) - fx) * v[:, x0] + fx * v[:, x1])


def normalize_minmax(img, alpha=0.0, beta=255.0):
    """Image.normalizedMinMax: a 256-entry table in double, rounded through float32."""
    lo, hi = min(alpha, beta), max(alpha, beta)
    smin, smax = int(img.min()), int(img.max())
    if smax <= smin:
        table = np.full(256, lo)
    else:
        t = (np.arange(256, dtype=np.float64) - smin) / (smax - smin)
        table = lo * (1 - t) + hi * t
    return round_clamp_u8(table.astype(F32))[img]


def load_image(path, size):
    gray = np.asarray(Image.open(path).convert("L"), dtype=np.uint8)
    bgr = np.repeat(gray[:, :, None], 3, axis=2)                  # decode as BGR: gray replicated
    return normalize_minmax(resize_bilinear(bgr, size, size))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    data_dir, part_file, weights = sys.argv[1:4]
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 6
    size = int(sys.argv[5]) if len(sys.argv) > 5 else 64
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 12345
    threads = int(sys.argv[7]) if len(sys.argv) > 7 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(seed)

    parts = {0: [], 1: [], 2: []}
    for line in open(part_file):
        if line.strip():
            path, part = line.rsplit(None, 1)
            parts[int(float(part))].append(path)
    levels = sorted({p.replace("\\", "/").split("/")[-2] for ps in parts.values() for p in ps})   # class = folder
    index = {lv: i for i, lv in enumerate(levels)}
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def tensors(paths):
        px = np.stack([load_image(os.path.join(data_dir, p), size) for p in paths])     # [N, H, W, 3] uint8
        x = torch.from_numpy(px.astype(np.float32)).permute(0, 3, 1, 2).contiguous()
        y = torch.tensor([index[p.replace("\\", "/").split("/")[-2]] for p in paths])
        return (x / 255 - mean) / std, y

    xtr, ytr = tensors(parts[2])
    xva, yva = tensors(parts[0])
    xte, yte = tensors(parts[1])

    model = MobileNetV2(num_classes=len(levels))
    state = torch.load(weights, map_location="cpu")
    state = {k: v for k, v in state.items() if not k.startswith("classifier.1.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert sorted(missing) == ["classifier.1.bias", "classifier.1.weight"] and not unexpected, (missing, unexpected)
    head = model.classifier[1]
    with torch.no_grad():
        head.weight.normal_(0, math.sqrt(2 / head.in_features))
        head.bias.zero_()
    frozen = model.features[:18]                                   # features.0 .. features.17 (up to features.17.conv.3)
    for p in frozen.parameters():
        p.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]

    def train_mode():
        model.train()
        frozen.eval()

    batch = 4
    steps = math.ceil(len(ytr) / batch)
    opt = torch.optim.SGD(trainable, lr=0.0001, momentum=0.9)
    sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.0001, max_lr=0.002, step_size_up=steps, mode="triangular",
                                              cycle_momentum=False)
    lossf = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)

    def evaluate(x, y, bs):
        model.eval()
        loss, wrong = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(y), bs):
                out = model(x[i:i + bs])
                loss += lossf(out, y[i:i + bs]).item() * len(out)
                wrong += (out.argmax(1) != y[i:i + bs]).sum().item()
        return loss / len(y), wrong / len(y)

    print(f"PyTorch {torch.__version__}, {threads} threads: train {len(ytr)}, validation {len(yva)}, test {len(yte)} images "
          f"({', '.join(levels)}), {epochs} epochs, batch {batch}, {sum(p.numel() for p in trainable)} trainable parameters")
    t0 = time.perf_counter()
    for epoch in range(epochs):
        train_mode()
        order = torch.randperm(len(ytr), generator=gen)
        first_lr, loss_sum, wrong = opt.param_groups[0]["lr"], 0.0, 0
        for b in range(steps):
            ids = order[b * batch:(b + 1) * batch]
            out = model(xtr[ids])
            loss = lossf(out, ytr[ids])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(ids)
            wrong += (out.argmax(1) != ytr[ids]).sum().item()
        vl, ve = evaluate(xva, yva, batch)
        print(f"  epoch {epoch}: learning rate {first_lr:.6f}, loss {loss_sum / len(ytr):.6f}, fit error {100 * wrong / len(ytr):.2f}%, "
              f"valid loss {vl:.6f}, valid error {100 * ve:.2f}%", flush=True)
    train_s = time.perf_counter() - t0
    _, te = evaluate(xte, yte, 16)
    print(f"RESULT side=pytorch case=lfw-mobilenetv2 train_s={train_s:.3f} accuracy={100 * (1 - te):.2f} "
          f"test_images={len(yte)} train_images={len(ytr)} valid_error={100 * ve:.2f} threads={threads}", flush=True)


if __name__ == "__main__":
    main()
