"""table.upload through the unmodified swat: what caslite cannot parse is refused, saying what it reads."""
import pytest
from swat.exceptions import SWATError


def test_upload_refuses_what_it_cannot_parse_and_reads_tsv(conn, tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"PK\x03\x04" + bytes(range(64)))
    with pytest.raises(SWATError):
        conn.upload_file(str(book))
    r = conn.upload(str(book))  # swat sends importoptions.filetype='excel' for .xlsx
    assert r.severity == 2 and any("EXCEL" in m and "does not support" in m for m in r.messages), r.messages
    renamed = tmp_path / "book.dat"
    renamed.write_bytes(book.read_bytes())
    r = conn.upload(str(renamed))  # no file type from the name: the content says ZIP
    assert r.severity == 2 and any("ZIP archive" in m and "caslite reads CSV" in m for m in r.messages), r.messages
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("a\tb\n1\tx y\n2\tz\n")
    t = conn.upload_file(str(tsv), importoptions={}, casout={"name": "pairs", "replace": True})
    assert list(t.fetch(sortby=["a"])["Fetch"]["b"]) == ["x y", "z"]


def test_upload_file_reads_json_records_and_refuses_other_json(conn, tmp_path):
    """swat sends no filetype for .json: the content decides (review 15 F4)."""
    import pandas as pd
    df = pd.DataFrame({"a": [1.0, 2.5], "b": ["x", "y"]})
    records = tmp_path / "recs.json"
    records.write_text(df.to_json(orient="records"))
    t = conn.upload_file(str(records), casout={"name": "recs", "replace": True})
    got = t.to_frame().sort_values("a").reset_index(drop=True)
    assert list(got.columns) == ["a", "b"] and got["a"].tolist() == [1.0, 2.5] and got["b"].tolist() == ["x", "y"]
    lines = tmp_path / "recs.jsonl"
    lines.write_text(df.to_json(orient="records", lines=True))
    assert len(conn.upload_file(str(lines), casout={"name": "lines", "replace": True})) == 2
    numbers = tmp_path / "arr.json"
    numbers.write_text("[1,2,3]\n")
    r = conn.upload(str(numbers), casout={"name": "arr", "replace": True})
    assert r.severity == 2 and any("not records" in m and "array of objects" in m for m in r.messages), r.messages
