"""What swat's own expectations of CAS check (issue 18), run with the unmodified swat over REST: the
builtins (echo shapes, log, listNodes, actionSetInfo, userInfo, httpAddress, history, addNode),
result shapes (no status text on success, OutputCasTables, the session name), datapreprocess.histogram,
table.tableDetails and deduplication.deduplicate. Expected values are CAS's documented answers (as
swat's test suite, swat/tests/cas, states them) or pandas / numpy on the same data — never caslite's output."""
import os

import numpy as np
import pandas as pd
import pytest
import swat

CARS = os.path.join(os.path.dirname(swat.__file__), "tests", "datasources", "cars.csv")


@pytest.mark.parametrize("kwargs, expected", [
    ({}, {}),
    ({"a": [1, 2, 3]}, {"a": [1, 2, 3]}),
    ({"x": "a"}, {"x": "a"}),
    ({"x": 3}, {"x": 3}),
    ({"x": False}, {"x": 0}),
    ({"w": "a", "x": "b", "y": 3, "z": False}, {"w": "a", "x": "b", "y": 3, "z": False}),
    ({"x": []}, {"x": []}),
    ({"x": {}}, {"x": []}),                                   # CAS has one empty collection: a list
    ({"emptyTuple": ()}, {"emptyTuple": []}),
    ({"singleTuple": (7,)}, {"singleTuple": [7]}),
    ({"w": 3, "x": 4, "y": {5}, "z": 6, "a": [7], "t": (12345, 54321, "hello!")},
     {"w": 3, "x": 4, "y": [5], "z": 6, "a": [7], "t": [12345, 54321, "hello!"]}),
    ({"x": 3, "y": {0: 5, "alpha": "beta"}, "test": 4, "orange": True, "fred": 6},
     {"x": 3, "y": [5, "beta"], "test": 4, "orange": True, "fred": 6}),
])
def test_echo_returns_what_cas_returns_with_no_status(conn, kwargs, expected):
    r = conn.builtins.echo(**kwargs)
    assert r == expected
    assert r.status is None and r.severity == 0


def test_a_normal_response_has_no_status_or_reason(conn):
    r = conn.builtins.ping()
    assert r == {} and r.severity == 0
    assert r.status is None and r.reason is None and r.status_code == 0
    bad = conn.table.fetch(table="no_such_table")
    assert bad.severity == 2 and bad.status                      # an Error keeps its text


def test_loadactionset_help_and_actionsetinfo(conn):
    assert conn.loadactionset("builtins") == {"actionset": "builtins"}
    assert conn.loadactionset("ohcrumbs") == {}
    assert conn.builtins.help(actionSet="sccasl") == {}          # not loaded: CAS answers nothing
    assert conn.builtins.help(action="runCasl") == {}
    assert conn.loadactionset("sccasl") == {"actionset": "sccasl"}
    assert list(conn.builtins.help(actionSet="sccasl")["sccasl"]["name"]) == ["runCasl"]
    b = conn.help()["builtins"]
    assert list(b.columns) == ["name", "description"]
    assert b.colinfo["name"].label == "Name" and b.colinfo["description"].label == "Description"
    for name in ["addNode", "removeNode", "help", "listNodes", "loadActionSet", "log", "queryActionSet", "queryName",
                 "reflect", "serverStatus", "about", "userInfo", "actionSetInfo", "history", "ping", "echo",
                 "httpAddress"]:
        assert name in set(b["name"]), name
    r = conn.actionsetinfo()
    assert list(r.keys())[0] == "setinfo"
    loaded = r["setinfo"]["actionset"].tolist()
    assert "builtins" in loaded
    everything = conn.actionsetinfo(all=True)["setinfo"]["actionset"].tolist()
    assert "builtins" in everything and "unknown" not in everything and len(everything) > len(loaded)


def test_log_listnodes_userinfo_httpaddress(server, conn):
    r = conn.log(logger="App.cas.builtins.log", level="debug")
    assert r.severity != 0 and "You must be an administrator to set logging levels" in r.status
    assert conn.log(invalid="parameter").status is not None
    assert conn.log(logger="App.cas.builtins.log", level="invalid").status is not None
    r = conn.log(logger="App.cas.builtins.log")
    assert r.status is None and r.messages[0].startswith("NOTE: Logger: 'App.cas.builtins.log', level: '")
    r = conn.log()
    assert r.status is None and len(r.messages) >= 1
    assert conn.listnodes() != {}
    info = conn.userinfo()["userInfo"]
    assert len(info) >= 7 and info["anonymous"] == 0 and info["hostAccount"] in [1, False]
    assert info["providedName"] == "alice"
    http = conn.builtins.httpAddress()
    assert http["protocol"] in ["http", "https"]
    assert int(http["port"]) == int(server.url.rsplit(":", 1)[1])


def test_addnode_and_removenode_are_refused_clearly(conn):
    r = conn.addnode(node=["pepper"])
    assert r.severity == 2 and "not supported on this server" in r.status
    r = conn.addnode(salt="controller", node=["pepper"])
    assert "ERROR: The action stopped due to errors." in r.messages
    r = conn.removenode(node=["salt", "pepper"])
    assert r.severity == 2 and "not supported on this server" in r.status


def test_history_lists_this_sessions_actions(conn):
    conn.builtins.echo(x=1)
    conn.table.fetch(table="no_such_table")
    h = conn.history()["History"]
    actions = list(h["Action"])
    assert actions[-1] == "table.fetch" and "builtins.echo" in actions   # (swat reflects a set before its first call)
    assert list(h["Severity"])[-1] == "Error"
    assert "session.sessionName" in actions                       # swat names the session when it connects


def test_the_session_name_is_the_one_swat_sends(server):
    with server.connect("alice", name="My Connection") as c:
        assert c.session.sessionname()["name"] == "My Connection"
        mine = c.session.listsessions()["Session"]
        assert "My Connection" in set(mine["SessionName"])


def test_upload_loadtable_and_addtable_report_output_cas_tables(conn):
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    up = conn.upload(df, casout={"name": "up2", "replace": True})              # CASResults of table.upload
    out = up["OutputCasTables"]
    assert list(out.columns)[:4] == ["casLib", "Name", "Rows", "Columns"]      # swat adds a casTable column
    assert out["Name"].str.upper().tolist() == ["UP2"] and out["Rows"].tolist() == [3] and out["Columns"].tolist() == [2]
    added = conn.table.addtable(table="added", vars=[{"name": "v"}], rows=[[1], [2]])
    assert added["OutputCasTables"]["Rows"].tolist() == [2]
    assert conn.table.save(table="up2", name="up2saved", caslib="casuser", replace=True).severity == 0
    loaded = conn.table.loadtable(caslib="casuser", path="up2saved", casout={"name": "back", "replace": True})
    assert loaded["OutputCasTables"]["Rows"].tolist() == [3] and loaded["tableName"].upper() == "BACK"


def cars(conn):
    return conn.upload_file(CARS, casout={"name": "cars", "replace": True})


def test_histogram_bins_as_cas_documents_them(conn):
    tbl = cars(conn)
    r = tbl.histogram(vars={"mpg_highway", "mpg_city"})           # a set: CAS lists them in the table's order
    assert sorted(r.keys()) == ["BinDetails"]
    details = r["BinDetails"]
    assert details["Variable"].tolist() == ["MPG_City"] * 11 + ["MPG_Highway"] * 12      # swat's test_responsefunc
    df = pd.read_csv(CARS)
    for var in ["MPG_City", "MPG_Highway"]:
        bins = details[details["Variable"] == var]
        edges = list(bins["BinLowerBnd"]) + [bins["BinUpperBnd"].iloc[-1]]
        expected, _ = np.histogram(df[var].dropna(), bins=edges)
        assert bins["NInBin"].tolist() == expected.tolist()
        assert bins["Percent"].sum() == pytest.approx(100)
    grouped = tbl.groupby("Make").histogram()                     # swat's test_response: 38 makes
    assert len(grouped) == 39 and "ByGroupInfo" in grouped
    assert all(f"ByGroup{i}.BinDetails" in grouped for i in range(1, 39))


def test_histogram_with_nbins_matches_numpy(conn):
    df = pd.DataFrame({"x": [0.5, 1.0, 2.0, 2.5, 7.0, np.nan, 10.0]})
    conn.upload_frame(df, casout={"name": "h", "replace": True})
    d = conn.datapreprocess.histogram(table="h", inputs=["x"], nBins=4)["BinDetails"]
    counts, edges = np.histogram(df["x"].dropna(), bins=4)
    assert d["NInBin"].tolist() == counts.tolist()
    assert np.allclose(d["BinLowerBnd"], edges[:-1]) and np.allclose(d["BinUpperBnd"], edges[1:])
    bad = conn.datapreprocess.histogram(table="h", inputs=["x"], nBins=4, binWidth=1.0)
    assert bad.severity == 2 and "binWidth" in bad.status


def test_table_details_and_deduplicate_match_pandas(conn):
    df = pd.DataFrame({"k": ["a", "b", "a", "a", "b", "c"], "x": [1.0, 2.0, 1.0, 3.0, 2.0, 4.0]})
    conn.upload_frame(df, casout={"name": "dups", "replace": True})
    details = conn.table.tabledetails(name="dups")["TableDetails"]
    assert details["Rows"].tolist() == [len(df)]
    conn.loadactionset("deduplication")
    conn.deduplication.deduplicate(table="dups", casout={"name": "nodups", "replace": True})
    got = conn.CASTable("nodups").to_frame()
    expected = df.drop_duplicates()
    assert got["k"].tolist() == expected["k"].tolist() and got["x"].tolist() == expected["x"].tolist()
    conn.deduplication.deduplicate(table={"name": "dups", "groupby": ["k"]}, casout={"name": "onekey", "replace": True},
                                   noDuplicateKeys=True)
    one = conn.CASTable("onekey").to_frame()
    expected = df.drop_duplicates(subset=["k"])
    assert one["k"].tolist() == expected["k"].tolist() and one["x"].tolist() == expected["x"].tolist()


def test_summary_has_cas_columns_and_result_attributes(conn):
    df = pd.DataFrame({"x": [1.0, 2.0, 4.0], "y": [-3.0, 5.0, 1.5]})       # n = 3: Student's t with 2 df has a closed form
    tbl = conn.upload_frame(df, casout={"name": "sumcols", "replace": True})
    out = tbl.summary()["Summary"]
    assert list(out.columns) == ["Column", "Min", "Max", "N", "NMiss", "Mean", "Sum", "Std", "StdErr", "Var", "USS", "CSS",
                                 "CV", "TValue", "ProbT", "Skewness", "Kurtosis"]          # swat's test_html
    assert out.attrs["Action"] == "summary" and out.attrs["Actionset"] == "simple"
    # CAS's CreateTime: a SAS datetime (seconds since 1960-01-01) of the call, within a minute of now
    now = (pd.Timestamp.now(tz="UTC") - pd.Timestamp("1960-01-01", tz="UTC")).total_seconds()
    assert abs(out.attrs["CreateTime"] - now) < 60
    rows = out.set_index("Column")
    for col in ["x", "y"]:
        x = df[col]
        t = x.mean() / (x.std() / np.sqrt(len(x)))
        assert rows.loc[col, "CV"] == pytest.approx(x.std() / x.mean() * 100)
        assert rows.loc[col, "TValue"] == pytest.approx(t)
        assert rows.loc[col, "ProbT"] == pytest.approx(1 - abs(t) / np.sqrt(2 + t * t))    # P(|T| > |t|), 2 df


def test_datastep_and_views_match_pandas(conn):
    df = pd.DataFrame({"id": [1.0, 2.0, 3.0, 4.0], "score": [3.5, np.nan, 9.0, 1.0], "name": ["ann", "bob", "cy", "dee"]})
    tbl = conn.upload_frame(df, casout={"name": "ds_in", "replace": True})
    out = tbl.datastep("double = score * 2; if id > 1", casout={"name": "ds_out", "replace": True})   # swat: view, then runCode
    got = out.to_frame()
    expected = df.assign(double=df["score"] * 2)[df["id"] > 1]
    assert got["id"].tolist() == expected["id"].tolist()
    assert np.allclose(got["double"].to_numpy(dtype=float), expected["double"].to_numpy(), equal_nan=True)
    view = tbl.query("score > 2").to_view(name="ds_view")            # table.view with the where clause
    assert view.to_frame()["name"].tolist() == df[df["score"] > 2]["name"].tolist()


def test_swat_concat_matches_pandas(conn):
    a = pd.DataFrame({"k": ["x", "y"], "v": [1.0, 2.0]})
    b = pd.DataFrame({"k": ["z"], "v": [3.0], "w": [9.0]})
    ta = conn.upload_frame(a, casout={"name": "cat_a", "replace": True})
    tb = conn.upload_frame(b, casout={"name": "cat_b", "replace": True})
    got = swat.concat([ta, tb], casout={"name": "cat_ab", "replace": True}).to_frame()
    expected = pd.concat([a, b], ignore_index=True)
    assert got["k"].tolist() == expected["k"].tolist() and got["v"].tolist() == expected["v"].tolist()
    assert np.allclose(got["w"].to_numpy(dtype=float), expected["w"].to_numpy(), equal_nan=True)


def test_datastep_refuses_what_it_does_not_run(conn):
    df = pd.DataFrame({"id": [1.0, 2.0]})
    conn.upload_frame(df, casout={"name": "ds_r", "replace": True})
    r = conn.datastep.runcode(code="data o; set ds_r; input id; run;")
    assert r.severity == 2 and "statement 3" in r.status and "not supported" in r.status


def test_datastep_retain_sum_and_by_groups_match_pandas(conn):
    df = pd.DataFrame({"g": ["b", "a", "b", "a", "c"], "x": [1.0, 2.0, 3.0, np.nan, 5.0]})
    tbl = conn.upload_frame(df, casout={"name": "ds_by", "replace": True})
    # a sum statement: a running total in which a missing x adds 0
    got = tbl.datastep("retain total 0; total + x;", casout={"name": "ds_sum", "replace": True}).to_frame()
    assert got["total"].tolist() == df["x"].fillna(0).cumsum().tolist()
    # BY with SET: CAS groups the rows by g; FIRST.g keeps each group's first row, a per-group count on its last
    got = tbl.datastep("by g; if first.g then n = 0; n + 1; if last.g;", casout={"name": "ds_last", "replace": True}).to_frame()
    expected = df.sort_values("g", kind="stable").groupby("g", sort=True).size()
    assert got["g"].tolist() == expected.index.tolist() and got["n"].tolist() == expected.tolist()
    # OUTPUT in a DO loop: a row per pass
    got = tbl.datastep("where x between 1 and 2; do k = 1 to 3; output; end;", casout={"name": "ds_rep", "replace": True}).to_frame()
    assert got["x"].tolist() == np.repeat(df[df["x"].between(1, 2)]["x"].to_numpy(), 3).tolist() and got["k"].tolist() == [1, 2, 3] * 2


def test_string_methods_use_sas_functions_and_match_pandas(conn):
    df = pd.DataFrame({"s": ["hello world", "abc  ", "banana", "x-ray vision", "123"]})
    tbl = conn.upload_frame(df, casout={"name": "strs", "replace": True})
    col = tbl["s"]
    assert col.str.len().tolist() == df["s"].str.rstrip().str.len().tolist()      # lengthn: SAS drops trailing blanks
    assert col.str.title().tolist() == ["Hello World", "Abc  ".rstrip(), "Banana", "X-Ray Vision", "123"]   # propcase
    assert col.str.count("an").tolist() == df["s"].str.count("an").tolist()
    assert col.str.find("a").tolist() == df["s"].str.find("a").tolist()
    assert col.str.isdigit().tolist() == df["s"].str.isdigit().tolist()
    assert col.str.upper().tolist() == df["s"].str.upper().str.rstrip().tolist()


def test_importoptions_length_cuts_character_columns(conn):
    df = pd.DataFrame({"code": ["abcdef", "xy", "hello"], "n": [1.0, 2.0, 3.0]})
    tbl = conn.upload_frame(df, casout={"name": "lens", "replace": True},
                            importoptions={"vars": {"code": {"type": "char", "length": 3}, "n": {"length": 8}}})
    got = tbl.to_frame()
    assert got["code"].tolist() == df["code"].str[:3].tolist() and got["n"].tolist() == df["n"].tolist()


def test_castable_methods_that_run_data_step_code_match_pandas(conn):
    df = pd.DataFrame({"a": [1.0, -2.0, np.nan, 4.0], "b": [-5.0, np.nan, 7.0, 0.5]})
    tbl = conn.upload_frame(df, casout={"name": "dsm", "replace": True})

    def frame(t):
        return t.to_frame()[["a", "b"]].reset_index(drop=True)

    pd.testing.assert_frame_equal(frame(tbl.fillna(0)), df.fillna(0), check_dtype=False)
    pd.testing.assert_frame_equal(frame(tbl.dropna()), df.dropna().reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(frame(tbl.abs()), df.abs(), check_dtype=False)
    pd.testing.assert_frame_equal(frame(tbl.clip(lower=-1, upper=3)), df.clip(lower=-1, upper=3), check_dtype=False)
    pd.testing.assert_frame_equal(frame(tbl.replace(4.0, 40.0)), df.replace(4.0, 40.0), check_dtype=False)


def test_contains_startswith_endswith_isnumeric_match_pandas(conn):
    df = pd.DataFrame({"s": ["banana", "Bandana", "apple", "42", " 7 ", "an.x"]})
    tbl = conn.upload_frame(df, casout={"name": "pats", "replace": True})
    col = tbl["s"]
    assert col.str.contains("an").tolist() == df["s"].str.contains("an").tolist()                  # prxmatch('/an/')
    assert col.str.contains("AN", case=False).tolist() == df["s"].str.contains("AN", case=False).tolist()
    assert col.str.startswith("ba").tolist() == df["s"].str.startswith("ba").tolist()
    assert col.str.endswith("na").tolist() == df["s"].str.endswith("na").tolist()
    assert col.str.isnumeric().tolist() == df["s"].str.strip().str.isnumeric().tolist()           # SAS: blanks around digits
    with pytest.raises(swat.SWATError, match="no backtracking"):
        col.str.contains("a.*b").tolist()


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
def test_swat_merge_matches_pandas(conn, how):
    left = pd.DataFrame({"k": [1.0, 2.0, 4.0, 5.0], "a": ["l1", "l2", "l4", "l5"], "v": [10.0, 20.0, 40.0, 50.0]})
    right = pd.DataFrame({"k": [2.0, 3.0, 5.0, 1.0], "b": ["r2", "r3", "r5", "r1"], "v": [200.0, 300.0, 500.0, 100.0]})
    tl = conn.upload_frame(left, casout={"name": "mleft", "replace": True})
    tr = conn.upload_frame(right, casout={"name": "mright", "replace": True})
    got = swat.merge(tl, tr, on="k", how=how, indicator=True, casout={"name": "merged", "replace": True}).to_frame()
    expected = pd.merge(left, right, on="k", how=how, indicator=True)
    cols = ["k", "a", "b", "v_x", "v_y", "_merge"]
    got = got[cols].sort_values("k").reset_index(drop=True)
    expected = expected[cols].sort_values("k").reset_index(drop=True)
    expected["_merge"] = expected["_merge"].astype(str)
    for c in ["a", "b"]:
        expected[c] = expected[c].fillna("")                     # swat shows a missing string as ""
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_binning_matches_numpy_and_pandas_qcut(conn):
    df = pd.DataFrame({"id": np.arange(1.0, 21.0), "x": [3.0, 17.0, 8.0, 1.0, 20.0, 12.0, 5.0, 9.0, 14.0, 2.0,
                                                         11.0, 6.0, 19.0, 4.0, 15.0, 10.0, 7.0, 18.0, 13.0, 16.0],
                       "y": [0.5, np.nan, 2.0, 9.5, 4.0, 4.0, 7.0, 1.0, 3.0, 8.0, 6.5, 5.0, 2.5, 9.0, 0.0, 1.5, 3.5, 6.0, 7.5, 8.5]})
    conn.upload_frame(df, casout={"name": "binme", "replace": True})
    r = conn.datapreprocess.binning(table="binme", inputs=["y"], nBinsArray=[4], copyVars=["id"],
                                    casout={"name": "binned", "replace": True})
    got = conn.CASTable("binned").to_frame().sort_values("id")
    y = df["y"]
    lo, hi = y.min(), y.max()
    expected = np.where(y.isna(), 0, np.minimum(np.floor((y - lo) / ((hi - lo) / 4)), 3) + 1)
    assert got["BIN_y"].tolist() == expected.tolist()
    assert r["BinDetails"]["NInBin"].tolist() == [int((expected == k).sum()) for k in [1, 2, 3, 4]]
    conn.datapreprocess.binning(table="binme", inputs=["x"], method="quantile", nBinsArray=[4], copyVars=["id"],
                                casout={"name": "qbinned", "replace": True})
    q = conn.CASTable("qbinned").to_frame().sort_values("id")
    assert q["BIN_x"].tolist() == (pd.qcut(df["x"], 4, labels=False) + 1).tolist()


def test_drop_duplicates_matches_pandas(conn):
    df = pd.DataFrame({"k": ["a", "b", "a", "c", "b"], "x": [1.0, 2.0, 1.0, 4.0, 5.0]})
    tbl = conn.upload_frame(df, casout={"name": "dd", "replace": True})
    got = tbl.drop_duplicates(casout={"name": "dd_all", "replace": True}, subset=["k", "x"]).to_frame()
    assert sorted(map(tuple, got[["k", "x"]].values.tolist())) == sorted(map(tuple, df.drop_duplicates().values.tolist()))
    got = tbl.drop_duplicates(casout={"name": "dd_k", "replace": True}, subset=["k"]).to_frame()
    assert got.sort_values("k")[["k", "x"]].values.tolist() == df.drop_duplicates(subset=["k"]).sort_values("k").values.tolist()


def test_skewness_and_kurtosis_match_pandas(conn):
    df = pd.DataFrame({"x": [1.0, 2.0, 2.5, 4.0, 9.0, np.nan, 3.0], "y": [5.0, -1.0, 0.5, 2.0, 2.0, 8.0, 1.0]})
    tbl = conn.upload_frame(df, casout={"name": "moments", "replace": True})
    skew, kurt = tbl.skewness(), tbl.kurtosis()                       # swat reads simple.summary's Skewness / Kurtosis
    for col in ["x", "y"]:
        assert skew[col] == pytest.approx(df[col].skew()) and kurt[col] == pytest.approx(df[col].kurt())
