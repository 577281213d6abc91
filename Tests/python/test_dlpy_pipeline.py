"""DLPy (sas-dlpy 1.3, unmodified) over swat against caslite (docs/python.md §6 "DLPy").

The swat-level tests hold the small CAS-compatibility points DLPy depends on and always run. The
DLPy tests run when `dlpy` is importable (the Makefile's .venv installs sas-dlpy, matplotlib and h5py;
a failed install only skips them); the pretrained ResNet50_Caffe test also needs h5py.
"""
import random

import numpy as np
import pytest

try:
    import matplotlib
    matplotlib.use("Agg")
    import dlpy  # noqa: F401
    HAVE_DLPY = True
except Exception:  # pragma: no cover - depends on the venv
    HAVE_DLPY = False


def _write_pets(folder, per_class=12, size=32):
    """Two classes: a red or a blue square on a dark background, at random places."""
    from PIL import Image
    rnd = random.Random(1)
    for cls, col in (("cats", (230, 40, 40)), ("dogs", (40, 40, 230))):
        (folder / cls).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            im = Image.new("RGB", (size, size), (rnd.randint(0, 60),) * 3)
            x, y = rnd.randint(0, size // 2), rnd.randint(0, size // 2)
            for dx in range(size // 3):
                for dy in range(size // 3):
                    im.putpixel((x + dx, y + dy), col)
            im.save(folder / cls / f"{cls}_{i:02d}.png")


def pets_of(server):
    """The image folder under a server's Public caslib: (absolute path, caslib-relative path)."""
    folder = server.data / "public" / "dlpy_pets"
    if not folder.exists():
        _write_pets(folder)
    return folder, "dlpy_pets"


@pytest.fixture(scope="module")
def pets(server):
    return pets_of(server)


# --- the compatibility points, through plain swat -------------------------------------------------

def test_about_has_server_table(conn):
    # DLPy's get_cas_host_type: about()['About']['System']['OS Family'] and about()['server'].nodes
    r = conn.about()
    assert r["About"]["System"]["OS Family"].startswith("LIN")
    assert int(r["server"]["nodes"].iloc[0]) == 1


def test_caslibinfo_srctype(conn):
    # DLPy's find_caslib asks for PATH, DNFS and HDFS caslibs
    paths = conn.caslibinfo(srcType="PATH")["CASLibInfo"]
    assert "Public" in set(paths["Name"]) and all(p.endswith("/") for p in paths["Path"])
    assert len(conn.caslibinfo(srcType="HDFS")["CASLibInfo"]) == 0
    assert len(conn.caslibinfo(srcType="all")["CASLibInfo"]) == len(paths)


def test_loadimages_output_goes_to_the_active_caslib(conn, pets):
    conn.loadactionset("image")
    r = conn.image.loadImages(caslib="Public", path=pets[1], casout={"name": "pets_active", "replace": True},
                              recurse=True, labelLevels=-1, distribution={"type": "random"})
    assert r.severity == 0, r.messages
    assert r["caslib"].upper().startswith("CASUSER")
    assert len(conn.CASTable("pets_active")) == 24


def test_partition_and_shuffle_accept_blocksize(conn, pets):
    conn.loadactionset("image")
    conn.image.loadImages(caslib="Public", path=pets[1], casout={"name": "pets_bs", "replace": True})
    # DLPy sends blocksize as an int (32) or, from image_blocksize(), a fraction (0.75)
    r = conn.table.partition(table={"name": "pets_bs", "Vars": ["_image_", "_label_", "_id_"]},
                             casout={"name": "pets_bs2", "replace": True, "blocksize": 0.75})
    assert r.severity == 0, r.messages
    r = conn.table.shuffle(table={"name": "pets_bs2"}, casout={"name": "pets_bs2", "replace": True, "blocksize": 32})
    assert r.severity == 0, r.messages
    assert r["tableName"] == "pets_bs2" and "casTable" in r
    ids = conn.CASTable("pets_bs2").to_frame()["_id_"].tolist()
    assert sorted(ids) == list(range(1, 25))
    # a seed gives the same order
    a = conn.table.shuffle(table="pets_bs", casout={"name": "s1", "replace": True}, seed=7)
    b = conn.table.shuffle(table="pets_bs", casout={"name": "s2", "replace": True}, seed=7)
    assert a.severity == 0 and b.severity == 0
    assert conn.CASTable("s1").to_frame()["_id_"].tolist() == conn.CASTable("s2").to_frame()["_id_"].tolist()


def test_pooling_stride_per_direction_and_dlscore_loglevel(conn):
    conn.loadactionset("deepLearn")
    conn.deepLearn.buildModel(model={"name": "m", "replace": True}, type="CNN")
    conn.deepLearn.addLayer(model="m", name="in", layer={"type": "input", "nchannels": 3, "width": 8, "height": 8})
    # DLPy's Pooling(2) sends stride_vertical/stride_horizontal instead of stride
    r = conn.deepLearn.addLayer(model="m", name="p", srclayers=["in"],
                                layer={"type": "pool", "width": 2, "height": 2, "stridevertical": 2, "stridehorizontal": 2, "pool": "max"})
    assert r.severity == 0, r.messages
    r = conn.deepLearn.addLayer(model="m", name="p2", srclayers=["p"],
                                layer={"type": "pool", "width": 2, "stridevertical": 1, "stridehorizontal": 2})
    assert r.severity == 2 and any("must be equal" in m for m in r.messages)
    r = conn.deepLearn.modelInfo(model="m")
    assert r.severity == 0, r.messages
    shapes = dict(zip(r["LayerInfo"]["Layer"], r["LayerInfo"]["OutputShape"]))
    assert "4" in str(shapes["p"])
    # dlScore accepts (and ignores) DLPy's loglevel / minibatchbufsize
    names = {p["name"].lower() for p in conn.builtins.reflect(action="deepLearn.dlScore")[0]["actions"][0]["params"]}
    assert {"loglevel", "minibatchbufsize"} <= names


# --- the DLPy pipeline ----------------------------------------------------------------------------

@pytest.mark.skipif(not HAVE_DLPY, reason="sas-dlpy is not installed in this venv")
def test_dlpy_image_pipeline(conn, pets, capsys):
    run_dlpy_pipeline(conn, pets, capsys)


def run_dlpy_pipeline(conn, pets, capsys):
    """DLPy's image pipeline end to end (also run over HTTPS by test_swat_https.py)."""
    from dlpy import Sequential
    from dlpy.images import ImageTable
    from dlpy.layers import Conv2d, InputLayer, OutputLayer, Pooling
    from dlpy.model import Optimizer, VanillaSolver
    from dlpy.splitting import three_way_split, two_way_split

    tbl = ImageTable.load_files(conn, path=str(pets[0]))
    assert len(tbl) == 24
    assert {"_image_", "_label_", "_filename_0", "_id_"} <= set(tbl.columns)
    assert list(tbl.label_freq["Frequency"]) == [12, 12]
    assert int(tbl.image_summary["maxWidth"]) == 32
    assert len(tbl.channel_means) == 3

    # from_table on a table without _filename_0: DLPy computes one with cats/put/rand in computedVarsProgram
    conn.table.partition(table={"name": tbl.name, "vars": ["_image_", "_label_"]}, casout={"name": "bare", "replace": True})
    bare = ImageTable.from_table(conn.CASTable("bare"))
    names = list(bare.to_frame()["_filename_0"])
    assert len(names) == 24 and all(n.endswith(".jpg") and n.split("_")[0] in ("cats", "dogs") for n in names), names[:3]
    small = tbl.resize(width=16, height=16, inplace=False)
    assert int(small.image_summary["maxWidth"]) == 16

    tr3, va3, te3 = three_way_split(tbl, valid_rate=25, test_rate=25, seed=1)
    assert len(tr3) + len(va3) + len(te3) == 24
    train, test = two_way_split(tbl, test_rate=25, seed=123)
    assert (len(train), len(test)) == (18, 6)

    model = Sequential(conn, model_table="dlpy_tiny")
    model.add(InputLayer(3, 32, 32, scale=1.0 / 255))
    model.add(Conv2d(4, 3))
    model.add(Pooling(2))
    model.add(OutputLayer(act="softmax", n=2))
    model.compile()
    assert [l.type for l in model.layers][:2] == ["input", "convo"]

    opt = Optimizer(algorithm=VanillaSolver(learning_rate=0.01), mini_batch_size=4, max_epochs=2, log_level=0, seed=1)
    r = model.fit(data=train, inputs="_image_", target="_label_", optimizer=opt, seed=1, n_threads=2)
    assert r.severity < 2, r.messages
    assert list(model.training_history["Epoch"]) == [1, 2]

    # DLPy's CyclicLR: an FCMP function compiled by fcmpact.addRoutines, found through cmplib, per batch
    from dlpy.lr_scheduler import CyclicLR
    capsys.readouterr()
    lrs = CyclicLR(conn, train, 4, 1.0, 1e-4, 0.01)
    opt2 = Optimizer(algorithm=VanillaSolver(learning_rate=1e-4, lr_scheduler=lrs), mini_batch_size=4, max_epochs=2, log_level=2, seed=1)
    r2 = model.fit(data=train, inputs="_image_", target="_label_", optimizer=opt2, seed=1, n_threads=2)
    assert r2.severity < 2, r2.messages
    # the second fit continues from the first one's weights: DLPy finds them through tableinfo's
    # upper-case names (otherwise it says "Training from scratch" and sends no initWeights)
    assert "DLPY_TINY_WEIGHTS" in list(conn.table.tableinfo()["TableInfo"]["Name"])
    printed = capsys.readouterr().out
    assert "existing weights" in printed and "from scratch" not in printed, printed
    # it continues from the first fit's weights (epochs 3 and 4); its second epoch starts up the cycle
    hist = r2["OptIterHistory"]
    assert list(hist["Epoch"]) == [3, 4]
    assert hist["LearningRate"].iloc[0] == pytest.approx(1e-4) and hist["LearningRate"].iloc[1] > 1e-4

    p = model.predict(test)
    assert p.severity == 0, p.messages
    e = model.evaluate(test)
    assert e.severity == 0, e.messages
    assert "ScoreInfo" in e
    assert len(model.valid_res) == 6
    model.plot_evaluate_res(img_type="A", n_images=2)
    # C and M pick rows through computedVars (`_eq_0_ = (_label_ = I__label_)` / `^=`) plus where=
    res = model.valid_res
    right = int((res["_label_"] == res["I__label_"]).sum())
    if right > 0:
        model.plot_evaluate_res(img_type="C", n_images=2)
    if right < len(res):
        model.plot_evaluate_res(img_type="M", n_images=2)
    model.plot_evaluate_res(img_type="A", n_images=2, randomize=True, seed=3)   # call streaminit + rand("UNIFORM")
    # caslite's own picture action through plain swat: its SVG column comes back as bytes (swat hands image/* columns
    # to Pillow, which cannot read SVG: a review saw swat raise UnidentifiedImageError)
    pics = conn.deepLearn.dlEvaluatePictures(table=model.valid_res_tbl.name, imageTable=test.name, nImages=2)
    assert pics.severity == 0, pics.messages
    svg = pics["EvaluatePictures"]["Picture"].iloc[0]
    assert isinstance(svg, (bytes, bytearray)) and bytes(svg).lstrip().startswith(b"<svg"), type(svg)
    # occlusion heat maps: DLPy masks the images itself and looks rows up with `_id_ = '<n>'`
    model.heat_map_analysis(data=test, mask_width=8, mask_height=8, step_size=4, max_display=1)
    # model, weights and the weights' extended attributes saved as tables in the Public caslib's folder
    model.save_to_table(str(pets[0].parent))
    info = conn.table.fileInfo(caslib="public", allFiles=True)
    assert info.severity == 0, info.messages
    saved = info["FileInfo"]
    assert any("dlpy_tiny" in n.lower() for n in saved["Name"]), list(saved["Name"])


@pytest.mark.skipif(not HAVE_DLPY, reason="sas-dlpy is not installed in this venv")
def test_dlpy_feature_maps_features_and_astore(conn, pets, tmp_path):
    """get_feature_maps (dlScore layerOut= JPG) and display, get_features (WIDE), save_to_astore."""
    from dlpy import Sequential
    from dlpy.images import ImageTable
    from dlpy.layers import Conv2d, Dense, InputLayer, OutputLayer, Pooling
    from dlpy.model import Optimizer, VanillaSolver

    tbl = ImageTable.load_files(conn, path=str(pets[0]))
    model = Sequential(conn, model_table="dlpy_maps")
    model.add(InputLayer(3, 32, 32, scale=1.0 / 255))
    model.add(Conv2d(4, 3))
    model.add(Pooling(2))
    model.add(Dense(6))
    model.add(OutputLayer(act="softmax", n=2))
    model.compile()
    opt = Optimizer(algorithm=VanillaSolver(learning_rate=0.01), mini_batch_size=4, max_epochs=1, log_level=0, seed=1)
    assert model.fit(data=tbl, inputs="_image_", target="_label_", optimizer=opt, seed=1).severity < 2

    model.get_feature_maps(tbl, label="dogs", idx=1)
    # DLPy counts the images per layer from the column names: input (3 channels), conv (4), pool (4)
    assert model.feature_maps.structure == {0: 3, 1: 4, 2: 4}
    model.feature_maps.display(0)        # the input, its three channel images stacked as a color image
    model.feature_maps.display(1)
    img = conn.image.fetchImages(table=model.feature_maps.tbl, image="_LayerAct_1_IMG_0_")["Images"]["Image"][0]
    assert np.asarray(img).shape[:2] == (32, 32)

    dense = model.layers[3].name
    x, y = model.get_features(tbl, dense_layer=dense)
    assert x.shape == (24, 6) and len(y) == 24
    assert (x >= 0).all()                # the dense layer's ReLU outputs

    model.save_to_astore(path=str(tmp_path))
    saved = tmp_path / "dlpy_maps.astore"
    assert saved.read_bytes().startswith(b"CASLITE-ASTORE 2\nblake2b ")


def _write_resnet50_caffe_h5(path, seed=50):
    """A random-weight ResNet-50 in DLPy's/SAS's *.caffemodel.h5 layout (reference: dlpy-actions §7)."""
    import h5py
    rng = np.random.default_rng(seed)

    def w(*shape, s=0.01):
        return rng.normal(0, s, shape).astype(np.float32)

    with h5py.File(path, "w") as f:
        d = f.create_group("data")

        def conv(name, o, i, k, bias=False):
            g = d.create_group(name)
            g["0"] = w(o, i, k, k)
            if bias:
                g["1"] = w(o)

        def bn(name, c, factor=2.0):
            g = d.create_group(name)
            g["0"] = w(c) * factor                                   # mean·f
            g["1"] = (1 + np.abs(w(c, s=0.1))) * factor              # var·f
            g["2"] = np.full((1,), factor, np.float32)               # f
            sc = d.create_group(name + "_scale")
            sc["0"] = (1 + w(c, s=0.05)).astype(np.float32)          # gamma
            sc["1"] = w(c)                                           # beta

        conv("conv1", 64, 3, 7, bias=True)
        bn("bn_conv1", 64)
        d.create_group("pool1")
        cin = 64
        for stage, f_, blocks in ((2, 64, 3), (3, 128, 4), (4, 256, 6), (5, 512, 3)):
            for b in "abcdef"[:blocks]:
                p = f"{stage}{b}"
                if b == "a":
                    conv(f"res{p}_branch1", 4 * f_, cin, 1)
                    bn(f"bn{p}_branch1", 4 * f_)
                conv(f"res{p}_branch2a", f_, cin, 1)
                bn(f"bn{p}_branch2a", f_)
                conv(f"res{p}_branch2b", f_, f_, 3)
                bn(f"bn{p}_branch2b", f_)
                conv(f"res{p}_branch2c", 4 * f_, f_, 1)
                bn(f"bn{p}_branch2c", 4 * f_)
                d.create_group(f"res{p}")
                cin = 4 * f_
        d.create_group("pool5")
        g = d.create_group("fc1000")
        g["0"] = w(1000, 2048)
        g["1"] = w(1000)


@pytest.mark.skipif(not HAVE_DLPY, reason="sas-dlpy is not installed in this venv")
def test_dlpy_resnet50_caffe_pretrained(server, conn, pets, capsys):
    """DLPy's flagship path: ResNet50_Caffe with an h5 weights file and include_top=False (126 addLayers,
    caslib discovery, dlImportModelWeights CAFFE, fc1000 replaced, the weights table partitioned), then
    fit from those weights and evaluate."""
    pytest.importorskip("h5py")
    from dlpy.applications import ResNet50_Caffe
    from dlpy.images import ImageTable
    from dlpy.splitting import two_way_split

    weights = server.data / "public" / "weights" / "ResNet-50-model.caffemodel.h5"
    weights.parent.mkdir(parents=True, exist_ok=True)
    if not weights.exists():
        _write_resnet50_caffe_h5(weights)
    tbl = ImageTable.load_files(conn, path=str(pets[0]))
    train, test = two_way_split(tbl, test_rate=25, seed=123)
    model = ResNet50_Caffe(conn, model_table="RESNET50_CAFFE", n_classes=2, n_channels=3, width=32, height=32,
                           offsets=train.channel_means, pre_trained_weights=True,
                           pre_trained_weights_file=str(weights), include_top=False)
    assert len(model.layers) == 126 and model.layers[-1].name == "fc1000"
    w = conn.CASTable(model.model_weights.name)
    layer_ids = set(w.to_frame()["_LayerID_"].astype(int))
    assert 1 in layer_ids and 125 not in layer_ids        # conv1 imported; DLPy dropped the 1000-class head
    capsys.readouterr()
    r = model.fit(data=train, inputs="_image_", target="_label_", mini_batch_size=4, max_epochs=1, lr=1e-4, n_threads=2)
    assert r.severity < 2, r.messages
    printed = capsys.readouterr().out
    assert "existing weights" in printed and "from scratch" not in printed, printed
    e = model.evaluate(test)
    assert e.severity == 0, e.messages
    assert len(model.valid_res) == len(test)
