"""swat's casOut forms of the grouped statistics (issue 18): above `cas.dataset.bygroup_casout_threshold`
by-groups (25 000 by default) swat asks simple.summary / topk / distinct / freq and percentile.percentile for a
casOut table, reshapes it with transpose.transpose and DATA step code and hands back a CASTable. The checks are
swat's own (swat/tests/cas/test_bygroups.py, which lowers the threshold to 2 to take that path on the cars
data), against pandas' groupby on the same frame — never caslite's output."""
import os

import numpy as np
import pandas as pd
import pytest
import swat

CARS = os.path.join(os.path.dirname(swat.__file__), "tests", "datasources", "cars.csv")
NUMERIC = ["MSRP", "Invoice", "EngineSize", "Cylinders", "Horsepower", "MPG_City", "MPG_Highway", "Weight",
           "Wheelbase", "Length"]


@pytest.fixture
def cars(conn):
    df = pd.read_csv(CARS)
    for name in NUMERIC:
        df[name] = df[name].astype(float)
    tbl = conn.upload_frame(df, casout={"name": "cars_casout", "replace": True})
    swat.options.cas.dataset.bygroup_casout_threshold = 2
    try:
        yield df, tbl
    finally:
        swat.reset_option()


def frame_of(tbl, by):
    assert tbl.__class__.__name__ == "CASTable"      # the casOut path answers a table, not a DataFrame
    return tbl.to_frame().sort_values(by).reset_index(drop=True)


@pytest.mark.parametrize("stat", ["sum", "mean", "std", "var", "min", "max", "median"])
def test_a_column_statistic_by_group(cars, stat):
    df, tbl = cars
    expected = getattr(df.groupby("Origin")["EngineSize"], stat)().reset_index()
    got = frame_of(getattr(tbl["EngineSize"].groupby("Origin", as_index=False), stat)(), "Origin")
    assert list(got["Origin"]) == list(expected["Origin"])
    np.testing.assert_allclose(got["EngineSize"], expected["EngineSize"], rtol=1e-9)


def test_every_numeric_column_summed_by_group(cars):
    df, tbl = cars
    expected = df.groupby("Origin", as_index=False).sum(numeric_only=True)
    got = frame_of(tbl.groupby("Origin", as_index=False).sum(), "Origin")
    assert list(got["Origin"]) == list(expected["Origin"])
    for c in NUMERIC:
        np.testing.assert_allclose(got[c], expected[c], rtol=1e-9, err_msg=c)


def test_min_and_max_of_character_and_numeric_columns(cars):
    """topk's casOut holds _Charvar_ and _Numvar_; swat transposes each and merges them by group."""
    df, tbl = cars
    for stat in ["min", "max"]:
        expected = getattr(df[["Origin", "Make", "MSRP"]].groupby("Origin", as_index=False), stat)()
        got = frame_of(getattr(tbl[["Origin", "Make", "MSRP"]].groupby("Origin", as_index=False), stat)(), "Origin")
        assert list(got["Make"]) == list(expected["Make"]), stat
        np.testing.assert_allclose(got["MSRP"], expected["MSRP"], err_msg=stat)


def test_quantiles_by_group(cars):
    """SAS's percentile definition 5 (docs/python.md): numpy's averaged_inverted_cdf on each group. swat renames
    CAS's _Pctl_ column to `quantile`, which holds percents as percentile.percentile's values= does (25, not 0.25)."""
    df, tbl = cars
    got = frame_of(tbl["MSRP"].groupby("Origin", as_index=False).quantile([0.25, 0.75]), ["Origin", "quantile"])
    rows = [(o, q * 100, np.percentile(g["MSRP"], q * 100, method="averaged_inverted_cdf"))
            for o, g in df.groupby("Origin") for q in (0.25, 0.75)]
    assert [(o, q) for o, q, _ in rows] == list(zip(got["Origin"], got["quantile"]))
    np.testing.assert_allclose(got["MSRP"], [v for _, _, v in rows])


def test_nunique_with_two_by_variables(cars):
    df, tbl = cars
    swat.options.cas.dataset.bygroup_columns = "raw"
    expected = df.groupby(["Origin", "Cylinders"])["MSRP"].nunique().reset_index()
    got = frame_of(tbl["MSRP"].groupby(["Origin", "Cylinders"], as_index=False).nunique(), ["Origin", "Cylinders"])
    # pandas leaves out the group whose Cylinders is missing; swat's DATA step deletes rows with a missing value
    assert list(zip(got["Origin"], got["Cylinders"])) == list(zip(expected["Origin"], expected["Cylinders"]))
    assert list(got["MSRP"]) == list(expected["MSRP"])


def test_unique_values_by_group(cars):
    df, tbl = cars
    got = tbl["Cylinders"].groupby("Origin", as_index=False).unique().to_frame()
    for origin, g in df.groupby("Origin"):
        assert sorted(got[got["Origin"] == origin]["Cylinders"]) == sorted(g["Cylinders"].dropna().unique()), origin


def test_more_by_groups_than_an_action_answers(conn):
    """Past Limits.maxByGroups (25 000) an action refuses to answer by-groups but writes them with casOut."""
    n = 25_010
    df = pd.DataFrame({"g": np.arange(n, dtype=float).repeat(2), "x": np.tile([1.0, 3.0], n)})
    tbl = conn.upload_frame(df, casout={"name": "many_groups", "replace": True})
    refused = conn.simple.summary(table={"name": "many_groups", "groupBy": ["g"]}, inputs=["x"])
    assert refused.severity == 2 and "casOut" in refused.status
    out = conn.simple.summary(table={"name": "many_groups", "groupBy": ["g"]}, inputs=["x"],
                              casOut={"name": "many_summary", "replace": True})
    assert out.severity == 0
    t = conn.CASTable("many_summary").to_frame()
    assert len(t) == n and set(["g", "g_f", "_Column_", "_Mean_", "_NObs_"]) <= set(t.columns)
    assert (t["_Mean_"] == 2.0).all() and (t["_NObs_"] == 2).all() and (t["_Column_"] == "x").all()


def test_grouped_describe_and_summary_subset(conn):
    """swat's grouped describe() reads simple.summary's subSet choices from reflect; subSet keeps those statistics."""
    df = pd.read_csv(CARS)[["Origin", "MSRP", "Horsepower"]].astype({"MSRP": float, "Horsepower": float})
    tbl = conn.upload_frame(df, casout={"name": "cars_describe", "replace": True})
    got = tbl.groupby("Origin").describe()
    expected = df.groupby("Origin").describe()
    for col in ["MSRP", "Horsepower"]:
        for stat in ["count", "mean", "std", "min", "max"]:
            np.testing.assert_allclose(got[(col, stat)].sort_index().to_numpy(dtype=float),
                                       expected[(col, stat)].sort_index().to_numpy(dtype=float), rtol=1e-9, err_msg=f"{col} {stat}")
    s = conn.simple.summary(table="cars_describe", inputs=["MSRP"], subSet=["MEAN", "N", "T"])["Summary"]
    assert list(s.columns) == ["Column", "N", "Mean", "TValue"]
    assert s["Mean"].iloc[0] == pytest.approx(df["MSRP"].mean())


def test_a_by_column_with_a_blank_in_its_name(cars):
    """swat writes such names as name literals ("my origin"n) in its DATA step code."""
    df, tbl = cars
    conn = tbl.get_connection()
    spaced = df[["Origin", "MSRP", "Make"]].rename(columns={"Origin": "my origin"})
    t = conn.upload_frame(spaced, casout={"name": "cars_spaced", "replace": True})
    expected = spaced.groupby("my origin")["MSRP"].sum().reset_index()
    got = frame_of(t["MSRP"].groupby("my origin", as_index=False).sum(), "my origin")
    assert list(got["my origin"]) == list(expected["my origin"])
    np.testing.assert_allclose(got["MSRP"], expected["MSRP"])
    mx = frame_of(t[["my origin", "Make", "MSRP"]].groupby("my origin", as_index=False).max(), "my origin")
    assert list(mx["Make"]) == list(spaced.groupby("my origin")["Make"].max())
