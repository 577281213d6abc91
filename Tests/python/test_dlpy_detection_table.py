"""Object-detection tables through unmodified DLPy: `create_object_detection_table` (image.loadImages and
processImages, table.fileInfo, loadTable of DLPy's txt files, table.partition with computed variables,
dataStep.runCode, transpose.transpose, table.alterTable, columnInfo, deepLearn.dlJoin with a computed-vars
table) for YOLO and COCO coordinates, then `get_max_objects`, `get_info_for_object_detection`, `get_anchors`
and `display_object_detections` on the result.

The data set is synthetic and seeded: 80×60 JPEGs with 0–3 colored rectangles and their Pascal VOC XML
files (one image has no object: DLPy writes no label file for it and the inner dlJoin leaves it out). Every
expected value is computed here from the XML files, with DLPy's formulas written out independently.
"""
import collections
import random
import xml.etree.ElementTree as ET

import numpy as np
import pytest

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from dlpy.utils import (create_object_detection_table, display_object_detections, get_anchors,
                            get_info_for_object_detection, get_max_objects)
    HAVE_DLPY = True
except Exception:  # pragma: no cover - depends on the venv
    HAVE_DLPY = False

pytestmark = pytest.mark.skipif(not HAVE_DLPY, reason="sas-dlpy is not installed in this venv")

W, H, SIZE = 80, 60, 64
CLASSES = {"red": (220, 30, 30), "blue": (30, 30, 220), "lightgreen": (30, 200, 30)}
VARS = {"yolo": ["_", "_x", "_y", "_width", "_height"], "coco": ["_", "_xmin", "_ymin", "_xmax", "_ymax"]}


def write_voc(folder, n=10, seed=11):
    """n images with their VOC XML files; image 3 has no object. Returns {stem: [(class, xmin, ymin, xmax, ymax)]}."""
    from PIL import Image, ImageDraw
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for i in range(n):
        img = Image.new("RGB", (W, H), (40, 40, 40))
        d = ImageDraw.Draw(img)
        objs = []
        for _ in range(0 if i == 3 else rnd.randint(1, 3)):
            w, h = rnd.randint(10, 30), rnd.randint(8, 24)
            x, y = rnd.randint(0, W - w), rnd.randint(0, H - h)
            cls = rnd.choice(sorted(CLASSES))
            d.rectangle([x, y, x + w - 1, y + h - 1], fill=CLASSES[cls])
            objs.append((cls, x, y, x + w, y + h))
        stem = f"det_{i:02d}"
        img.save(folder / f"{stem}.jpg", quality=95)
        xml = f"<annotation><filename>{stem}.jpg</filename><size><width>{W}</width><height>{H}</height><depth>3</depth></size>"
        for c, a, b, e, f in objs:
            xml += f"<object><name>{c}</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{e}</xmax><ymax>{f}</ymax></bndbox></object>"
        (folder / f"{stem}.xml").write_text(xml + "</annotation>")
        truth[stem] = objs
    return truth


def from_xml(folder):
    """{stem: [(class, xmin, ymin, xmax, ymax)]} read back from the XML files (what the table must hold)."""
    out = {}
    for p in sorted(folder.glob("*.xml")):
        root = ET.parse(p).getroot()
        w, h = int(root.find("size/width").text), int(root.find("size/height").text)
        assert (w, h) == (W, H)
        out[p.stem] = [(o.find("name").text, *(float(o.find(f"bndbox/{k}").text) for k in ("xmin", "ymin", "xmax", "ymax")))
                       for o in root.iter("object")]
    return out


def expected_coords(coord_type, box):
    """DLPy's coordinates of one box: YOLO center and size relative to the original image; COCO corners scaled to SIZE."""
    _, x0, y0, x1, y1 = box
    if coord_type == "yolo":
        return [(x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H]
    return [x0 * SIZE / W, y0 * SIZE / H, x1 * SIZE / W, y1 * SIZE / H]


@pytest.fixture(scope="module")
def voc(server):
    """Two copies of the seeded VOC folder under the data folder's public/ (one per coordinate type)."""
    truth = {}
    for coord in ("yolo", "coco"):
        truth[coord] = write_voc(server.data / "public" / f"voc_{coord}")
    assert truth["yolo"] == truth["coco"]
    return truth["yolo"]


def make_table(server, conn, coord):
    # DLPy loads the label files with loadTable (their table lands in the files' caslib, Public) and then names
    # the tables without a caslib: with Public active, as a user whose data is in Public works, both agree
    conn.setsessopt(caslib="public")
    folder = server.data / "public" / f"voc_{coord}"
    cols = create_object_detection_table(conn, data_path=str(folder), coord_type=coord, output=f"det_{coord}", image_size=SIZE)
    return folder, cols, conn.CASTable(f"det_{coord}", caslib="public")


@pytest.mark.parametrize("coord", ["yolo", "coco"])
def test_create_object_detection_table_matches_the_xml_files(server, voc, coord):
    conn = server.connect("alice")
    try:
        folder, cols, tbl = make_table(server, conn, coord)
        truth = from_xml(folder)
        labelled = {k: v for k, v in truth.items() if v}
        most = max(len(v) for v in labelled.values())
        assert cols == [f"_Object{i}{v}" for i in range(most) for v in VARS[coord]]

        df = tbl.to_frame()
        # the image without objects has no label file: the inner join leaves it out
        assert sorted(df["idjoin"].str.strip()) == sorted(labelled)
        assert {"_image_", "idjoin", "_nObjects_"} <= set(df.columns)
        for _, row in df.iterrows():
            objs = labelled[row["idjoin"].strip()]
            assert row["_nObjects_"] == len(objs)
            for i in range(most):
                cls = row[f"_Object{i}_"]
                coords = [row[f"_Object{i}{v}"] for v in VARS[coord][1:]]
                if i < len(objs):
                    assert cls.strip() == objs[i][0]
                    assert coords == pytest.approx(expected_coords(coord, objs[i]), abs=1e-9)
                else:   # no such object: a blank class and missing coordinates
                    assert (cls is None or str(cls).strip() == "") and all(np.isnan(c) for c in coords)

        # DLPy sets the class columns' format to the longest class name (at least 8, len('NoObject'))
        info = conn.columninfo(table=tbl).ColumnInfo.set_index("Column")
        width = max(8, max(len(c) for objs in labelled.values() for c, *_ in objs))
        for i in range(most):   # CAS's columnInfo splits $10. into the name, the width (NFL) and the formatted length
            assert (info.loc[f"_Object{i}_", "Format"], info.loc[f"_Object{i}_", "NFL"], info.loc[f"_Object{i}_", "FormattedLength"]) == ("$", width, width)
        # the images were resized to image_size
        fetched = conn.image.fetchImages(imageTable=tbl, to=len(df))["Images"]
        assert len(fetched) == len(df) and all(im.size == (SIZE, SIZE) for im in fetched["Image"])
        # DLPy dropped its temporary tables
        names = set(conn.tableinfo(caslib="public").TableInfo["Name"].str.lower())
        assert not any(n.startswith("obj_det") or n.startswith("output_") or n.startswith("det_img") for n in names)
    finally:
        conn.terminate()


def kmeans_anchors(boxes, n_anchors, grid, seed, tol=1e-5):
    """DLPy's get_anchors written out with numpy: IoU distance of (w, h) pairs, centroids as cluster means, an
    empty cluster re-seeded with a random box, until the loss changes by less than tol."""
    np.random.seed(seed)
    random.seed(seed)
    b = np.array(boxes)
    cent = b[np.random.choice(len(b), n_anchors)]

    def step(cent):
        inter = np.minimum(b[:, None, 0], cent[None, :, 0]) * np.minimum(b[:, None, 1], cent[None, :, 1])
        union = (b[:, 0] * b[:, 1])[:, None] + (cent[:, 0] * cent[:, 1])[None, :] - inter
        dist = 1 - inter / union
        group = dist.argmin(axis=1)          # the first of equal distances, as DLPy's strict '<'
        loss = dist.min(axis=1).sum()
        new = np.zeros_like(cent)
        for k in range(n_anchors):
            members = b[group == k]
            if len(members) == 0:
                members = np.array([boxes[random.randrange(len(boxes))]])
            new[k] = members.mean(axis=0)
        return new, loss

    cent, old = step(cent)
    while True:
        cent, loss = step(cent)
        if abs(old - loss) < tol:
            break
        old = loss
    return tuple(float(v) for c in cent for v in (c[0] * grid, c[1] * grid))


def test_detection_helpers_on_the_table(server, voc):
    conn = server.connect("alice")
    try:
        folder, cols, tbl = make_table(server, conn, "yolo")
        _, _, coco = make_table(server, conn, "coco")
        truth = from_xml(folder)
        labelled = {k: v for k, v in truth.items() if v}
        most = max(len(v) for v in labelled.values())

        assert get_max_objects(tbl) == most
        classes, max_objects = get_info_for_object_detection(conn, tbl)
        assert max_objects == most
        assert classes == dict(collections.Counter(c for objs in labelled.values() for c, *_ in objs))

        # anchors: the boxes' relative widths and heights in the table's row order, clustered as DLPy does
        order = [s.strip() for s in tbl.to_frame()["idjoin"]]
        boxes = [((x1 - x0) / W, (y1 - y0) / H) for stem in order for _, x0, y0, x1, y1 in labelled[stem]]
        np.random.seed(5)
        random.seed(5)
        anchors = get_anchors(conn, tbl, coord_type="yolo", image_size=SIZE, grid_number=4, n_anchors=2)
        assert anchors == pytest.approx(kmeans_anchors(boxes, 2, 4, seed=5), abs=1e-9)
        # COCO corners scaled to 64 give the same relative sizes: the same anchors from the COCO table
        assert [s.strip() for s in coco.to_frame()["idjoin"]] == order
        np.random.seed(5)
        random.seed(5)
        assert get_anchors(conn, coco, coord_type="coco", image_size=SIZE, grid_number=4, n_anchors=2) == pytest.approx(anchors, abs=1e-9)

        # display_object_detections: image.extractDetectedObjects draws the boxes, fetchImages brings them back
        plt.close("all")
        display_object_detections(conn, tbl, coord_type="yolo", max_objects=most, num_plot=4, n_col=2)
        fig = plt.gcf()
        shown = [ax.get_images()[0].get_array() for ax in fig.axes]
        assert len(shown) == 4
        palette = {(255, 0, 0), (0, 0, 255), (0, 200, 0), (255, 255, 0), (255, 0, 255), (0, 255, 255), (255, 128, 0), (255, 255, 255)}
        for img in shown:
            a = np.asarray(img)
            assert a.shape == (SIZE, SIZE, 3)
            # a drawn rectangle is at least 4 box-color pixels; the JPEG's own colors are never exactly these
            drawn = sum(1 for p in a.reshape(-1, 3) if tuple(int(v) for v in p) in palette)
            assert drawn >= 8, drawn
        plt.close("all")
    finally:
        conn.terminate()
