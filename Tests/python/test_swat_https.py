"""The unmodified swat and DLPy clients over HTTPS (docs/security.md "TLS"): the server's certificates come
from `caslite tls self-signed`, swat trusts the CA through CAS_CLIENT_SSL_CA_LIST, as CAS users do."""
import time

import numpy as np
import pandas as pd
import pytest
import swat
from swat.exceptions import SWATError

from conftest import PASSWORDS, self_signed
from test_dlpy_pipeline import HAVE_DLPY, pets_of, run_dlpy_pipeline


@pytest.fixture(autouse=True)
def no_requests_bundle(monkeypatch):
    """requests prefers REQUESTS_CA_BUNDLE (and CURL_CA_BUNDLE) to the CA file swat gives it (docs/security.md
    "TLS"); machines that set them for the system bundle would hide CAS_CLIENT_SSL_CA_LIST."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def trust(monkeypatch, tls_server):
    """CAS_CLIENT_SSL_CA_LIST names the server's CA (set back afterwards: swat writes it into os.environ)."""
    monkeypatch.setenv("CAS_CLIENT_SSL_CA_LIST", str(tls_server.ca))
    return tls_server


@pytest.fixture
def tls_conn(trust):
    c = trust.connect("alice")
    yield c
    c.terminate()


def connect_fails_quickly(url, fragment, seconds=5):
    """swat.CAS(url) fails within `seconds` (not after a time-out) with `fragment` in its error: swat's SWATError
    ("Unable to connect to any URL") carries requests' SSLError as its context. swat's own retries (3, 10 s apart)
    are cut to one without waiting, so the time is the server's."""
    t0 = time.time()
    with swat.option_context("cas.connection_retries", 1, "cas.connection_retry_interval", 0):
        with pytest.raises(SWATError) as e:
            swat.CAS(url, username="alice", password=PASSWORDS["alice"])
    chain, err = [], e.value
    while err is not None:
        chain.append(str(err))
        err = err.__context__
    assert any(fragment in m for m in chain), chain
    assert time.time() - t0 < seconds


def test_upload_fetch_actions_and_errors_over_https(tls_conn):
    assert tls_conn.serverstatus().severity == 0
    df = pd.DataFrame({"id": [3, 1, 2], "name": ["gamma", "alpha", "beta"], "score": [2.5, 1.0, np.nan]})
    tbl = tls_conn.upload_frame(df, casout={"name": "over_tls", "replace": True})
    assert len(tbl) == 3
    fetched = tls_conn.table.fetch(table="over_tls", sortby=["id"])["Fetch"]
    assert list(fetched["name"]) == ["alpha", "beta", "gamma"] and np.isnan(fetched["score"].iloc[1])
    assert tbl.summary()["Summary"].set_index("Column").loc["score"]["N"] == 2
    big = pd.DataFrame({"x": np.arange(50_000, dtype=float), "s": ["row %d" % i for i in range(50_000)]})
    tls_conn.upload_frame(big, casout={"name": "big_tls", "replace": True})
    back = tls_conn.table.fetch(table="big_tls", to=50_000, maxRows=50_000, sortby=["x"])["Fetch"]
    assert len(back) == 50_000 and back["x"].sum() == big["x"].sum() and back["s"].iloc[-1] == "row 49999"
    r = tls_conn.table.fetch(table="no_such_table")
    assert r.severity == 2 and any("does not exist" in m for m in r.messages), r.messages


def test_another_user_over_https_sees_only_grants(trust):
    alice, bob = trust.connect("alice"), trust.connect("bob")
    try:
        alice.upload_frame(pd.DataFrame({"a": [1, 2]}), casout={"name": "tls_shared", "caslib": "Public", "replace": True})
        assert alice.table.promote(name="tls_shared", caslib="Public").severity == 0
        assert bob.table.fetch(table={"name": "tls_shared", "caslib": "Public"}).severity == 2
    finally:
        alice.terminate()
        bob.terminate()


def test_a_wrong_ca_is_swats_normal_ssl_error(tls_server, monkeypatch, tmp_path):
    other_ca, _, _ = self_signed(tmp_path / "other")
    monkeypatch.setenv("CAS_CLIENT_SSL_CA_LIST", str(other_ca))
    connect_fails_quickly(tls_server.url, "CERTIFICATE_VERIFY_FAILED")
    monkeypatch.setenv("CAS_CLIENT_SSL_CA_LIST", str(tls_server.ca))
    tls_server.connect("alice").terminate()  # the server keeps serving


def test_plain_http_on_the_https_port_is_told_to_use_https(trust):
    connect_fails_quickly(trust.url.replace("https://", "http://"), "This port requires HTTPS")


def test_https_on_a_plain_http_port_fails_at_once(server, trust):
    connect_fails_quickly(server.url.replace("http://", "https://"), "SSL")
    server.connect("alice").terminate()


@pytest.mark.skipif(not HAVE_DLPY, reason="sas-dlpy is not installed in this venv")
def test_dlpy_pipeline_over_https(tls_conn, trust, capsys):
    run_dlpy_pipeline(tls_conn, pets_of(trust), capsys)
