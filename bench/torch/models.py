"""torchvision's ResNet-50 and MobileNetV2 in plain torch, with torchvision's module names (so a
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


def _check():
    """Same names, shapes and outputs as torchvision (needs an importable torchvision)."""
    import sys, types, warnings
    warnings.filterwarnings("ignore")
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    import torchvision
    torch.manual_seed(0)
    for ours, theirs in ((ResNet50(2), torchvision.models.resnet50(num_classes=2)),
                         (MobileNetV2(2), torchvision.models.mobilenet_v2(num_classes=2))):
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
