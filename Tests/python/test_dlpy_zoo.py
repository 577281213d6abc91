"""DLPy's model zoo (issue: every classification application in `dlpy.applications`) through the
unmodified DLPy call: build, train one epoch on a small image table, score it.

Each application is called as a DLPy user would: its own defaults except the class count and, where
the architecture allows it, a smaller image (the default 224×224 on 2 cores would make this suite
slow, and the layer options under test do not depend on the size). Runs when `dlpy` is importable.
"""
import random
import time

import pytest

try:
    import matplotlib
    matplotlib.use("Agg")
    import dlpy  # noqa: F401
    from dlpy import applications as apps
    from dlpy.images import ImageTable
    HAVE_DLPY = True
except Exception:  # pragma: no cover - depends on the venv
    HAVE_DLPY = False

pytestmark = pytest.mark.skipif(not HAVE_DLPY, reason="sas-dlpy is not installed in this venv")


def _write_shapes(folder, size, per_class=4):
    """Two classes: a bright square or a dark square on mid gray, at random places (seeded)."""
    from PIL import Image
    rnd = random.Random(size)
    for cls, col in (("bright", (240, 230, 220)), ("dark", (15, 20, 25))):
        (folder / cls).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            im = Image.new("RGB", (size, size), (128, 128, 128))
            side = size // 3
            x, y = rnd.randint(0, size - side), rnd.randint(0, size - side)
            im.paste(col, (x, y, x + side, y + side))
            im.save(folder / cls / f"{cls}_{i:02d}.png")


def rows_for(size):
    """8 images (4 per class); 2 for the EfficientNets whose fixed input is 300 pixels or more (B3–B7), so
    the largest (B7, 600×600) trains and scores in bounded time."""
    return 8 if size < 300 else 2


def image_table(conn, server, size):
    """A labelled image table of `size`×`size` PNGs (`rows_for(size)` rows, 2 classes) loaded with loadImages."""
    folder = server.data / "public" / f"zoo_{size}"
    if not folder.exists():
        _write_shapes(folder, size, per_class=rows_for(size) // 2)
    conn.loadactionset("image")
    name = f"zoo_{size}"
    r = conn.image.loadImages(caslib="Public", path=f"zoo_{size}", recurse=True, labelLevels=1,
                              casout={"name": name, "replace": True})
    assert r.severity == 0, r.messages
    return ImageTable.from_table(conn.CASTable(name))


# (application, keyword arguments besides conn and model_table, image size)
CLASSIFIERS = [
    ("VGG11", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("VGG13", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("VGG16", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("VGG19", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("ResNet18_SAS", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("ResNet18_Caffe", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("ResNet34_SAS", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("ResNet34_Caffe", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("ResNet50_SAS", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("ResNet50_Caffe", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("ResNet101_SAS", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("ResNet101_Caffe", {"n_classes": 2, "width": 32, "height": 32}, 32),
    # 64 px: at 32 px its last stage is 1×1, where batch norm over a mini-batch of 2 divides by the spread of
    # two values and the 150 layers' gradients overflow within the epoch (seed 1234, lr 1e-4)
    ("ResNet152_SAS", {"n_classes": 2, "width": 64, "height": 64}, 64),
    ("ResNet152_Caffe", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("ResNet_Wide", {}, 32),
    ("DenseNet", {}, 32),
    # 64 px: at 32 px, after 4 training steps the batch norms' running variances (momentum from 1) are far below the
    # batch variances of unscaled pixels, the 120 BN layers amplify in inference and every score overflows to NaN
    # (dlScore warns "no prediction"); traced layer by layer with layerOut
    ("DenseNet121", {"n_classes": 2, "width": 64, "height": 64}, 64),
    ("Darknet", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("Darknet_Reference", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("InceptionV3", {"n_classes": 2, "width": 75, "height": 75}, 75),
    ("MobileNetV1", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("MobileNetV2", {"n_classes": 2, "width": 32, "height": 32}, 32),
    ("ShuffleNetV1", {"n_classes": 2, "width": 32, "height": 32}, 32),
] + [(f"EfficientNetB{i}", {"n_classes": 2}, [224, 240, 260, 300, 380, 456, 528, 600][i]) for i in range(8)]


@pytest.mark.parametrize("app,kwargs,size", CLASSIFIERS, ids=[c[0] for c in CLASSIFIERS])
def test_classifier_builds_trains_and_scores(server, app, kwargs, size):
    conn = server.connect("alice")
    try:
        t0 = time.time()
        tbl = image_table(conn, server, size)
        model = getattr(apps, app)(conn, model_table=f"zoo_{app}", **kwargs)
        hist = model.fit(data=tbl, inputs="_image_", target="_label_", mini_batch_size=2, max_epochs=1, lr=0.0001,
                         seed=1234, log_level=0)
        assert hist.severity == 0, hist.messages
        opt = hist["OptIterHistory"]
        assert len(opt) == 1 and opt["Loss"].notna().all()
        r = model.predict(data=tbl)
        assert r.severity == 0, r.messages
        info = r["ScoreInfo"].set_index("Descr")["Value"]
        assert int(float(str(info["Number of Observations Read"]).replace(",", ""))) == rows_for(size)
        scored = conn.CASTable(model.valid_res_tbl.name).to_frame()
        assert len(scored) == rows_for(size)
        assert set(scored["I__label_"].str.strip()) <= {"bright", "dark"}
        print(f"{app}: {time.time() - t0:.1f} s")
    finally:
        conn.terminate()


def test_recurrent_models_are_refused_saying_so(server):
    conn = server.connect("alice")
    try:
        conn.loadactionset("deepLearn")
        r = conn.deepLearn.buildModel(model={"name": "rnn", "replace": True}, type="RNN")
        assert r.severity == 2
        assert any("recurrent models" in m and "not supported" in m for m in r.messages), r.messages
        # DLPy's own text application stops at the same refusal
        with pytest.raises(Exception):
            apps.TextClassification(conn, model_table="text_clf")
    finally:
        conn.terminate()


def test_dlpys_adam_solver_trains(server):
    """DLPy's AdamSolver (method ADAM, beta1, beta2) through fit: the loss falls over the epochs."""
    from dlpy.model import Optimizer, AdamSolver
    conn = server.connect("alice")
    try:
        tbl = image_table(conn, server, 32)
        model = apps.ResNet18_SAS(conn, model_table="zoo_adam", n_classes=2, width=32, height=32)
        opt = Optimizer(algorithm=AdamSolver(learning_rate=0.001, beta1=0.9, beta2=0.999), mini_batch_size=4, max_epochs=4,
                        log_level=0, seed=1234)
        hist = model.fit(data=tbl, inputs="_image_", target="_label_", optimizer=opt, seed=1234)
        assert hist.severity == 0, hist.messages
        loss = list(hist["OptIterHistory"]["Loss"])
        assert len(loss) == 4 and loss[-1] < loss[0], loss
    finally:
        conn.terminate()


ROUND_TRIPS = [("VGG11", {"n_classes": 2, "width": 32, "height": 32}), ("ResNet18_SAS", {"n_classes": 2, "width": 32, "height": 32}),
               ("MobileNetV2", {"n_classes": 2, "width": 32, "height": 32}), ("ShuffleNetV1", {"n_classes": 2, "width": 32, "height": 32}),
               ("EfficientNetB0", {"n_classes": 2}), ("UNet", {"n_classes": 2, "n_channels": 1, "width": 32, "height": 32}),
               ("DenseNet121", {"n_classes": 2, "width": 32, "height": 32}),
               ("Tiny_YoloV2", {"anchors": [1.0, 1.0], "n_classes": 2, "width": 64, "height": 64, "predictions_per_grid": 1, "grid_number": 2})]
# Not InceptionV3: DLPy's reader drops pooling layers' padding (extract_pooling_layer reads width, height, stride),
# so its rebuilt pools pad as CAS does by default and the concatenations no longer line up.


@pytest.mark.parametrize("app,kwargs", ROUND_TRIPS, ids=[a for a, _ in ROUND_TRIPS])
def test_model_from_table_rebuilds_the_same_network(server, app, kwargs):
    """DLPy's Model.from_table reads a model table back into layer objects and compiles them into a new table
    (act labels such as "Rectifier", pad_top/pad_left, groupconvopts.ngroups, outputopts.noFullConnect): the new
    model has the same layers, shapes and parameter counts."""
    from dlpy.model import Model
    conn = server.connect("alice")
    try:
        conn.loadactionset("deepLearn")
        getattr(apps, app)(conn, model_table=f"rt_{app}", **kwargs)
        a = conn.deepLearn.modelInfo(model=f"rt_{app}")
        # DLPy compiles the layers it read back into the model's own table (the name in its modeltype row): the
        # layers of the rebuilt table must describe the same network
        rebuilt = Model.from_table(conn.CASTable(f"rt_{app}"), display_note=False)
        rebuilt.compile()
        b = conn.deepLearn.modelInfo(model=rebuilt.model_table["name"])
        cols = ["Layer", "Type", "OutputShape", "Parameters"]
        la, lb = a["LayerInfo"][cols], b["LayerInfo"][cols]
        # DLPy's reader also drops a pooling layer's dropout option (EfficientNet's): not compared
        pools = set(la["Layer"][la["Type"].str.contains("pool")])
        la = la[~la["Layer"].map(lambda n: n.endswith("#dropout") and n[:-8] in pools)]
        assert len(la) == len(lb) and la.values.tolist() == lb.values.tolist()
    finally:
        conn.terminate()
