"""Segmentation through unmodified DLPy: `create_segmentation_table` (loadImages twice + deepLearn.dlJoin),
DLPy's UNet application (transposed convolutions, concat, the `segmentation` layer), `fit` against mask images,
and `predict` writing predicted masks that beat the trivial all-background answer.

The data set is synthetic and seeded: gray 32×32 images with one bright square (noise on both), masks with
0 for background and 1 for the square (DLPy's convention: the mask's pixel value is the class).
"""
import io
import random

import pytest

try:
    import matplotlib
    matplotlib.use("Agg")
    import dlpy  # noqa: F401
    from dlpy import applications as apps
    from dlpy.model import Optimizer, MomentumSolver
    from dlpy.utils import create_segmentation_table, display_segmentation_results
    import matplotlib.pyplot as plt
    HAVE_DLPY = True
except Exception:  # pragma: no cover - depends on the venv
    HAVE_DLPY = False

pytestmark = pytest.mark.skipif(not HAVE_DLPY, reason="sas-dlpy is not installed in this venv")

SIZE = 32


def write_squares(folder, n, seed=7):
    """`n` images in folder/raw and their masks (same file names) in folder/mask."""
    from PIL import Image
    rnd = random.Random(seed)
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    (folder / "mask").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        side = rnd.randint(8, 14)
        x, y = rnd.randint(0, SIZE - side), rnd.randint(0, SIZE - side)
        img = Image.new("L", (SIZE, SIZE))
        mask = Image.new("L", (SIZE, SIZE))
        img.putdata([min(255, max(0, (200 if x <= c < x + side and y <= r < y + side else 60) + rnd.randint(-40, 40)))
                     for r in range(SIZE) for c in range(SIZE)])
        mask.putdata([1 if x <= c < x + side and y <= r < y + side else 0 for r in range(SIZE) for c in range(SIZE)])
        img.save(folder / "raw" / f"sq_{i:02d}.png")
        mask.save(folder / "mask" / f"sq_{i:02d}.png")


@pytest.fixture(scope="module")
def seg_table(server):
    """The folder of images and masks (written once)."""
    folder = server.data / "public" / "seg"
    write_squares(folder, 16)
    return folder


def load(conn, folder):
    """DLPy's way: both folders loaded, joined on the file name (`dlJoin`), the mask column named `labels`."""
    tbl = create_segmentation_table(conn, path_to_images=str(folder / "raw"), path_to_ground_truth=str(folder / "mask"),
                                    output_table_name="seg_data")
    cols = [c.lower() for c in tbl.columns]
    assert "_image_" in cols and "labels" in cols and len(tbl) == 16
    return tbl


def background_error(folder):
    """Pixel error (%) of the trivial answer: every pixel background (it misclassifies every square pixel)."""
    from PIL import Image
    fractions = [sum(m) / len(m) for m in (list(Image.open(p).getdata()) for p in sorted((folder / "mask").iterdir()))]
    return sum(fractions) / len(fractions) * 100


def test_unet_with_batch_norm_trains_on_masks_and_beats_the_background_baseline(server, seg_table):
    from PIL import Image
    conn = server.connect("alice")
    try:
        tbl = load(conn, seg_table)
        model = apps.UNet(conn, model_table="unet_bn", n_classes=2, n_channels=1, width=SIZE, height=SIZE, scale=1.0 / 255,
                          bn_after_convolutions=True)
        layers = conn.CASTable("unet_bn").to_frame()
        assert "Segmentation" in set(layers["_DLChrVal_"]) and "Transpose Convolution" in set(layers["_DLChrVal_"])
        opt = Optimizer(algorithm=MomentumSolver(learning_rate=0.01, momentum=0.9), mini_batch_size=4, max_epochs=8, log_level=0, seed=1234)
        hist = model.fit(data=tbl, inputs="_image_", target="labels", optimizer=opt, seed=1234)
        assert hist.severity == 0, hist.messages
        fit_error = list(hist["OptIterHistory"]["FitError"])
        assert fit_error[-1] < fit_error[0]

        r = model.predict(data=tbl)
        assert r.severity == 0, r.messages
        info = r["ScoreInfo"].set_index("Descr")["Value"]
        err = float(str(info["Pixel Misclassification Error (%)"]))
        baseline = background_error(seg_table)
        assert err < baseline / 4, (err, baseline)
        acc = r["SegmentationAccuracy"].set_index("Class")
        assert float(acc.loc["1", "IoU"]) > 50

        scored = conn.CASTable(model.valid_res_tbl.name).to_frame()
        assert len(scored) == 16
        # the predicted masks are PNGs coded as the training masks (0 background, 1 square)
        cell = scored.iloc[0]["_DL_PredMask_"]
        pred = cell if hasattr(cell, "getdata") else Image.open(io.BytesIO(bytes(cell)))
        assert pred.size == (SIZE, SIZE) and set(pred.getdata()) <= {0, 1}

        # DLPy's picture: image, true mask, predicted mask per row (processImages HIST_EQUALIZATION, dlJoin, fetchImages)
        plt.close("all")
        display_segmentation_results(conn, tbl, n_images=2, image_column="_image_", segmentation_labels_table=tbl,
                                     label_column="labels", segmentation_prediction_table=model.valid_res_tbl.name,
                                     prediction_column="_DL_PredMask_", filename_column="_filename_0")
        fig = plt.gcf()
        assert len(fig.axes) == 6
        shown = [ax.get_images()[0].get_array() for ax in fig.axes]
        # the masks are shown equalized (0/1 → 0/255): two levels, the square bright
        for mask in (shown[1], shown[2], shown[4], shown[5]):
            assert set(int(v) for v in mask.ravel()) <= {0, 255} and mask.max() == 255
        plt.close("all")
    finally:
        conn.terminate()


def test_plain_unet_trains_and_scores(server, seg_table):
    """DLPy's UNet without batch norm (a ReLU right before the per-pixel softmax) learns slowly on this data:
    the test checks that its loss falls and that it scores every row, not that it beats the baseline."""
    conn = server.connect("alice")
    try:
        tbl = load(conn, seg_table)
        model = apps.UNet(conn, model_table="unet_plain", n_classes=2, n_channels=1, width=SIZE, height=SIZE, scale=1.0 / 255)
        opt = Optimizer(algorithm=MomentumSolver(learning_rate=0.003, momentum=0.9), mini_batch_size=4, max_epochs=4, log_level=0, seed=1234)
        hist = model.fit(data=tbl, inputs="_image_", target="labels", optimizer=opt, seed=1234)
        assert hist.severity == 0, hist.messages
        loss = list(hist["OptIterHistory"]["Loss"])
        assert loss[-1] < loss[0], loss
        r = model.predict(data=tbl)
        assert r.severity == 0, r.messages
        info = r["ScoreInfo"].set_index("Descr")["Value"]
        assert int(info["Number of Observations Used"]) == 16 and int(info["Pixels per Image"]) == SIZE * SIZE
    finally:
        conn.terminate()
