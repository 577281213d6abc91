"""DICOM benchmark (issue 23): a 300-slice 512x512 CT series loaded as one 3-D image and windowed into 8-bit
slices by a running caslite server (release build) — image.loadImages series=True, then image.processImages
SLICE + WINDOW LUNG — next to pydicom + numpy doing the same work on one thread in the same run: read every
file, HU by the Modality LUT, sort the slices along the normal, stack, lung window to uint8. Prints
slices/s and the ratio, best of 3 passes; never asserts timings.

The series is written at bench time by pydicom (explicit VR little endian, 16-bit unsigned, RescaleSlope 1,
RescaleIntercept -1024, a chest-like phantom with seeded noise, file names shuffled against the slice
order) and kept between runs under WORKDIR.

Usage: python3 dicom_bench.py CASLITE_BINARY [SLICES] [SIZE] [WORKDIR]     (needs pydicom>=3 and numpy)
"""
import os, sys, tempfile, time

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import apply_modality_lut
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from caslite_server import served  # noqa: E402

caslite = sys.argv[1]
slices = int(sys.argv[2]) if len(sys.argv) > 2 else 300
size = int(sys.argv[3]) if len(sys.argv) > 3 else 512
work = sys.argv[4] if len(sys.argv) > 4 else os.path.join(tempfile.gettempdir(), "caslite-dicombench")
user = "bench"
series_path = f"bench/ct{slices}x{size}"
folder = os.path.join(work, "casuser", user, *series_path.split("/"), "scan")
CENTER, WIDTH = -600.0, 1500.0   # WINDOW type=LUNG


def chest(k, rng):
    """HU of slice k: air, a body ellipse (+40), two lungs (-800) growing towards the middle, a spine (+700), noise."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    fx, fy = (x - size / 2) / size, (y - size / 2) / size
    hu = np.full((size, size), -1000.0, np.float32)
    hu[(fx / 0.42) ** 2 + (fy / 0.3) ** 2 <= 1] = 40
    r = 0.16 * np.sin(np.pi * (k + 0.5) / slices)
    for cx in (-0.18, 0.18):
        hu[((fx - cx) / r) ** 2 + (fy / (1.3 * r)) ** 2 <= 1] = -800
    hu[(fx ** 2 + (fy - 0.2) ** 2) <= 0.04 ** 2] = 700
    return np.clip(hu + rng.normal(0, 15, hu.shape), -1024, 3071).round().astype(np.int16)


def write_series():
    marker = os.path.join(folder, ".complete")
    if os.path.exists(marker):
        return
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(300)
    names = rng.permutation(slices)
    uid = generate_uid(entropy_srcs=["caslite-dicom-bench", str(slices), str(size)])
    for k in range(slices):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[uid, str(k)])
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.Modality, ds.SeriesInstanceUID, ds.InstanceNumber = "CT", uid, k + 1
        ds.ImagePositionPatient = [-180.0, -180.0, -400.0 + 1.25 * k]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [0.7, 0.7], 1.25
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        ds.PixelData = (chest(k, rng).astype(np.int32) + 1024).astype("<u2").tobytes()
        ds["PixelData"].VR = "OW"
        ds.save_as(os.path.join(folder, f"IM{names[k]:05d}"), enforce_file_format=True)
    open(marker, "w").close()


def caslite_pass(c):
    """(wall seconds, loadImages' elapsedTime, processImages' elapsedTime)."""
    t0 = time.perf_counter()
    load = c.call("image.loadImages", {"path": series_path, "series": True, "casOut": {"name": "vol", "replace": True}},
                  allow_warnings=False)
    process = c.call("image.processImages", {"table": "vol", "casOut": {"name": "slices", "replace": True}, "steps": [
        {"step": {"stepType": "SLICE"}}, {"step": {"stepType": "WINDOW", "type": "LUNG"}}]}, allow_warnings=False)
    return time.perf_counter() - t0, load["performance"]["elapsedTime"], process["performance"]["elapsedTime"]


def pydicom_pass():
    t0 = time.perf_counter()
    read = []
    for name in os.listdir(folder):
        if name.startswith("."):
            continue
        ds = pydicom.dcmread(os.path.join(folder, name))
        o = np.array(ds.ImageOrientationPatient, dtype=float)
        z = float(np.dot(np.array(ds.ImagePositionPatient, dtype=float), np.cross(o[:3], o[3:])))
        read.append((z, apply_modality_lut(ds.pixel_array, ds).astype(np.int16)))
    read.sort(key=lambda s: s[0])
    volume = np.stack([hu for _, hu in read])
    x = volume.astype(np.float32)
    lo, hi = CENTER - 0.5 - (WIDTH - 1) / 2, CENTER - 0.5 + (WIDTH - 1) / 2
    y = ((x - (CENTER - 0.5)) / (WIDTH - 1) + 0.5) * 255
    out = np.where(x <= lo, 0, np.where(x > hi, 255, np.floor(y + 0.5))).astype(np.uint8)
    assert out.shape == (slices, size, size)
    return time.perf_counter() - t0


def main():
    t = time.perf_counter()
    write_series()
    print(f"series: {slices} slices of {size}x{size} in {folder} (ready in {time.perf_counter() - t:.1f} s)")
    with served(caslite, work, user) as c:
        c.call("builtins.loadActionSet", {"actionSet": "image"})
        print(f"DICOM: loadImages(series=True) + processImages(SLICE, WINDOW LUNG), best of 3; "
              f"pydicom {pydicom.__version__} + numpy {np.__version__}, 1 thread")
        cas, load, process = min(caslite_pass(c) for _ in range(3))
        pyd = min(pydicom_pass() for _ in range(3))
        print(f"{'':8} {'caslite slices/s':>17} {'pydicom slices/s':>17} {'ratio':>6}")
        print(f"{'series':8} {slices / cas:17.0f} {slices / pyd:17.0f} {pyd / cas:5.2f}x   "
              f"(caslite {cas:.2f} s: loadImages {load:.2f} s, processImages {process:.2f} s; pydicom {pyd:.2f} s)")


main()
