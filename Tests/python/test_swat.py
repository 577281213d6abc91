"""The unmodified Python swat client against a real caslite server over REST (docs/python.md)."""
import io
import subprocess
import uuid

import numpy as np
import pandas as pd
import pytest
import swat
from swat.exceptions import SWATError

from conftest import binary


def frame():
    return pd.DataFrame({
        "id": [3, 1, 2, 5, 4],
        "name": ["gamma", "alpha", "beta", "epsilon-long-name", "delta"],
        "score": [2.5, 1.0, np.nan, 4.25, 3.0],
    })


def upload(conn, name):
    out = conn.upload_frame(frame(), casout={"name": name, "replace": True})
    assert isinstance(out, swat.CASTable)
    return out


def test_connect_and_serverstatus(conn):
    r = conn.serverstatus()
    assert r.severity == 0
    assert r.status is None or r.status == ""
    assert "About" in r and r["About"]["System"]["OS Name"]
    assert [int(x) for x in r["About"]["Version"].split(".")[:2]]
    assert int(r["server"]["nodes"].iloc[0]) == 1
    assert r.performance.elapsed_time >= 0


def test_loadactionset_and_help(conn):
    r = conn.loadactionset("simple")
    assert r.severity == 0 and r["actionset"] == "simple"
    assert conn.queryactionset("simple")["simple"]
    names = set(conn.help()["builtins"]["name"])
    assert {"help", "reflect", "loadActionSet"} <= names
    # Action-set names resolve lazily (queryActionSet, queryName, reflect) and case-insensitively.
    assert conn.simple.numRows is not None
    assert not hasattr(conn, "noSuchActionSet")


def test_upload_frame_of_a_wide_frame(conn):
    # swat puts one importOptions.vars entry per column in the JSON-Parameters header: 6 000 columns are
    # ~250 KB of header, past SwiftNIO's 80 KB default (an empty 400 and a JSONDecodeError before)
    n = 6000
    df = pd.DataFrame(np.arange(n * 2, dtype=float).reshape(2, n), columns=[f"c{i}" for i in range(n)])
    t = conn.upload_frame(df, casout={"name": "wide", "replace": True})
    assert t.shape == (2, n)
    back = t.to_frame()
    assert list(back.columns[:3]) == ["c0", "c1", "c2"]
    assert back["c5999"].sort_values().tolist() == [5999.0, 11999.0]


def test_upload_frame_and_castable(conn):
    tbl = upload(conn, "scores")
    assert len(tbl) == 5
    assert list(tbl.columns) == ["id", "name", "score"]
    head = tbl.head()
    assert len(head) == 5 and "epsilon-long-name" in list(head["name"])
    info = tbl.columninfo()["ColumnInfo"]
    assert list(info["Column"]) == ["id", "name", "score"]
    assert info["Type"].iloc[1].lower() == "varchar"
    fetched = conn.table.fetch(table="scores", sortby=[{"name": "id", "order": "DESCENDING"}], to=3)["Fetch"]
    assert list(fetched["id"]) == [5.0, 4.0, 3.0]
    summary = tbl.summary()["Summary"]
    row = summary.set_index("Column").loc["score"]
    assert row["N"] == 4 and row["Max"] == pytest.approx(4.25)


def test_to_frame_returns_every_row_in_cas_batches(conn):
    """to_frame sends to=2^63-1 without maxRows: table.fetch answers in batches of 1000 rows
    (Fetch, Fetch1, Fetch2, ...) and swat concatenates them."""
    rng = np.random.default_rng(15)
    df = pd.DataFrame({"i": np.arange(2_345, dtype=float), "x": rng.normal(size=2_345),
                       "s": [f"r{k % 13}" for k in range(2_345)]})
    df.loc[::17, "x"] = np.nan
    tbl = conn.upload_frame(df, casout={"name": "batches", "replace": True})
    back = tbl.to_frame()
    assert len(back) == len(df)
    pd.testing.assert_frame_equal(back.reset_index(drop=True), df, check_dtype=False)
    r = conn.table.fetch(table="batches", to=2_345)
    assert list(r.keys()) == ["Fetch", "Fetch1", "Fetch2"]
    assert [len(r[k]) for k in r.keys()] == [1000, 1000, 345]


def test_missing_values_round_trip(conn):
    tbl = upload(conn, "withmissing")
    df = tbl.fetch(sortby=["id"])["Fetch"]
    assert list(df["id"]) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert np.isnan(df["score"].iloc[1])


def test_promote_and_read_as_another_user(server, conn):
    name = "shared_" + uuid.uuid4().hex[:8]
    conn.upload_frame(frame(), casout={"name": name, "caslib": "Public"})
    r = conn.table.promote(name=name, caslib="Public")
    assert r.severity == 0, r.messages
    bob = server.connect("bob")
    try:
        assert bob.table.fetch(table={"name": name, "caslib": "Public"}).severity == 2, "no grant yet"
        g = conn.accessControl.updSomeAcsTable(acs=[{"caslib": "Public", "table": name, "identity": "bob", "permission": "Read"}])
        assert g.severity == 0, g.messages
        df = bob.CASTable(name, caslib="Public").head()
        assert len(df) == 5
        # bob may read but not drop.
        d = bob.table.droptable(name=name, caslib="Public")
        assert d.severity == 2 and "DropTable permission" in " ".join(d.messages)
    finally:
        bob.terminate()


def test_the_cas_select_grant_lets_a_user_read_rows(server, conn):
    # the unmodified CAS call, as a CAS administrator would write it
    name = "granted_" + uuid.uuid4().hex[:8]
    conn.upload_frame(frame(), casout={"name": name, "caslib": "Public", "promote": True})
    r = conn.accessControl.updSomeAcsTable(acs=[{"caslib": "Public", "table": name, "identity": "carol", "identityType": "User",
                                                  "permType": "Grant", "permission": "Select"}])
    assert r.severity == 0, r.messages
    dave = server.connect("carol")
    try:
        assert len(dave.CASTable(name, caslib="Public").head()) == 5
        listed = conn.accessControl.listAcsData(caslib="Public", table=name)["AcsData"]
        assert list(listed["Permission"]) == ["Select"] and list(listed["Identity"]) == ["carol"]
    finally:
        dave.terminate()


def test_the_cas_group_grant_lets_a_team_read_rows(server, conn):
    # groups are made by the administrator on the server (`caslite groups`); the grant is CAS's own call
    group = "team_" + uuid.uuid4().hex[:8]

    def groups(*args):
        subprocess.run([binary(), "groups", *args, "--data", str(server.data)], check=True, capture_output=True)

    groups("add", group)
    groups("add-member", group, "carol")
    name = "teamwork_" + uuid.uuid4().hex[:8]
    conn.upload_frame(frame(), casout={"name": name, "caslib": "Public", "promote": True})
    r = conn.accessControl.updSomeAcsTable(acs=[{"caslib": "Public", "table": name, "identity": group, "identityType": "Group",
                                                  "permType": "Grant", "permission": "Select"}])
    assert r.severity == 0, r.messages
    carol = server.connect("carol")
    try:
        assert len(carol.CASTable(name, caslib="Public").head()) == 5
        assert group in list(carol.builtins.userInfo()["userInfo"]["groups"])
        listed = conn.accessControl.listAcsData(caslib="Public", table=name)["AcsData"]
        assert list(listed["IdentityType"]) == ["Group"] and list(listed["Identity"]) == [group]
        groups("remove-member", group, "carol")
        # the open session loses the team's access at its next call
        assert carol.table.fetch(table={"name": name, "caslib": "Public"}).severity == 2
    finally:
        carol.terminate()
        groups("remove", group)


def test_acl_refusal_for_a_third_user(server, conn):
    name = "private_" + uuid.uuid4().hex[:8]
    conn.upload_frame(frame(), casout={"name": name, "caslib": "Public"})
    assert conn.table.promote(name=name, caslib="Public").severity == 0
    carol = server.connect("carol")
    try:
        r = carol.table.fetch(table={"name": name, "caslib": "Public"})
        assert r.severity == 2
        # without ReadInfo another user's global table is invisible, as if it did not exist
        assert "does not exist" in " ".join(r.messages)
        info = carol.table.tableinfo(caslib="Public")
        assert "TableInfo" not in info or name.upper() not in list(info["TableInfo"]["Name"])
        with pytest.raises(SWATError):
            carol.CASTable(name, caslib="Public").head()
    finally:
        carol.terminate()


def test_error_severity_for_bad_parameters(conn):
    r = conn.table.fetch(table="scores", noSuchParameter=1)
    assert r.severity == 2
    assert r.status_code // 10000 == 272
    assert any("noSuchParameter" in m for m in r.messages)
    # Duplicate keys that differ only in case are refused when their values differ ...
    d = conn._raw_retrieve("table.fetch", table={"name": "scores"}, to=2, TO=3)
    assert d.severity == 2 and any("twice" in m for m in d.messages)
    # ... joined when both are lists (swat adds fetchvars from a column selection next to a caller's fetchVars) ...
    upload(conn, "dups")
    both = conn._raw_retrieve("table.fetch", table={"name": "dups"}, fetchVars=["id"], fetchvars=["id", "name"])
    assert both.severity == 0 and list(both["Fetch"].columns) == ["id", "name"]
    # ... and merged when they agree (DLPy sends fetchVars and fetchvars together).
    same = conn._raw_retrieve("table.fetch", table={"name": "x"}, fetchVars=["a"], fetchvars=["a"])
    assert same.severity == 2 and not any("twice" in m for m in same.messages)
    assert any("does not exist" in m for m in same.messages)
    # A bad call leaves the session usable.
    assert conn.serverstatus().severity == 0


def test_wrong_password_is_refused(server):
    with pytest.raises(SWATError, match="Authentication failed"):
        server.connect("alice", password="wrong")


def test_session_reattach(server):
    first = server.connect("alice")
    sid = first._session
    first.upload_frame(frame(), casout={"name": "kept", "replace": True})
    first.close()  # closes the HTTP pool only; the session lives on
    again = server.connect("alice", session=sid)
    try:
        assert again._session == sid
        assert len(again.CASTable("kept")) == 5
    finally:
        again.terminate()
    with pytest.raises(SWATError, match="not found"):
        server.connect("alice", session=sid)


def _write_images(folder):
    from PIL import Image
    for label, color in (("cats", (200, 30, 30)), ("dogs", (30, 30, 200))):
        (folder / label).mkdir(parents=True, exist_ok=True)
        for i in range(2):
            Image.new("RGB", (8 + i, 6), color).save(folder / label / f"{label}{i}.png")


def test_load_and_fetch_images(server, conn):
    from PIL import Image
    if not conn.queryname("image.loadImages") or conn.loadactionset("image").severity != 0:
        pytest.skip("the image action set is not in this build")
    _write_images(server.data / "casuser" / "alice" / "pets")
    r = conn.image.loadImages(path="pets", casout={"name": "pets", "replace": True}, addColumns=["WIDTH", "HEIGHT"])
    assert r.severity == 0, r.messages
    assert isinstance(r["casTable"], swat.CASTable)
    imgs = conn.image.fetchImages(table="pets", to=4)["Images"]
    assert len(imgs) == 4
    first = imgs["Image"].iloc[0]
    assert isinstance(first, Image.Image), type(first)
    assert first.size[1] == 6
    assert sorted(set(imgs["_label_"])) == ["cats", "dogs"]


def test_url_forms_and_protocol_autodetection(server):
    port = int(server.url.rsplit(":", 1)[1])
    for c in (swat.CAS(server.url + "/cas", username="bob", password="bob-secret-2"),   # /cas/cas/sessions
              swat.CAS("127.0.0.1", port, "bob", "bob-secret-2", protocol="http"),
              swat.CAS("127.0.0.1", port, "bob", "bob-secret-2")):                    # GET /cas probe
        try:
            assert c.serverstatus().severity == 0
        finally:
            c.terminate()


def test_blobs_and_exceptions(conn):
    r = conn.builtins.echo(payload=swat.blob(b"\x00\xffbinary"), n=2 ** 40)
    assert bytes(r["payload"]) == b"\x00\xffbinary" and r["n"] == 2 ** 40
    swat.options.cas.exception_on_severity = 2
    try:
        with pytest.raises(swat.SWATCASActionError, match="does not exist"):
            conn.table.fetch(table="no_such_table")
    finally:
        swat.options.cas.exception_on_severity = None
