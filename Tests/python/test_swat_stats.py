"""pandas-style statistics through the unmodified swat client: CASTable.max/min/nunique/describe run
simple.topk, simple.distinct, simple.summary and percentile.percentile on caslite. Checked against
pandas / numpy computing the same statistics on the same frame (percentiles: SAS definition 5 =
numpy's 'averaged_inverted_cdf')."""
import numpy as np
import pandas as pd
import pytest


def frame():
    return pd.DataFrame({
        "id": [3, 1, 2, 5, 4, 6, 7],
        "name": ["gamma", "alpha", "beta", "alpha", "delta", "alpha", "beta"],
        "score": [2.5, 1.0, np.nan, 4.25, 3.0, 1.0, 9.5],
    })


@pytest.fixture()
def table(conn):
    conn.loadactionset("simple")
    return conn.upload_frame(frame(), casout={"name": "stats", "replace": True})


def test_max_min_nunique_match_pandas(table):
    df = frame()
    mx, mn = table.max(), table.min()
    assert mx["id"] == df["id"].max() and mn["id"] == df["id"].min()
    assert mx["score"] == pytest.approx(df["score"].max()) and mn["score"] == pytest.approx(df["score"].min())
    assert mx["name"] == df["name"].max() and mn["name"] == df["name"].min()
    nu = table.nunique()
    assert int(nu["id"]) == df["id"].nunique() and int(nu["name"]) == df["name"].nunique()
    assert int(nu["score"]) == df["score"].nunique()          # missing not counted (dropna)


def test_topk_and_distinct_result_tables(conn, table):
    r = conn.simple.topk(table="stats", inputs=["name", "score"], topk=2, bottomk=1, order="freq")
    top = r["Topk"]
    names = top[top["Column"] == "name"]
    # alpha ×3, beta ×2 on top; the bottom (least frequent, ties by value) is delta
    assert list(names["FmtVar"]) == ["alpha", "beta", "delta"]
    assert list(names["Score"]) == [3, 2, 1]
    assert list(names["Rank"]) == [1, 2, 1]
    misc = r["TopkMisc"].set_index("Column")
    assert misc.loc["name", "N"] == 4
    d = conn.simple.distinct(table="stats", includeMissing=False)["Distinct"].set_index("Column")
    assert d.loc["score", "NDistinct"] == 5 and d.loc["score", "NMiss"] == 1 and d.loc["name", "NMiss"] == 0
    d2 = conn.simple.distinct(table="stats")["Distinct"].set_index("Column")
    assert d2.loc["score", "NDistinct"] == 6                  # missing counted as a value by default


def test_describe(table):
    df = frame()
    desc = table.describe()
    for col in ["id", "score"]:
        x = df[col].dropna().to_numpy(dtype=float)
        assert desc[col]["count"] == len(x)
        assert desc[col]["mean"] == pytest.approx(x.mean())
        assert desc[col]["std"] == pytest.approx(x.std(ddof=1))
        assert desc[col]["min"] == pytest.approx(x.min()) and desc[col]["max"] == pytest.approx(x.max())
        for q, label in [(25, "25%"), (50, "50%"), (75, "75%")]:
            assert desc[col][label] == pytest.approx(np.percentile(x, q, method="averaged_inverted_cdf")), (col, label)
    assert "name" not in desc.columns                       # like pandas: numeric columns only by default
    chars = table.describe(include="all")["name"]
    selected = table[["name"]].describe()["name"]            # a column selection travels as table.vars
    assert list(table[["name"]].columninfo()["ColumnInfo"]["Column"]) == ["name"]
    assert selected["top"] == "alpha" and selected["freq"] == 3 and selected["unique"] == 4
    expected = df["name"].describe()
    assert chars["count"] == expected["count"] and chars["unique"] == expected["unique"]
    assert chars["top"] == expected["top"] == "alpha" and chars["freq"] == expected["freq"] == 3


def test_corr_matches_pandas(conn):
    conn.loadactionset("simple")
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, np.nan, 6.0], "b": [2.0, 1.0, 4.0, 3.0, 5.0, 7.0],
                       "c": [10.0, 9.0, np.nan, 6.0, 5.0, 1.0], "name": list("uvwxyz")})
    tbl = conn.upload_frame(df, casout={"name": "corrs", "replace": True})
    got = tbl.corr()
    expected = df[["a", "b", "c"]].corr()        # pairwise deletion, as caslite
    assert list(got.columns) == ["a", "b", "c"] and list(got.index) == ["a", "b", "c"]
    assert np.allclose(got.to_numpy(dtype=float), expected.to_numpy(), atol=1e-12)
    stats = conn.simple.correlation(table="corrs", inputs=["a", "b"])["SimpleStats"].set_index("Variable")
    assert stats.loc["a", "N"] == 5 and stats.loc["a", "Mean"] == pytest.approx(df["a"].mean())


def zones():
    return pd.DataFrame({
        "zone": ["north", "south", "north", "east", "south", "east", "south"],
        "temperature": [3.0, 20.0, 5.0, 7.0, np.nan, 11.0, 26.0],
        "wind": [1, 4, 2, 8, 5, 5, 3],
    })


def test_groupby_summary_and_count_match_pandas(conn):
    df = zones()
    tbl = conn.upload_frame(df, casout={"name": "zones", "replace": True})
    out = tbl.groupby("zone").summary()                       # groupBy is advertised in castable, so swat sends it
    assert list(out.keys()) == ["ByGroupInfo", "ByGroup1.Summary", "ByGroup2.Summary", "ByGroup3.Summary"]
    assert out["ByGroup2.Summary"].attrs["ByVar1"] == "zone" and out["ByGroup2.Summary"].attrs["ByVar1Value"] == "north"
    merged = out.concat_bygroups()["Summary"].reset_index().set_index(["zone", "Column"])
    g = df.groupby("zone")
    for col in ["temperature", "wind"]:
        for zone in ["east", "north", "south"]:
            row = merged.loc[(zone, col)]
            assert row["N"] == g[col].count()[zone]
            assert row["Mean"] == pytest.approx(g[col].mean()[zone])
            assert row["Max"] == pytest.approx(g[col].max()[zone])
            assert row["Std"] == pytest.approx(g[col].std()[zone])
    counts = tbl.groupby("zone").count()
    assert counts.to_dict() == g.count().to_dict()


def test_groupby_mean_max_nunique_match_pandas(conn):
    df = zones()
    tbl = conn.upload_frame(df, casout={"name": "zones", "replace": True})
    g = df.groupby("zone")
    mean = tbl.groupby("zone").mean()                   # datapreprocess is loaded, simple.groupByInfo counts the groups
    assert np.allclose(mean[["temperature", "wind"]].to_numpy(dtype=float), g[["temperature", "wind"]].mean().to_numpy())
    assert list(mean.index) == ["east", "north", "south"]
    sel = tbl.groupby("zone")[["temperature"]].mean()
    assert np.allclose(sel["temperature"].to_numpy(dtype=float), g["temperature"].mean().to_numpy())
    mx = tbl.groupby("zone").max()
    assert np.allclose(mx["temperature"].to_numpy(dtype=float), g["temperature"].max().to_numpy())
    assert list(mx["wind"].astype(int)) == list(g["wind"].max())
    nu = tbl.groupby("zone").nunique()
    assert nu.to_dict() == g.nunique().to_dict()


def test_iterating_over_groupby_matches_pandas(conn):
    df = zones()
    tbl = conn.upload_frame(df, casout={"name": "zones", "replace": True})
    got = {key[0]: part.to_frame().sort_values("wind")["wind"].tolist() for key, part in tbl.groupby("zone")}   # simple.groupBy
    expected = {key: part.sort_values("wind")["wind"].tolist() for key, part in df.groupby("zone")}
    assert got == expected


def test_freq_formats_a_missing_character_value_blank_and_a_missing_number_as_a_dot(conn):
    """SAS formats a missing character value as blank and a missing number as '.': DLPy's evaluate_object_detection
    takes every non-blank FmtVar of the object class columns for a class name."""
    import pandas as pd
    conn.upload_frame(pd.DataFrame({"c": ["cat", None, "dog", None], "x": [1.0, None, 2.0, 1.0]}), casout=dict(name="fmtmiss", replace=True))
    f = conn.simple.freq(table="fmtmiss", inputs=["c", "x"])["Frequency"]
    assert sorted(f[f["Column"] == "c"]["FmtVar"]) == ["", "cat", "dog"]
    assert sorted(f[f["Column"] == "x"]["FmtVar"]) == [".", "1", "2"]
