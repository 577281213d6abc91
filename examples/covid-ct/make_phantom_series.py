#!/usr/bin/env python3
"""Writes synthetic chest-CT series for the DICOM front part of the COVID-CT demo (from-dicom.casl).

    python3 examples/covid-ct/make_phantom_series.py OUT [SCANS_PER_CLASS]

OUT/<class>/scan<n>/IM<k> for the classes covid and normal: 24 axial slices of 64x64 pixels, 2.5 mm
apart, 0.7 mm pixels. A body ellipse at +40 HU in air (-1000 HU); two lung ellipses that shrink
towards both ends, none in the first and last three slices. Both classes have air-like lungs (-850 HU)
with small dense vessel dots (+40 HU, radius 1-1.5 px); "covid" lungs also have 1-3 ground-glass
blobs each (-300 HU, radius 3-6 px, hazy edges), placed per scan and drifting from slice to slice as
a 3-D lesion would. Every random choice comes from one seeded generator (the same files every run).
File names are shuffled against the slice order, and every other file is RLE-compressed. Standard
library only; the files are written by DCMTK (Debian `dcmtk`: dump2dcm, dcmcrle), so GDCM in the
server reads what another toolkit wrote.
"""
import os
import random
import subprocess
import sys
import tempfile

SIZE, SLICES = 64, 24


LUNG_CX = (-13, 13)


def radius_at(k):
    ends = min(k, SLICES - 1 - k)
    return 0 if ends < 3 else min(11, 3 + 2 * (ends - 3))


def lesions(label, rng):
    """Per scan: vessels (both classes) and ground-glass blobs (covid) as (lung, dx, dy, drift, r, HU)."""
    out = [(lung, rng.uniform(-0.7, 0.7), rng.uniform(-0.9, 0.9), rng.uniform(-0.05, 0.05), rng.uniform(1, 1.5), 40)
           for lung in (0, 1) for _ in range(rng.randint(2, 4))]
    if label == "covid":
        out += [(lung, rng.uniform(-0.5, 0.5), rng.uniform(-0.7, 0.7), rng.uniform(-0.04, 0.04), rng.uniform(3, 6), -300)
                for lung in (0, 1) for _ in range(rng.randint(1, 3))]
    return out


def slice_hu(k, found, rng):
    radius = radius_at(k)
    hu = []
    for y in range(SIZE):
        for x in range(SIZE):
            fx, fy = x - 31.5, y - 31.5
            v = -1000
            if fx * fx / (29 * 29) + fy * fy / (22 * 22) <= 1:
                v = 40 + rng.randint(-10, 10)
                for lung, cx in enumerate(LUNG_CX):
                    if radius and (fx - cx) ** 2 + fy * fy <= radius * radius:
                        v = -850 + rng.randint(-30, 30)
                        for (which, dx, dy, drift, r, level) in found:
                            if which != lung:
                                continue
                            # the lesion's centre moves a little along the scan; it stays inside this lung
                            bx, by = cx + (dx + drift * k) * radius, (dy + drift * k) * radius
                            d2 = (fx - bx) ** 2 + (fy - by) ** 2
                            if d2 <= r * r:
                                haze = 1 if level > 0 else max(0.4, 1 - d2 / (r * r))   # ground glass fades at its edge
                                v = round(-850 + (level + 850) * haze) + rng.randint(-30, 30)
            hu.append(v)
    return hu


def dump(hu, scan_uid, k):
    words = "\\".join("%04x" % (v + 1024) for v in hu)
    return f"""(0002,0010) UI =LittleEndianExplicit
(0008,0016) UI =CTImageStorage
(0008,0018) UI [{scan_uid}.{k + 1}]
(0008,0060) CS [CT]
(0018,0050) DS [2.5]
(0020,000e) UI [{scan_uid}]
(0020,0013) IS [{k + 1}]
(0020,0032) DS [-22.4\\-22.4\\{-300 + 2.5 * k}]
(0020,0037) DS [1\\0\\0\\0\\1\\0]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US {SIZE}
(0028,0011) US {SIZE}
(0028,0030) DS [0.7\\0.7]
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 0
(0028,1050) DS [-600]
(0028,1051) DS [1500]
(0028,1052) DS [-1024]
(0028,1053) DS [1]
(7fe0,0010) OW {words}
"""


def main():
    out = sys.argv[1]
    per_class = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rng = random.Random(23)
    with tempfile.TemporaryDirectory() as tmp:
        for c, label in enumerate(["covid", "normal"]):
            for n in range(per_class):
                folder = os.path.join(out, label, f"scan{n}")
                os.makedirs(folder, exist_ok=True)
                names = [f"IM{i:04d}" for i in range(SLICES)]
                rng.shuffle(names)
                uid = f"1.2.826.0.1.3680043.2.1125.23.{c + 1}.{n + 1}"
                found = lesions(label, rng)
                for k in range(SLICES):
                    src = os.path.join(tmp, "s.dump")
                    with open(src, "w") as f:
                        f.write(dump(slice_hu(k, found, rng), uid, k))
                    target = os.path.join(folder, names[k])
                    plain = target if k % 2 else os.path.join(tmp, "plain.dcm")
                    subprocess.run(["dump2dcm", "+te", "+l", "100000", src, plain], check=True)
                    if not k % 2:
                        subprocess.run(["dcmcrle", plain, target], check=True)
    print(f"wrote {2 * per_class} series of {SLICES} slices under {out}")


if __name__ == "__main__":
    main()
