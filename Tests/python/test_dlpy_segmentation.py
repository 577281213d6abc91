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
    from dlpy.utils import create_segmentation_table
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


def test_unet_trains_on_masks_and_beats_the_background_baseline(server):
    from PIL import Image
    folder = server.data / "public" / "seg"
    write_squares(folder, 16)
    conn = server.connect("alice")
    try:
        tbl = create_segmentation_table(conn, path_to_images=str(folder / "raw"), path_to_ground_truth=str(folder / "mask"),
                                        output_table_name="seg_data")
        cols = [c.lower() for c in tbl.columns]
        assert "_image_" in cols and "labels" in cols and len(tbl) == 16
        model = apps.UNet(conn, model_table="unet", n_classes=2, n_channels=1, width=SIZE, height=SIZE, scale=1.0 / 255)
        layers = conn.CASTable("unet").to_frame()
        assert "Segmentation" in set(layers["_DLChrVal_"])
        opt = Optimizer(algorithm=MomentumSolver(learning_rate=0.01, momentum=0.9), mini_batch_size=4, max_epochs=12, log_level=0, seed=1234)
        hist = model.fit(data=tbl, inputs="_image_", target="labels", optimizer=opt, seed=1234)
        assert hist.severity == 0, hist.messages
        loss = list(hist["OptIterHistory"]["Loss"])
        assert loss[-1] < loss[0]

        r = model.predict(data=tbl)
        assert r.severity == 0, r.messages
        info = r["ScoreInfo"].set_index("Descr")["Value"]
        err = float(str(info["Pixel Misclassification Error (%)"]))
        # the trivial answer (every pixel background) misclassifies every square pixel
        background_error = 0.0
        masks = []
        for p in sorted((folder / "mask").iterdir()):
            m = list(Image.open(p).getdata())
            masks.append(m)
            background_error += sum(m) / len(m)
        background_error = background_error / len(masks) * 100
        assert err < background_error / 2, (err, background_error)
        acc = r["SegmentationAccuracy"].set_index("Class")
        assert float(acc.loc["1", "IoU"]) > 50

        scored = conn.CASTable(model.valid_res_tbl.name).to_frame()
        assert len(scored) == 16
        # the predicted masks are PNGs coded as the training masks (0 background, 1 square)
        row = scored.iloc[0]
        pred = Image.open(io.BytesIO(bytes(row["_DL_PredMask_"]))) if not hasattr(row["_DL_PredMask_"], "size") else row["_DL_PredMask_"]
        assert pred.size == (SIZE, SIZE) and set(pred.getdata()) <= {0, 1}
    finally:
        conn.terminate()
