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
