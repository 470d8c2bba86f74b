"""Case triggers: one new case at a time keeps the map aggregates equal to a recount, and the
data version moves exactly when a write changed a case."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

VISIBLE = "state NOT IN ('cancelled', 'merged')"
OPEN = "state IN ('reported','registered','dispatched','processing','responded','suspended')"
HALF = 20037508.342789244


def _cells_from_cases(conn: sa.Connection, level: int) -> dict:
    """Every cell of ``level`` recounted from the cases (counts exact, sums of positions)."""
    rows = conn.execute(
        sa.text(f"""
            SELECT floor((ST_X(p) + {HALF}) / ({2 * HALF} / 2 ^ :l))::int AS cx,
                   floor(({HALF} - ST_Y(p)) / ({2 * HALF} / 2 ^ :l))::int AS cy,
                   count(*), count(*) FILTER (WHERE open), count(*) FILTER (WHERE sens),
                   count(*) FILTER (WHERE open AND sens), sum(ST_X(p)), sum(ST_Y(p)),
                   coalesce(sum(ST_X(p)) FILTER (WHERE NOT sens), 0)
              FROM (SELECT ST_Transform(c.geom, 3857) AS p, c.{OPEN} AS open,
                           coalesce(k.sensitive, false) AS sens
                      FROM cases c LEFT JOIN categories k ON k.code = c.category_code
                     WHERE c.{VISIBLE}) q
             GROUP BY 1, 2
        """),
        {"l": level},
    ).all()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def _cells_from_table(conn: sa.Connection, level: int) -> dict:
    rows = conn.execute(
        sa.text(
            "SELECT cx, cy, n, n_open, n_sens, n_open_sens, sx, sy, psx "
            "FROM layer_incident_cells WHERE level = :l AND n <> 0"
        ),
        {"l": level},
    ).all()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def _same(table: dict, recount: dict) -> None:
    assert table.keys() == recount.keys()
    for key, got in table.items():
        want = recount[key]
        assert got[:4] == want[:4], key
        assert got[4:] == pytest.approx(want[4:], rel=1e-9, abs=1e-3), key


def _version(conn: sa.Connection) -> int:
    return int(
        conn.execute(
            sa.text("SELECT version FROM layer_data_versions WHERE source = 'cases'")
        ).scalar_one()
    )


def _insert_one(conn: sa.Connection, no: str, category: str, lon: float, state: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO cases (case_no, category_code, description, geom, state, source, "
            "grid_code, community_code, township_code) "
            "SELECT :no, :cat, 'x', ST_SetSRID(ST_MakePoint(:lon, 36.48), 4326), :state, "
            "'test', s.grid_code, s.community_code, s.township_code "
            "FROM (SELECT 1) one LEFT JOIN spatial_lookup s "
            "ON ST_Intersects(s.geom, ST_SetSRID(ST_MakePoint(:lon, 36.48), 4326))"
            " LIMIT 1"
        ),
        {"no": no, "cat": category, "lon": lon, "state": state},
    )


def test_single_case_inserts_keep_cells_and_counts_equal_to_a_recount(db: Session) -> None:
    conn = db.connection()
    sens = conn.execute(
        sa.text("SELECT code FROM categories WHERE level = 2 AND sensitive ORDER BY code LIMIT 1")
    ).scalar_one()
    units = "SELECT unit_code, n, n_open FROM layer_case_counts WHERE unit_code = ANY(:u)"
    cases = [  # one statement each: the single-row path
        ("ONE-1", "0101", 102.401, "reported"),
        ("ONE-2", "0101", 102.401, "reported"),  # the same cells again
        ("ONE-3", sens, 102.4012, "reported"),  # sensitive: not in the public sums
        ("ONE-4", "0101", 102.405, "closed"),  # counted, not open
        ("ONE-5", sens, 102.406, "closed"),
        ("ONE-6", "0101", 102.407, "cancelled"),  # hidden: no cell, no count
    ]
    before = _version(conn)
    for no, cat, lon, state in cases:
        _insert_one(conn, no, cat, lon, state)
    assert _version(conn) == before + len(cases)  # every insert changed the data
    for level in (4, 11, 16, 19):
        _same(_cells_from_table(conn, level), _cells_from_cases(conn, level))
    codes = [
        c
        for row in conn.execute(
            sa.text(
                "SELECT grid_code, community_code, township_code FROM cases "
                "WHERE case_no LIKE 'ONE-%'"
            )
        )
        for c in row
        if c
    ]
    assert codes  # the points lie in the district
    got = {r[0]: (r[1], r[2]) for r in conn.execute(sa.text(units), {"u": codes})}
    want = {
        code: tuple(
            conn.execute(
                sa.text(
                    f"SELECT count(*), count(*) FILTER (WHERE {OPEN}) FROM cases "
                    f"WHERE {VISIBLE} AND :c IN (grid_code, community_code, township_code)"
                ),
                {"c": code},
            ).one()
        )
        for code in codes
    }
    assert got == want


def test_the_version_moves_only_when_a_write_changed_a_case(db: Session) -> None:
    conn = db.connection()
    v0 = _version(conn)
    _insert_one(conn, "VER-1", "0101", 102.41, "reported")
    v1 = _version(conn)
    assert v1 > v0
    # a resent report inserts nothing: the data did not change, nor does the version
    conn.execute(
        sa.text(
            "INSERT INTO cases (case_no, category_code, description, geom, state, source) "
            "VALUES ('VER-1', '0101', 'x', ST_SetSRID(ST_MakePoint(102.41, 36.48), 4326), "
            "'reported', 'test') ON CONFLICT (case_no) DO NOTHING"
        )
    )
    conn.execute(sa.text("UPDATE cases SET description = 'y' WHERE false"))
    conn.execute(sa.text("DELETE FROM cases WHERE false"))
    assert _version(conn) == v1
    # an update that moves no aggregate still changes what a tile shows
    conn.execute(sa.text("UPDATE cases SET description = 'y' WHERE case_no = 'VER-1'"))
    v2 = _version(conn)
    assert v2 > v1
    conn.execute(sa.text("DELETE FROM cases WHERE case_no = 'VER-1'"))
    assert _version(conn) > v2
    for level in (8, 19):
        _same(_cells_from_table(conn, level), _cells_from_cases(conn, level))


def test_several_cases_in_one_statement_still_match_a_recount(db: Session) -> None:
    conn = db.connection()
    v0 = _version(conn)
    conn.execute(
        sa.text(
            "INSERT INTO cases (case_no, category_code, description, geom, state, source) "
            "SELECT 'BULK-' || i, '0101', 'x', ST_SetSRID(ST_MakePoint(102.40 + (i % 3) * 0.0001,"
            " 36.48), 4326), CASE WHEN i % 4 = 0 THEN 'closed' ELSE 'reported' END, 'test' "
            "FROM generate_series(1, 12) i"
        )
    )
    assert _version(conn) == v0 + 1  # one statement, one bump
    for level in (6, 19):
        _same(_cells_from_table(conn, level), _cells_from_cases(conn, level))


def _counts_from_cases(conn: sa.Connection) -> dict:
    rows = conn.execute(
        sa.text(f"""
            SELECT u.code, count(*), count(*) FILTER (WHERE c.{OPEN})
              FROM cases c CROSS JOIN LATERAL
                   (VALUES (c.grid_code), (c.community_code), (c.township_code)) u(code)
             WHERE c.{VISIBLE} AND u.code IS NOT NULL
             GROUP BY 1
        """)
    ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _counts_from_table(conn: sa.Connection) -> dict:
    rows = conn.execute(
        sa.text("SELECT unit_code, n, n_open FROM layer_case_counts WHERE n <> 0 OR n_open <> 0")
    ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_batches_of_reports_keep_cells_and_counts_equal_to_a_recount(db: Session) -> None:
    """The intake statement with 2, 4, 8 and 16 reports (several cases per statement)."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from gis.cases import insert
    from gis.cases.intake import report_values
    from gis.cases.numbering import ensure_day
    from gis.cases.schemas import CaseIn

    conn = db.connection()
    sens = conn.execute(
        sa.text("SELECT code FROM categories WHERE level = 2 AND sensitive ORDER BY code LIMIT 1")
    ).scalar_one()
    who = SimpleNamespace(username="t", role="field_staff", sees_personal=True, client=None)
    k = 0
    for size in (2, 4, 8, 16):
        batch = []
        for i in range(size):
            k += 1
            case_in = CaseIn(
                lon=102.40 + (k % 5) * 0.003 + (i % 2) * 0.00001,  # some share cells
                lat=36.48 + (k % 3) * 0.002,
                category=sens if k % 4 == 0 else "0101",
                description=f"batch {k}",
            )
            batch.append(
                report_values(
                    case_in=case_in, actor=who, source="t", now=datetime.now(UTC), audited=True
                )
            )
        ensure_day(bind=db, day=batch[0]["day"])
        v0 = _version(conn)
        rows = conn.execute(insert.TEXT, insert.params(batch)).all()
        assert [r.i for r in rows] == list(range(1, size + 1))
        assert all(r.id is not None for r in rows)
        assert _version(conn) == v0 + 1  # one statement, one bump
        for level in (4, 12, 19):
            _same(_cells_from_table(conn, level), _cells_from_cases(conn, level))
        assert _counts_from_table(conn) == _counts_from_cases(conn)
