"""Action-level image benchmark: image.loadImages (decode=False) + image.processImages (RESIZE 224x224
bilinear, NORMALIZE MINMAX 0..255) through a running caslite server (release build), next to Pillow +
numpy doing the same work (read file, decode, resize 224 BILINEAR, MINMAX to uint8) on one thread in
the same run. Prints images/s and the ratio; never asserts timings.

Usage: python3 actions_bench.py CASLITE_BINARY [N] [WORKDIR]     (needs pillow and numpy)
"""
import io, os, sys, tempfile, time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from caslite_server import served  # noqa: E402

caslite = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
work = sys.argv[3] if len(sys.argv) > 3 else os.path.join(tempfile.gettempdir(), "caslite-actionbench")
user = "bench"
root = os.path.join(work, "casuser", user, "bench")


def photo_like(seed):
    """A 512x512 RGB image with smooth gradients, blobs and noise (compresses like a photo, roughly)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:512, 0:512].astype(np.float32)
    img = np.zeros((512, 512, 3), np.float32)
    for c in range(3):
        fx, fy, ph = rng.uniform(0.005, 0.03, 2).tolist() + [rng.uniform(0, 6.3)]
        img[..., c] = 128 + 60 * np.sin(x * fx + ph) * np.cos(y * fy)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, 512), rng.uniform(0, 512), rng.uniform(20, 120)
        img += (((x - cx) ** 2 + (y - cy) ** 2) < r * r)[..., None] * rng.uniform(-50, 50, 3)
    img += rng.normal(0, 6, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def fixtures():
    for ext, fmt, kw in (("png", "PNG", {}), ("jpg", "JPEG", {"quality": 90})):
        d = os.path.join(root, ext, "cls")
        os.makedirs(d, exist_ok=True)
        for i in range(n):
            p = os.path.join(d, f"img{i}.{ext}")
            if not os.path.exists(p):
                photo_like(i).save(p, fmt, **kw)


def caslite_pass(c, ext):
    t0 = time.perf_counter()
    r = c.call("image.loadImages", {"path": f"bench/{ext}", "casOut": {"name": "raw", "replace": True}, "decode": False})
    split[ext] = r["performance"]["elapsedTime"]
    c.call("image.processImages", {"table": "raw", "casOut": {"name": "proc", "replace": True}, "steps": [
        {"step": {"stepType": "RESIZE", "width": 224, "height": 224}},
        {"step": {"stepType": "NORMALIZE", "type": "MINMAX", "alpha": 0, "beta": 255}}]})
    return time.perf_counter() - t0


split = {}


def pillow_pass(ext):
    d = os.path.join(root, ext, "cls")
    t0 = time.perf_counter()
    for i in range(n):
        with open(os.path.join(d, f"img{i}.{ext}"), "rb") as fh:
            b = fh.read()
        im = Image.open(io.BytesIO(b)).convert("RGB").resize((224, 224), Image.BILINEAR)
        a = np.asarray(im, dtype=np.float32)
        lo, hi = a.min(), a.max()
        out = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
        np.floor(out + 0.5).astype(np.uint8)
    return time.perf_counter() - t0


def main():
    fixtures()
    with served(caslite, work, user) as c:
        c.call("builtins.loadActionSet", {"actionSet": "image"})
        print(f"image actions: loadImages(decode=False) + processImages(RESIZE 224 bilinear, MINMAX 0..255), "
              f"{n} 512x512 files per format, best of 3; Pillow {Image.__version__} + numpy {np.__version__}, 1 thread")
        print(f"{'format':6} {'caslite img/s':>14} {'pillow img/s':>13} {'ratio':>6}")
        for ext in ("png", "jpg"):
            cas = min(caslite_pass(c, ext) for _ in range(3))
            pil = min(pillow_pass(ext) for _ in range(3))
            print(f"{ext:6} {n / cas:14.0f} {n / pil:13.0f} {pil / cas:5.2f}x   (loadImages {split[ext] * 1000:.0f} ms of {cas * 1000:.0f} ms)")


main()
