"""Object detection through unmodified DLPy: `create_object_detection_table` over a Pascal VOC folder, DLPy's
`Tiny_YoloV2` (conv/BN/leaky/max-pool stack and the YOLO v2 `detection` layer), `fit` with `data_specs`,
`predict`, `evaluate_object_detection` (DLPy's own mAP) and `display_object_detections`.

The data set is synthetic and seeded: 64×64 dark images with one red or blue square each (noise on all), a VOC
XML per image. The trivial baseline answers every image with the training boxes' mean box and the most common
class, evaluated by the same DLPy function; the trained detector must beat it clearly.
"""
import random

import pytest

try:
    import matplotlib
    matplotlib.use("Agg")
    import numpy as np
    import pandas as pd
    from dlpy.applications import Tiny_YoloV2, YoloV2, YoloV2_MultiSize
    from dlpy.model import Optimizer, MomentumSolver, DataSpec
    from dlpy.utils import create_object_detection_table, display_object_detections
    import matplotlib.pyplot as plt
    HAVE_DLPY = True
except Exception:  # pragma: no cover - depends on the venv
    HAVE_DLPY = False

pytestmark = pytest.mark.skipif(not HAVE_DLPY, reason="sas-dlpy is not installed in this venv")

SIZE = 64


def write_voc(folder, n, seed=11):
    """`n` JPEG images and their VOC XML files; returns {file stem: (class, xmin, ymin, xmax, ymax)}."""
    from PIL import Image, ImageDraw
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for i in range(n):
        img = Image.new("RGB", (SIZE, SIZE))
        img.putdata([(rnd.randint(20, 60),) * 3 for _ in range(SIZE * SIZE)])
        side = rnd.randint(16, 28)
        x, y = rnd.randint(0, SIZE - side), rnd.randint(0, SIZE - side)
        cls = rnd.choice(["red", "blue"])
        ImageDraw.Draw(img).rectangle([x, y, x + side - 1, y + side - 1], fill=(220, 30, 30) if cls == "red" else (30, 30, 220))
        stem = f"sq_{i:02d}"
        img.save(folder / f"{stem}.jpg", quality=95)
        (folder / f"{stem}.xml").write_text(
            f"<annotation><filename>{stem}.jpg</filename><size><width>{SIZE}</width><height>{SIZE}</height><depth>3</depth></size>"
            f"<object><name>{cls}</name><bndbox><xmin>{x}</xmin><ymin>{y}</ymin><xmax>{x + side}</xmax><ymax>{y + side}</ymax></bndbox>"
            "</object></annotation>")
        truth[stem] = (cls, x, y, x + side, y + side)
    return truth


@pytest.fixture(scope="module")
def voc(server):
    folder = server.data / "public" / "voc"
    return folder, write_voc(folder, 24)


def connect(server, user):
    """DLPy's create_object_detection_table names the tables it loads from the data's caslib without a caslib: the
    data's caslib (Public here) must be the active one (docs/python.md)."""
    conn = server.connect(user)
    conn.setsessopt(caslib="public")
    return conn


def test_tiny_yolov2_trains_on_a_voc_folder_and_beats_the_mean_box_baseline(server, voc):
    folder, truth = voc
    conn = connect(server, "alice")
    try:
        targets = create_object_detection_table(conn, data_path=str(folder), coord_type="yolo", output="det_train", image_size=SIZE)
        tbl = conn.CASTable("det_train")
        assert len(tbl) == len(truth)
        model = Tiny_YoloV2(conn, anchors=[0.6, 0.6, 0.9, 0.9], model_table="tiny_yolo", n_classes=2, width=SIZE, height=SIZE,
                            predictions_per_grid=2, grid_number=SIZE // 32, coord_type="yolo")
        layers = conn.CASTable("tiny_yolo").to_frame()
        assert "Detection" in set(layers["_DLChrVal_"])
        specs = [DataSpec(type_="IMAGE", layer="Input1", data=["_image_"]),
                 DataSpec(type_="OBJECTDETECTION", layer="Detection1", data=["_nObjects_"] + targets)]
        opt = Optimizer(algorithm=MomentumSolver(learning_rate=0.001, momentum=0.9), mini_batch_size=4, max_epochs=20, log_level=0, seed=5)
        hist = model.fit(data="det_train", optimizer=opt, data_specs=specs, record_seed=13309, force_equal_padding=True)
        h = hist.OptIterHistory
        assert h["Loss"].iloc[-1] < h["Loss"].iloc[0] / 3, h
        assert h["FitError"].iloc[-1] < h["FitError"].iloc[0], h

        model.predict(data="det_train")
        scored = model.valid_res_tbl
        cols = set(scored.columns)
        assert {"idjoin", "_nObjects_", "_Object0_", "_Object0_x", "_Object0_y", "_Object0_width", "_Object0_height", "_P_Object0_"} <= cols
        found = model.evaluate_object_detection(ground_truth="det_train", coord_type="yolo", detection_data=scored, iou_thresholds=0.5)
        model_map = found[0]["AP"]

        # the baseline, scored by the same DLPy function: the mean training box and the most common class for every image
        boxes = np.array([[(a + c) / 2 / SIZE, (b + d) / 2 / SIZE, (c - a) / SIZE, (d - b) / SIZE] for _, a, b, c, d in truth.values()])
        classes = [t[0] for t in truth.values()]
        common = max(set(classes), key=classes.count)
        mean = boxes.mean(axis=0)
        rows = [dict(idjoin=stem, _nObjects_=1.0, _Object0_=common, _Object0_x=mean[0], _Object0_y=mean[1], _Object0_width=mean[2],
                     _Object0_height=mean[3], _P_Object0_=1.0) for stem in truth]
        conn.upload_frame(pd.DataFrame(rows), casout=dict(name="det_baseline", replace=True))
        baseline = model.evaluate_object_detection(ground_truth="det_train", coord_type="yolo", detection_data=conn.CASTable("det_baseline"),
                                                   iou_thresholds=0.5)
        baseline_map = baseline[0]["AP"] if baseline else 0.0
        assert model_map > baseline_map + 0.1 and model_map > 0.2, (model_map, baseline_map)

        # DLPy draws the detections on the images
        plt.close("all")
        display_object_detections(conn, scored, coord_type="yolo", max_objects=3, num_plot=4, n_col=2)
        assert len(plt.gcf().axes) >= 4
    finally:
        conn.close()


def test_a_detection_table_with_a_third_class_is_refused_naming_the_layer(server, voc):
    folder, _ = voc
    conn = connect(server, "bob")
    try:
        targets = create_object_detection_table(conn, data_path=str(folder), coord_type="yolo", output="det_bob", image_size=SIZE)
        Tiny_YoloV2(conn, anchors=[0.6, 0.6], model_table="tiny_one", n_classes=1, width=SIZE, height=SIZE,
                    predictions_per_grid=1, grid_number=SIZE // 32, coord_type="yolo")
        r = conn.retrieve("deepLearn.dlTrain", _messagelevel="error", table="det_bob", modelTable="tiny_one",
                          dataSpecs=[dict(type="IMAGE", layer="Input1", data=["_image_"]),
                                     dict(type="OBJECTDETECTION", layer="Detection1", data=["_nObjects_"] + targets)],
                          optimizer=dict(maxEpochs=1, miniBatchSize=4))
        assert r.severity == 2
        text = " ".join(r.messages)
        assert "2 object classes" in text and "classNumber=1" in text, text
        assert conn.table.tableExists(name="det_bob").exists > 0   # nothing stored was lost
    finally:
        conn.close()


def test_model_from_table_keeps_every_detection_option(server):
    """DLPy's Model.from_table reads a detection layer back (coordType and the model type as numbers, the booleans as
    0/1) and compiles it into the same table: every row of the layer comes back unchanged."""
    from dlpy.model import Model
    conn = server.connect("alice")
    try:
        Tiny_YoloV2(conn, anchors=[0.6, 0.6, 0.9, 0.9], model_table="rt_yolo", n_classes=2, width=SIZE, height=SIZE,
                    predictions_per_grid=2, grid_number=SIZE // 32, coord_type="coco", do_sqrt=False, object_scale=3.0)

        def rows():
            t = conn.CASTable("rt_yolo", where="_DLKey0_='detection1'").to_frame()
            return {r["_DLKey1_"]: (r["_DLChrVal_"], r["_DLNumVal_"]) for _, r in t.iterrows()}
        before = rows()
        assert before["detectionopts.coordType"][0] == "COCO" and before["detectionopts.doSqrt"][1] == 0
        assert before["detectionopts.objectScale"][1] == 3.0 and before["detectionopts.yoloVersion"][1] == 2
        rebuilt = Model.from_table(conn.CASTable("rt_yolo"), display_note=False)
        det = [layer.config for layer in rebuilt.layers if layer.type == "detection"][0]
        assert det["coord_type"] == 3.0 and det["anchors"] == [0.6, 0.6, 0.9, 0.9]
        rebuilt.compile()
        assert rows() == before
    finally:
        conn.close()


@pytest.mark.parametrize("app", ["YoloV2", "YoloV2_MultiSize"])
def test_dlpys_other_yolo_v2_builders_train_one_epoch_and_score(server, voc, app):
    """YoloV2 (a plain stack) and YoloV2_MultiSize (a reshape of an earlier feature map concatenated with the last one)
    build through the unmodified DLPy call, train one epoch and write boxes."""
    folder, truth = voc
    conn = connect(server, "carol")
    try:
        targets = create_object_detection_table(conn, data_path=str(folder), coord_type="yolo", output="det_carol", image_size=SIZE)
        builder = {"YoloV2": YoloV2, "YoloV2_MultiSize": YoloV2_MultiSize}[app]
        model = builder(conn, anchors=[0.6, 0.6, 0.9, 0.9], model_table=app.lower(), n_classes=2, width=SIZE, height=SIZE,
                        predictions_per_grid=2, grid_number=SIZE // 32, coord_type="yolo", detection_threshold=0.0)
        specs = [DataSpec(type_="IMAGE", layer="Input1", data=["_image_"]),
                 DataSpec(type_="OBJECTDETECTION", layer="Detection1", data=["_nObjects_"] + targets)]
        opt = Optimizer(algorithm=MomentumSolver(learning_rate=0.0001, momentum=0.9), mini_batch_size=4, max_epochs=1, log_level=0, seed=5)
        hist = model.fit(data="det_carol", optimizer=opt, data_specs=specs, force_equal_padding=True)
        assert len(hist.OptIterHistory) == 1 and np.isfinite(hist.OptIterHistory["Loss"].iloc[0])
        model.predict(data="det_carol")
        scored = model.valid_res_tbl.to_frame()
        # detectionThreshold 0: every image gets boxes (at most maxBoxes), each with a class the table has
        assert len(scored) == len(truth) and (scored["_nObjects_"] >= 1).all()
        assert set(scored["_Object0_"]) <= {"red", "blue"}
    finally:
        conn.close()
