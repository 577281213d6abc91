"""Phantom CT series written by pydicom, for test_dicom_pydicom.py (and the shapes the oracles need).

A phantom is the issue's chest: air (-1000 HU) around a body ellipse (+40 HU, seeded noise), two lung
ellipses (-800 HU, seeded noise) that shrink towards both ends of the series, no lung in the first and
last `LUNGLESS_ENDS` slices. The HU volume, which pixels are body and lung, and each slice's position
are the test's own ground truth, computed here before any file is written.

Files: one per slice, each written with a transfer syntax from `syntaxes` in turn (pydicom encodes RLE
itself with numpy; big endian pixel data is byte-swapped here), under seeded random names that do not
follow the slice order. RescaleSlope/RescaleIntercept are not 1/0, so stored values differ from HU.
"""
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (CTImageStorage, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian, RLELossless, generate_uid)

LUNGLESS_ENDS = 2
UNCOMPRESSED = (ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian)
ALL_SYNTAXES = (ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless, DeflatedExplicitVRLittleEndian,
                ExplicitVRBigEndian)


class Phantom:
    """The ground truth of one series: `hu[k]` (rows × columns int16), body and lung masks, geometry.

    `slope`, `intercept`, `signed` describe how HU are stored (stored = (HU - intercept) / slope, whole
    numbers by construction: HU are drawn on the slope's grid). Slices are numbered along the normal
    (row direction × column direction) from `origin`, `spacing[2]` mm apart.
    """

    def __init__(self, slices=14, rows=40, columns=48, seed=23, slope=2.0, intercept=-1000.0, signed=False,
                 orientation=(1, 0, 0, 0, 1, 0), origin=(-120.0, -80.5, 310.0), spacing=(0.75, 0.8, 2.5)):
        self.slices, self.rows, self.columns = slices, rows, columns
        self.slope, self.intercept, self.signed = slope, intercept, signed
        self.orientation = np.array(orientation, dtype=float)
        self.normal = np.cross(self.orientation[:3], self.orientation[3:])
        self.origin, self.spacing = np.array(origin, dtype=float), spacing
        rng = np.random.default_rng(seed)
        yy, xx = np.mgrid[0:rows, 0:columns]
        fx, fy = xx - (columns - 1) / 2, yy - (rows - 1) / 2
        body = fx ** 2 / (0.42 * columns) ** 2 + fy ** 2 / (0.4 * rows) ** 2 <= 1
        self.hu, self.body, self.lung, self.radius = [], [], [], []
        for k in range(slices):
            ends = min(k, slices - 1 - k)
            r = 0.0 if ends < LUNGLESS_ENDS else min(0.14 * columns, 1.5 + 1.6 * (ends - LUNGLESS_ENDS))
            lung = np.zeros_like(body)
            if r > 0:
                for cx in (-0.2 * columns, 0.2 * columns):
                    lung |= (fx - cx) ** 2 / r ** 2 + fy ** 2 / (1.3 * r) ** 2 <= 1
            lung &= body
            hu = np.full((rows, columns), -1000.0)
            hu[body] = 40 + self.grid(rng.integers(-20, 21, body.sum()))
            hu[lung] = -800 + self.grid(rng.integers(-30, 31, lung.sum()))
            self.hu.append(hu.astype(np.int16))
            self.body.append(body)
            self.lung.append(lung)
            self.radius.append(r)
        self.hu = np.stack(self.hu)

    def grid(self, v):
        """`v` moved onto the HU values this slope can store (multiples of the slope)."""
        return np.round(v / self.slope) * self.slope if self.slope >= 1 else v

    def stored(self, k):
        s = (self.hu[k].astype(float) - self.intercept) / self.slope
        assert np.all(s == np.round(s)), "phantom HU are not on the slope's grid"
        return s.astype(np.int16 if self.signed else np.uint16)

    def position(self, k):
        return self.origin + k * self.spacing[2] * self.normal

    def lung_percent(self, k):
        """Lung pixels as % of body pixels (the lung lies inside the body), the LUNG_FILTER measure."""
        return 100.0 * self.lung[k].sum() / self.body[k].sum()

    def lung_slices(self):
        return [k for k in range(self.slices) if self.lung[k].any()]


def new_dataset(sop_class, *entropy):
    """An empty data set of `sop_class` with its file meta (explicit VR little endian) and a SOP instance UID
    derived from `entropy` (the same arguments, the same UID)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[sop_class, *map(str, entropy)])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    return ds


def dataset(p, k, series_uid, transfer_syntax):
    """Slice `k` of phantom `p` as a pydicom data set ready for `save_as(enforce_file_format=True)`."""
    ds = new_dataset(CTImageStorage, series_uid, k)
    ds.Modality = "CT"
    ds.PatientName = "Phantom^Lung"
    ds.PatientID = "PH-23"
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[series_uid, "study"])
    ds.SeriesInstanceUID = series_uid
    ds.InstanceNumber = p.slices - k      # against the slice order on purpose
    ds.ImagePositionPatient = [round(float(v), 4) for v in p.position(k)]
    ds.ImageOrientationPatient = [float(v) for v in p.orientation]
    ds.PixelSpacing = [p.spacing[1], p.spacing[0]]   # row spacing \ column spacing
    ds.SliceThickness = p.spacing[2]
    ds.Rows, ds.Columns = p.rows, p.columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    ds.PixelRepresentation = 1 if p.signed else 0
    ds.RescaleSlope, ds.RescaleIntercept = p.slope, p.intercept
    ds.RescaleType = "HU"
    ds.WindowCenter, ds.WindowWidth = -600, 1500
    arr = p.stored(k)
    if transfer_syntax == RLELossless:
        ds.PixelData = arr.tobytes()
        ds.compress(RLELossless, arr, encoding_plugin="pydicom")
        return ds
    big = transfer_syntax == ExplicitVRBigEndian
    ds.PixelData = arr.astype(arr.dtype.newbyteorder(">" if big else "<")).tobytes()
    ds["PixelData"].VR = "OW"
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    return ds


def write_series(p, folder, seed=5, syntaxes=ALL_SYNTAXES, series_uid=None):
    """Writes `p` slice by slice under `folder` with shuffled names; returns {name: (slice k, syntax)}."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    series_uid = series_uid or generate_uid(entropy_srcs=[str(folder), str(seed)])
    names = [f"{rng.integers(16 ** 8):08x}" + (".dcm" if i % 2 else "") for i in range(p.slices)]
    order = rng.permutation(p.slices)
    written = {}
    for k in range(p.slices):
        ts = syntaxes[k % len(syntaxes)]
        ds = dataset(p, k, series_uid, ts)
        name = names[order[k]]
        ds.save_as(folder / name, enforce_file_format=True,
                   implicit_vr=ts == ImplicitVRLittleEndian, little_endian=ts != ExplicitVRBigEndian)
        written[name] = (k, ts)
    return written


def read_hu(path):
    """pydicom's reading of a file: HU by its Modality LUT (the oracle for the server's HU)."""
    from pydicom.pixels import apply_modality_lut
    ds = pydicom.dcmread(path)
    return apply_modality_lut(ds.pixel_array, ds), ds


def window_oracle(hu, center, width):
    """pydicom's LINEAR VOI function onto 0…255: a dataset with no rescale and 8 bits stored makes
    `apply_windowing` output 0…255 (its y_min/y_max), rounded half up as the server's docs say."""
    from pydicom.pixels import apply_windowing
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored, ds.PixelRepresentation = 8, 0
    ds.WindowCenter, ds.WindowWidth = center, width
    return np.floor(apply_windowing(np.asarray(hu, dtype=float), ds) + 0.5)


def docs_window(hu, c, w):
    """The formula docs/images.md gives for WINDOW, written out with numpy."""
    x = np.asarray(hu, dtype=float)
    y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255
    y = np.where(x <= c - 0.5 - (w - 1) / 2, 0, np.where(x > c - 0.5 + (w - 1) / 2, 255, y))
    return np.clip(np.floor(y + 0.5), 0, 255)
