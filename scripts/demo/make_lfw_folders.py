#!/usr/bin/env python3
"""Export scikit-image's lfw_subset (200 gray 25x25 images: 100 faces, 100 non-faces) as a
class-folder tree of 8-bit PNGs:  OUTDIR/face/face_000.png ... OUTDIR/nonface/nonface_099.png

The scikit-image wheel is fetched with `pip download` (cached in CACHE, default
.fixtures-cache/wheels) and opened as a zip file; skimage itself is never imported.
Needs numpy and Pillow (Pillow is installed with pip --user when missing). Idempotent.

usage: make_lfw_folders.py OUTDIR [CACHE]
"""
import glob
import io
import os
import subprocess
import sys
import zipfile


def ensure_pillow():
    try:
        import PIL  # noqa: F401
    except ImportError:
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "pillow"]
        if subprocess.call(cmd) != 0 and subprocess.call(cmd + ["--user"]) != 0:
            subprocess.check_call(cmd + ["--break-system-packages"])
        import site, importlib
        importlib.invalidate_caches()
        sys.path.append(site.getusersitepackages())


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    cache = sys.argv[2] if len(sys.argv) > 2 else ".fixtures-cache/wheels"
    names = [("face", i) for i in range(100)] + [("nonface", i) for i in range(100)]
    targets = [os.path.join(out, c, "%s_%03d.png" % (c, i)) for c, i in names]
    if all(os.path.exists(t) for t in targets):
        print("lfw folders already in %s (200 PNGs)" % out)
        return
    os.makedirs(cache, exist_ok=True)
    wheels = sorted(glob.glob(os.path.join(cache, "scikit_image-*.whl")))
    if not wheels:
        subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                               "--disable-pip-version-check", "-d", cache, "scikit-image"])
        wheels = sorted(glob.glob(os.path.join(cache, "scikit_image-*.whl")))
    if not wheels:
        sys.exit("no scikit-image wheel in %s" % cache)
    import numpy as np
    ensure_pillow()
    from PIL import Image
    with zipfile.ZipFile(wheels[-1]) as z:
        member = [n for n in z.namelist() if n.endswith("skimage/data/lfw_subset.npy")][0]
        data = np.load(io.BytesIO(z.read(member)))
    if data.shape[0] != 200:
        sys.exit("unexpected lfw_subset shape %s" % (data.shape,))
    for c in ("face", "nonface"):
        os.makedirs(os.path.join(out, c), exist_ok=True)
    for img, t in zip(data, targets):
        px = np.clip(np.rint(np.asarray(img, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)
        Image.fromarray(px, mode="L").save(t)
    print("wrote 200 PNGs (%dx%d gray) to %s/face and %s/nonface" % (data.shape[2], data.shape[1], out, out))


if __name__ == "__main__":
    main()
