"""torchvision's ResNet-50, MobileNetV2, VGG16 and Inception v3, and DLPy's Tiny YOLOv2, in plain torch, with torchvision's module names (so a
torchvision state dict such as mobilenet_v2-b0353104.pth loads with strict=True) and torchvision's
default initialisation.

Why not torchvision itself: PyPI's torchvision wheel for torch 2.13 is a CUDA build that does not
import next to the CPU torch wheel (`import torchvision` fails: "operator torchvision::nms does not
exist", its CUDA `_C` does not load). The
topology here is checked against torchvision (same state-dict names and shapes, same outputs for
the same weights) by `python models.py --check` where torchvision imports.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import numpy as np

# The topology is defined once, in the parity-fixture script (which checks it against the engine);
# here it gets torchvision's widths and default initialisation.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts/fixtures"))
from make_parity_fixtures import Bottleneck, MobileNetV2 as _MobileNetV2, ResNet  # noqa: E402


def _torchvision_init(model, relu_gain):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", **({"nonlinearity": "relu"} if relu_gain else {}))
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and not relu_gain:
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


class ResNet50(ResNet):
    """torchvision resnet50 ("v1.5": the stride sits on the 3x3 convolution)."""

    def __init__(self, num_classes=1000):
        super().__init__(Bottleneck, [3, 4, 6, 3], num_classes, 64)
        _torchvision_init(self, relu_gain=True)


class MobileNetV2(_MobileNetV2):
    """torchvision mobilenet_v2, width 1.0."""

    def __init__(self, num_classes=1000, dropout=0.2):
        super().__init__(num_classes, 1.0, dropout)
        _torchvision_init(self, relu_gain=False)


class VGG16(nn.Module):
    """torchvision vgg16 (configuration D, no batch norm): features.<i>, avgpool, classifier.{0,3,6}."""

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        layers, c = [], 3
        for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(dropout),
                                        nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(dropout), nn.Linear(4096, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class _BasicConv2d(nn.Module):
    def __init__(self, cin, cout, **kw):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class _InceptionA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = _BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = _BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = _BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = _BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = _BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = _BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = _BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          self.branch_pool(F.avg_pool2d(x, 3, 1, 1))], 1)


class _InceptionB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = _BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = _BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = _BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = _BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, 3, 2)], 1)


class _InceptionC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = _BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = _BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = _BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = _BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = _BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = _BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = _BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = _BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = _BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = _BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for m in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = m(bd)
        return torch.cat([self.branch1x1(x), b7, bd, self.branch_pool(F.avg_pool2d(x, 3, 1, 1))], 1)


class _InceptionD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = _BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = _BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = _BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = _BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = _BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = _BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, 3, 2)], 1)


class _InceptionE(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch1x1 = _BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = _BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = _BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = _BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = _BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = _BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = _BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = _BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = _BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return torch.cat([self.branch1x1(x), torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1),
                          torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1),
                          self.branch_pool(F.avg_pool2d(x, 3, 1, 1))], 1)


class InceptionV3(nn.Module):
    """torchvision inception_v3(aux_logits=False, transform_input=False, init_weights=True), 299x299 input."""

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.Conv2d_1a_3x3 = _BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = _BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = _BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(3, 2)
        self.Conv2d_3b_1x1 = _BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = _BasicConv2d(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(3, 2)
        self.Mixed_5b = _InceptionA(192, 32)
        self.Mixed_5c = _InceptionA(256, 64)
        self.Mixed_5d = _InceptionA(288, 64)
        self.Mixed_6a = _InceptionB(288)
        self.Mixed_6b = _InceptionC(768, 128)
        self.Mixed_6c = _InceptionC(768, 160)
        self.Mixed_6d = _InceptionC(768, 160)
        self.Mixed_6e = _InceptionC(768, 192)
        self.Mixed_7a = _InceptionD(768)
        self.Mixed_7b = _InceptionE(1280)
        self.Mixed_7c = _InceptionE(2048)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2048, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.1, a=-2, b=2)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        for name, m in self.named_children():
            if name == "fc":
                x = torch.flatten(x, 1)
            x = m(x)
        return x


# Tiny YOLO v2's anchors for 20 classes (ModelBuilders.tinyYoloV2VOCAnchors), width then height in grid cells.
VOC_ANCHORS = [1.08, 1.19, 3.42, 4.41, 6.63, 11.38, 9.42, 5.11, 16.62, 10.52]


class TinyYoloV2(nn.Module):
    """DLPy's Tiny_YoloV2 (ModelBuilders.tinyYoloV2Layers): conv1..conv8 (3x3, no bias) + bn + leaky 0.1, 2x2 max
    pooling after the first six (the sixth stride 1, padded one row and column after the image), conv9 1x1 to
    anchors x (5 + classes) channels. forward returns the raw map [N, A*(5+C), 13, 13]; decode() is the detection
    layer's output (YoloDetectionLayer.forward), yolo_v2_loss() its loss."""

    def __init__(self, n_classes=20, anchors=VOC_ANCHORS, widths=(16, 32, 64, 128, 256, 512, 1024, 512)):
        super().__init__()
        self.n_classes, self.anchors = n_classes, list(anchors)
        c = 3
        for i, w in enumerate(widths, 1):
            setattr(self, f"conv{i}", nn.Conv2d(c, w, 3, padding=1, bias=False))
            setattr(self, f"bn{i}", nn.BatchNorm2d(w))
            c = w
        self.depth = len(widths)
        setattr(self, f"conv{self.depth + 1}", nn.Conv2d(c, len(self.anchors) // 2 * (5 + n_classes), 1, bias=False))

    def forward(self, x):
        x = x * (1.0 / 255)                     # DLPy's input scale
        for i in range(1, self.depth + 1):
            x = F.leaky_relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)), 0.1)
            if i < 6:
                x = F.max_pool2d(x, 2, 2)
            elif i == 6:
                x = F.max_pool2d(F.pad(x, (0, 1, 0, 1), value=float("-inf")), 2, 1)
        return getattr(self, f"conv{self.depth + 1}")(x)

    def _split(self, raw):
        n, _, gh, gw = raw.shape
        a = len(self.anchors) // 2
        return raw.view(n, a, 5 + self.n_classes, gh, gw).permute(0, 3, 4, 1, 2)   # [N, H, W, A, 5+C]

    def decode(self, raw):
        """Boxes (centre x, y, w, h image-relative), objectness and class probabilities, [N, H, W, A, 5+C]."""
        p = self._split(raw)
        gh, gw = p.shape[1], p.shape[2]
        col = torch.arange(gw, dtype=p.dtype).view(1, 1, gw, 1)
        row = torch.arange(gh, dtype=p.dtype).view(1, gh, 1, 1)
        anc = torch.tensor(self.anchors, dtype=p.dtype).view(-1, 2)
        x = (col + torch.sigmoid(p[..., 0])) / gw
        y = (row + torch.sigmoid(p[..., 1])) / gh
        w = anc[:, 0] * torch.exp(p[..., 2].clamp(max=20)) / gw
        h = anc[:, 1] * torch.exp(p[..., 3].clamp(max=20)) / gh
        return torch.cat([torch.stack([x, y, w, h, torch.sigmoid(p[..., 4])], -1), torch.softmax(p[..., 5:], -1)], -1)


def _iou(a, b):
    """IoU of centre-size boxes, broadcasting over leading axes (last axis x, y, w, h)."""
    ix = (torch.minimum(a[..., 0] + a[..., 2] / 2, b[..., 0] + b[..., 2] / 2)
          - torch.maximum(a[..., 0] - a[..., 2] / 2, b[..., 0] - b[..., 2] / 2)).clamp(min=0)
    iy = (torch.minimum(a[..., 1] + a[..., 3] / 2, b[..., 1] + b[..., 3] / 2)
          - torch.maximum(a[..., 1] - a[..., 3] / 2, b[..., 1] - b[..., 3] / 2)).clamp(min=0)
    inter = ix * iy
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-30), torch.zeros_like(inter))


def yolo_v2_loss(model, raw, targets, coord_scale=1.0, object_scale=5.0, no_object_scale=1.0, class_scale=1.0, ignore_iou=0.6):
    """YoloDetectionLayer's loss (softmax classes, doSqrt), averaged over the batch. targets: [N, maxLabels, 5] of
    (class, x, y, w, h), class < 0 for an unused slot. The assignment of truth boxes to predictions and the ignore
    test are constants of the step, as in the engine."""
    p = model._split(raw)
    q = model.decode(raw)
    n, gh, gw, a, _ = q.shape
    anc = torch.tensor(model.anchors).view(-1, 2)
    total = raw.new_zeros(())
    for s in range(n):
        t = targets[s]
        t = t[(t[:, 0] >= 0) & (t[:, 3] > 0) & (t[:, 4] > 0)]
        with torch.no_grad():
            # no-object term applies where the best overlap with a truth box is at most ignore_iou
            best = _iou(q[s, ..., None, :4], t[:, 1:5]).amax(-1) if len(t) else torch.zeros(gh, gw, a)
            noobj = best <= ignore_iou
            owner = {}
            for i, (cls, x, y, w, h) in enumerate(t.tolist()):
                c, r = min(gw - 1, max(0, int(x * gw))), min(gh - 1, max(0, int(y * gh)))
                shapes = torch.stack([torch.zeros(a), torch.zeros(a), anc[:, 0] / gw, anc[:, 1] / gh], -1)
                k = int(torch.argmax(_iou(shapes, torch.tensor([0.0, 0.0, w, h]))))
                owner[(r, c, k)] = i
            for (r, c, k) in owner:
                noobj[r, c, k] = False
        total = total + no_object_scale * (q[s, ..., 4][noobj] ** 2).sum()
        if not owner:
            continue
        idx = torch.tensor(list(owner.keys()))
        tt = t[torch.tensor(list(owner.values()))]
        r, c = idx[:, 0], idx[:, 1]
        pp, qq = p[s, r, c, idx[:, 2]], q[s, r, c, idx[:, 2]]
        scale = coord_scale * (2 - tt[:, 3] * tt[:, 4])
        sx, sy = torch.sigmoid(pp[:, 0]), torch.sigmoid(pp[:, 1])
        coord = (sx - (tt[:, 1] * gw - c)) ** 2 + (sy - (tt[:, 2] * gh - r)) ** 2
        size = (qq[:, 2].sqrt() - tt[:, 3].sqrt()) ** 2 + (qq[:, 3].sqrt() - tt[:, 4].sqrt()) ** 2
        cls = tt[:, 0].long().clamp(0, model.n_classes - 1)
        total = total + (scale * (coord + size)).sum() + object_scale * ((qq[:, 4] - 1) ** 2).sum() \
            + class_scale * F.cross_entropy(pp[:, 5:], cls, reduction="sum")
    return total / n


def random_boxes(batch, max_labels=30, per_image=3, seed=7):
    """Seeded random truth boxes, [batch, max_labels, 5]: `per_image` boxes (class 0..19, centre 0.1..0.9, size
    0.05..0.5) then unused slots (class -1)."""
    rng = np.random.default_rng(seed)
    t = np.full((batch, max_labels, 5), -1.0, np.float32)
    for s in range(batch):
        for i in range(per_image):
            t[s, i] = [rng.integers(0, 20), *rng.uniform(0.1, 0.9, 2), *rng.uniform(0.05, 0.5, 2)]
    return torch.from_numpy(t)


def _check():
    """Same names, shapes and outputs as torchvision (needs an importable torchvision)."""
    import sys, types, warnings
    warnings.filterwarnings("ignore")
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    import torchvision
    torch.manual_seed(0)
    for ours, theirs in ((ResNet50(2), torchvision.models.resnet50(num_classes=2)),
                         (MobileNetV2(2), torchvision.models.mobilenet_v2(num_classes=2)),
                         (VGG16(2), torchvision.models.vgg16(num_classes=2)),
                         (InceptionV3(2), torchvision.models.inception_v3(num_classes=2, aux_logits=False, init_weights=True))):
        a, b = ours.state_dict(), theirs.state_dict()
        assert list(a) == list(b), "names differ"
        assert all(a[k].shape == b[k].shape for k in a), "shapes differ"
        theirs.load_state_dict(a)
        for m in (ours, theirs):
            m.eval()
        x = torch.randn(2, 3, 96, 96)
        with torch.no_grad():
            d = (ours(x) - theirs(x)).abs().max().item()
        n = sum(p.numel() for p in ours.parameters())
        print(f"{type(ours).__name__}: {len(a)} tensors, {n} parameters, max |Δ| vs torchvision {d:.2e}")
        assert d < 1e-5


if __name__ == "__main__":
    _check()
