"""DICOM through swat against pydicom + numpy as the oracle (issue 23).

Phantom CT series are written by pydicom (dicom_phantom.py: body +40 HU, two lungs -800 HU that shrink
towards the ends, lungless end slices; explicit and implicit little endian, RLE, deflated, explicit big
endian; shuffled names; RescaleSlope/Intercept not 1/0), loaded by a real server through swat, and the
cells the server stores are compared with what pydicom reads from the same files: HU exactly, the order
of slices along the normal, WINDOW within ±1 of pydicom's `apply_windowing` and of the formula in
docs/images.md, LUNG_FILTER against the phantom's own lung/body pixel counts. pydicom's bundled real CT
file (CT_small.dcm) is checked against `apply_modality_lut`.
"""
import struct

import numpy as np
import pytest

pydicom = pytest.importorskip(
    "pydicom", minversion="3.0",
    reason="pydicom>=3 is not installed in this venv: `make test-python` installs it into .venv "
           "(an older .venv: .venv/bin/pip install pydicom); the pydicom oracle tests are skipped")

import dicom_phantom as dp  # noqa: E402  (needs pydicom)

AXIAL = dict(seed=23, slope=2.0, intercept=-1000.0, signed=False)
# rows run 30° out of the axial plane; signed stored values, half-HU slope
OBLIQUE = dict(seed=7, slope=0.5, intercept=-1024.0, signed=True, slices=11, rows=36, columns=44,
               orientation=(1, 0, 0, 0, np.cos(np.pi / 6), -np.sin(np.pi / 6)), origin=(10.0, -30.0, -200.25))


def clrv(cell):
    """A CLRV cell (docs/images.md "Storage"): (depth × height × width int16, spacing, origin)."""
    b = bytes(cell)
    assert b[:4] == b"CLRV" and b[5] in (3, 4), b[:8]     # 4: MONOCHROME1 (shown inverted)
    w, h, d = struct.unpack_from("<3I", b, 8)
    spacing, origin = struct.unpack_from("<3d", b, 24), struct.unpack_from("<3d", b, 48)
    assert len(b) == 72 + 2 * w * h * d
    return np.frombuffer(b, "<i2", offset=72).reshape(d, h, w), spacing, origin


def clri(cell):
    """A CLRI cell: height × width × channels array (uint8 or int16)."""
    b = bytes(cell)
    assert b[:4] == b"CLRI", b[:8]
    dtype = {1: "u1", 3: "<i2", 4: "<i2"}[b[5]]     # 3: HU, 4: HU of a MONOCHROME1 file
    c, (w, h) = b[7], struct.unpack_from("<2I", b, 8)
    return np.frombuffer(b, dtype, offset=16).reshape(h, w, c)


def fetch(conn, table, sortby="_id_"):
    n = int(conn.table.tableInfo(name=table)["TableInfo"]["Rows"].iloc[0])
    return conn.table.fetch(table=table, to=max(n, 1), maxRows=max(n, 1), sortby=[sortby])["Fetch"]


def steps(*items):
    return [{"step": s} for s in items]


@pytest.fixture(scope="module")
def ct(server):
    """Two phantom series written by pydicom under alice's caslib: ct/covid/scan1 (axial, every transfer
    syntax in turn) and ct/normal/scan2 (oblique, signed, uncompressed syntaxes); and pydicom's CT_small.dcm."""
    root = server.data / "casuser" / "alice" / "pydicom-ct"
    axial, oblique = dp.Phantom(**AXIAL), dp.Phantom(**OBLIQUE)
    files = {"covid/scan1": (axial, dp.write_series(axial, root / "covid" / "scan1", seed=1)),
             "normal/scan2": (oblique, dp.write_series(oblique, root / "normal" / "scan2", seed=2, syntaxes=dp.UNCOMPRESSED))}
    small = root.parent / "pydicom-small"
    small.mkdir(exist_ok=True)
    (small / "CT_small.dcm").write_bytes(open(pydicom.data.get_testdata_file("CT_small.dcm"), "rb").read())
    return root, files


@pytest.fixture
def image(conn):
    assert conn.loadactionset("image").severity == 0
    return conn.image


def oracle_volume(folder):
    """pydicom's reading of a series folder: HU of every file, sorted by ImagePositionPatient along the normal."""
    slices = []
    for f in folder.iterdir():
        hu, ds = dp.read_hu(f)
        o = np.array(ds.ImageOrientationPatient, dtype=float)
        slices.append((float(np.dot(np.array(ds.ImagePositionPatient, dtype=float), np.cross(o[:3], o[3:]))), hu))
    slices.sort(key=lambda s: s[0])
    return np.stack([s[1] for s in slices]), [s[0] for s in slices]


def test_each_file_decodes_to_pydicoms_hounsfield_units(image, conn, ct):
    root, files = ct
    keywords = ["InstanceNumber", "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "SliceThickness",
                "WindowCenter", "WindowWidth", "Rows", "Columns", "SeriesInstanceUID", "Modality"]
    r = image.loadImages(path="pydicom-ct", casout={"name": "ct_files", "replace": True}, addColumns=keywords)
    assert r.severity == 0, r.messages
    t = fetch(conn, "ct_files")
    assert len(t) == sum(len(w) for _, w in files.values())
    seen = set()
    for _, row in t.iterrows():
        folder, name = row["_path_"].split("/", 1)[1].rsplit("/", 1)   # pydicom-ct/<class>/<scan>/<name>
        phantom, written = files[folder]
        k, syntax = written[name]
        want, ds = dp.read_hu(root / folder / name)
        got = clri(row["_image_"])[:, :, 0]
        assert np.array_equal(got, want), f"{folder}/{name} ({syntax.name}): HU differ from pydicom's"
        assert np.array_equal(got, phantom.hu[k]), f"{folder}/{name}: HU differ from the phantom"
        assert int(row["InstanceNumber"]) == ds.InstanceNumber and row["_type_"] == "dcm"
        # metadata as pydicom reads it (numbers compared as numbers: the text form is the writer's)
        for k in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"):
            assert [float(v) for v in row[k].split("\\")] == pytest.approx([float(v) for v in ds[k].value]), (name, k)
        for k in ("SliceThickness", "WindowCenter", "WindowWidth", "Rows", "Columns"):
            assert float(row[k]) == float(ds[k].value), (name, k)
        assert row["SeriesInstanceUID"] == ds.SeriesInstanceUID and row["Modality"] == ds.Modality
        seen.add(syntax.name)
    assert seen == {s.name for s in dp.ALL_SYNTAXES}, seen


def test_series_are_ordered_along_the_normal_as_pydicom_positions_say(image, conn, ct):
    root, files = ct
    r = image.loadImages(path="pydicom-ct", series=True, casout={"name": "ct_vol", "replace": True},
                         addColumns=["SeriesInstanceUID", "Modality"])
    assert r.severity == 0, r.messages
    t = fetch(conn, "ct_vol", sortby="_path_")
    assert list(t["_path_"]) == ["pydicom-ct/covid/scan1", "pydicom-ct/normal/scan2"]
    assert list(t["_label_"]) == ["covid", "normal"] and list(t["Modality"]) == ["CT", "CT"]
    for (_, row), folder in zip(t.iterrows(), ["covid/scan1", "normal/scan2"]):
        phantom, _ = files[folder]
        volume, spacing, origin = clrv(row["_image_"])
        want, distances = oracle_volume(root / folder)
        assert volume.shape == want.shape == phantom.hu.shape
        assert np.array_equal(volume, want), f"{folder}: the volume is not pydicom's slices in position order"
        assert np.array_equal(volume, phantom.hu)
        # the names and InstanceNumbers run against the positions: name order would not pass
        assert not np.array_equal(volume, np.stack([dp.read_hu(f)[0] for f in sorted((root / folder).iterdir())]))
        assert int(row["_slices_"]) == phantom.slices
        # positions are written with 4 decimals: the oblique series' gaps are 2.5 mm ± 1e-4
        assert np.allclose(spacing, phantom.spacing, atol=1e-3) and np.allclose(np.diff(distances), phantom.spacing[2], atol=1e-3)
        assert np.allclose(origin, phantom.position(0), atol=1e-3)
        assert [float(v) for v in row["_spacing_"].split("\\")] == pytest.approx(list(phantom.spacing), abs=1e-3)


def test_slice_and_window_match_pydicom_windowing(image, conn, ct):
    root, files = ct
    image.loadImages(path="pydicom-ct", series=True, casout={"name": "ct_vol2", "replace": True})
    vols = {row["_path_"].split("/", 1)[1]: clrv(row["_image_"])[0] for _, row in fetch(conn, "ct_vol2").iterrows()}
    windows = [({"type": "LUNG"}, -600, 1500), ({"type": "MEDIASTINUM"}, 40, 400), ({"center": -750, "width": 301}, -750, 301),
               ({"center": 30.5, "width": 2}, 30.5, 2)]
    for params, c, w in windows:
        r = image.processImages(table="ct_vol2", casout={"name": "ct_win", "replace": True},
                                steps=steps({"stepType": "SLICE", "every": 2, "start": 1}, {"stepType": "WINDOW", **params}))
        assert r.severity == 0, r.messages
        t = fetch(conn, "ct_win")
        assert len(t) == sum(len(range(1, p.slices, 2)) for p, _ in files.values())
        for _, row in t.iterrows():
            folder, k = row["_path_"].split("/", 1)[1], int(row["_sliceIndex_"])
            phantom, _ = files[folder]
            assert k % 2 == 1 and row["_slicePosition_"] == pytest.approx(k * phantom.spacing[2], abs=1e-3)
            got = clri(row["_image_"])[:, :, 0].astype(int)
            hu = vols[folder][k]
            assert np.array_equal(hu, phantom.hu[k])
            for oracle in (dp.window_oracle(hu, c, w), dp.docs_window(hu, c, w)):
                diff = np.abs(got - oracle)
                assert diff.max() <= 1, f"{folder} slice {k}, window {c}/{w}: off by {diff.max()}"
            assert np.array_equal(got, dp.docs_window(hu, c, w)), f"{folder} slice {k}, window {c}/{w}: not the documented formula"


def test_lung_filter_keeps_the_phantoms_lung_slices(image, conn, ct):
    root, files = ct
    image.loadImages(path="pydicom-ct", series=True, casout={"name": "ct_vol3", "replace": True})
    for percent in (0.5, 5.0, 25.0):
        want = {folder: [k for k in range(p.slices) if p.lung_percent(k) >= percent] for folder, (p, _) in files.items()}
        # no phantom slice sits within rounding of the threshold, so the answer does not hang on pixel-counting details
        assert all(abs(p.lung_percent(k) - percent) > 0.3 for p, _ in files.values() for k in range(p.slices))
        r = image.processImages(table="ct_vol3", casout={"name": "ct_lungs", "replace": True},
                                steps=steps({"stepType": "SLICE"}, {"stepType": "LUNG_FILTER", "minPercent": percent},
                                            {"stepType": "WINDOW", "type": "LUNG"}))
        assert r.severity == 0, r.messages
        total = sum(p.slices for p, _ in files.values())
        assert f"NOTE: LUNG_FILTER kept {sum(map(len, want.values()))} of {total} slices." in r.messages, r.messages
        t = fetch(conn, "ct_lungs")
        got = {folder: sorted(int(row["_sliceIndex_"]) for _, row in t.iterrows() if row["_path_"].endswith(folder)) for folder in files}
        assert got == want, f"minPercent {percent}"
    for folder, (p, _) in files.items():   # at the lowest threshold: exactly the slices the phantom drew lungs in
        assert [k for k in range(p.slices) if p.lung_percent(k) >= 0.5] == p.lung_slices()
        assert p.lung_slices() == list(range(dp.LUNGLESS_ENDS, p.slices - dp.LUNGLESS_ENDS))


def test_pydicoms_real_ct_sample_matches_its_modality_lut(image, conn, ct):
    from pydicom.pixels import apply_modality_lut
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    want = apply_modality_lut(ds.pixel_array, ds)
    assert float(ds.RescaleIntercept) != 0 and want.min() < want.max(), "CT_small.dcm is what this test thinks"
    r = image.loadImages(path="pydicom-small", casout={"name": "ct_small", "replace": True},
                         addColumns=["Rows", "Columns", "WindowCenter", "Modality"])
    assert r.severity == 0, r.messages
    t = fetch(conn, "ct_small")
    row = t.iloc[0]
    got = clri(row["_image_"])[:, :, 0]
    assert got.shape == (ds.Rows, ds.Columns) == (int(row["Rows"]), int(row["Columns"]))
    assert np.array_equal(got, want), f"{np.count_nonzero(got != want)} pixels differ from apply_modality_lut"
    assert row["Modality"] == ds.Modality and np.isnan(row["WindowCenter"]), "the file has no WindowCenter"
    for params, c, w in (({"type": "MEDIASTINUM"}, 40, 400), ({"center": float(np.median(want)), "width": 301}, float(np.median(want)), 301)):
        r = image.processImages(table="ct_small", casout={"name": "ct_small_w", "replace": True},
                                steps=steps({"stepType": "WINDOW", **params}))
        assert r.severity == 0, r.messages
        win = clri(fetch(conn, "ct_small_w")["_image_"].iloc[0])[:, :, 0].astype(int)
        assert 0 < win.mean() < 255, "the window shows something"
        assert np.abs(win - dp.window_oracle(want, c, w)).max() <= 1
