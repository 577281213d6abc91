"""fedSql.execDirect through the unmodified swat, checked against Python's sqlite3 on the same data."""
import sqlite3

import numpy as np
import pandas as pd
import pytest


def frames():
    emp = pd.DataFrame({
        "id": [1, 2, 3, 4, 5, 6],
        "name": ["ann", "bob", "cy", "dee", "eve", "fay"],
        "dept": ["eng", "eng", "ops", "ops", "sales", "eng"],
        "salary": [120.0, 100.0, 80.0, np.nan, 90.0, 101.5],
    })
    dept = pd.DataFrame({"dept": ["eng", "ops", "sales"], "floor": [3, 1, 2]})
    return emp, dept


QUERIES = [
    "select e.name, d.floor, e.salary from emp e join dept d on e.dept = d.dept order by e.id",
    "select dept, count(*) as n, avg(salary) as mean, sum(salary is null) as nmiss from emp group by dept having count(*) > 1 order by dept",
    "select name, rank() over (partition by dept order by salary desc) as r, sum(salary) over (partition by dept) as total "
    "from emp order by dept, r, name",
    "with rich as (select * from emp where salary >= 100) select count(*) as n, max(salary) as top from rich",
]


@pytest.fixture(scope="module")
def reference():
    emp, dept = frames()
    db = sqlite3.connect(":memory:")
    emp.to_sql("emp", db, index=False)
    dept.to_sql("dept", db, index=False)
    yield db
    db.close()


@pytest.fixture(scope="module")
def loaded(server):
    conn = server.connect("alice")
    emp, dept = frames()
    conn.upload_frame(emp, casout={"name": "emp", "replace": True})
    conn.upload_frame(dept, casout={"name": "dept", "replace": True})
    yield conn
    conn.close()


@pytest.mark.parametrize("query", QUERIES)
def test_execdirect_matches_sqlite3(loaded, reference, query):
    r = loaded.fedsql.execdirect(query=query)
    assert r.severity == 0, r.messages
    got = r["Result"]
    want = pd.read_sql(query, reference)
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False, check_exact=False)


def test_create_table_as_then_fetch(loaded, reference):
    r = loaded.fedsql.execdirect(query="create table eng as select id, salary from emp where dept = 'eng'")
    assert r.severity == 0, r.messages
    got = loaded.CASTable("eng").fetch(sortby=["id"])["Fetch"]
    want = pd.read_sql("select id, salary from emp where dept = 'eng' order by id", reference)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)


def test_errors_carry_sqlites_message_and_attach_is_refused(loaded):
    r = loaded.fedsql.execdirect(query="selec * from emp")
    assert r.severity == 2
    assert any('near "selec": syntax error' in m for m in r.messages)
    r = loaded.fedsql.execdirect(query="attach database 'x.db' as x")
    assert r.severity == 2
    assert any("ATTACH is not allowed" in m for m in r.messages)

