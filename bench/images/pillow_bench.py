"""Pillow + numpy doing the same work as imgbench: decode 512x512 PNG/JPEG -> RGB -> resize 224x224
(BILINEAR) -> MINMAX to 0..255 as uint8. Reads the fixtures imgbench wrote. Prints JSON lines."""
import io, json, os, sys, time

import numpy as np
from PIL import Image

d = sys.argv[1] if len(sys.argv) > 1 else "/tmp/caslite-imgbench"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200


def pipeline(b):
    im = Image.open(io.BytesIO(b)).convert("RGB").resize((224, 224), Image.BILINEAR)
    a = np.asarray(im, dtype=np.float32)
    lo, hi = a.min(), a.max()
    out = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
    return np.floor(out + 0.5).astype(np.uint8)


for ext in ("png", "jpg"):
    data = [open(os.path.join(d, f"img{i}.{ext}"), "rb").read() for i in range(n)]
    for label, fn in (("1 thread", pipeline), ("decode only", lambda b: Image.open(io.BytesIO(b)).convert("RGB").load())):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for b in data:
                fn(b)
            best = min(best, time.perf_counter() - t0)
        print(json.dumps({"impl": "pillow", "format": ext, "threads": 1, "label": label, "images_per_s": int(n / best)}))
