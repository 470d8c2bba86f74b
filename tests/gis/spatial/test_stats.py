"""Case KPIs, recomputed independently in Python from the raw rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.spatial import kpi_series, params, stats

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


def _rows(db: Session) -> list[dict]:
    return [
        dict(r)
        for r in db.execute(
            sa.text(
                "SELECT township_code, grid_code, category_code, state, reported_at, "
                "dispatched_at, deadline_at, closed_at, rework_count, extension_count FROM cases"
            )
        ).mappings()
    ]


def _expected(rows: list[dict], w: params.Window, key: str, now: datetime) -> dict:
    as_of = min(w.end, now)
    out: dict = defaultdict(lambda: defaultdict(int))
    hours: dict = defaultdict(list)
    for r in rows:
        k = r[key]
        if w.start <= r["reported_at"] < w.end:
            out[k]["reported"] += 1
        dl = r["deadline_at"]
        if dl is None or not (w.start <= dl < w.end) or r["state"] in ("cancelled", "merged"):
            continue
        o = out[k]
        o["due"] += 1
        closed = r["closed_at"] is not None and r["closed_at"] <= as_of
        if closed:
            o["closed"] += 1
            o["closed_on_time" if r["closed_at"] <= dl else "closed_late"] += 1
            hours[k].append((r["closed_at"] - r["dispatched_at"]).total_seconds() / 3600)
        elif dl < as_of and r["state"] != "suspended":
            o["overdue"] += 1
        o["rework"] += r["rework_count"] > 0
        o["extended"] += r["extension_count"] > 0
    for k, h in hours.items():
        out[k]["mean_handling_hours"] = sum(h) / len(h)
    return out


@pytest.mark.parametrize("days_back,length", [(0, 30), (0, 200), (60, 45)])
def test_township_kpis_match_an_independent_count(db: Session, days_back: int, length: int) -> None:
    end = NOW - timedelta(days=days_back)
    w = params.Window(end - timedelta(days=length), end)
    got = stats.kpis(db, level="township", window=w, now=NOW)
    want = _expected(_rows(db), w, "township_code", NOW)
    assert got["total"]["due"] == sum(v["due"] for v in want.values()) > 0
    for u in got["units"]:
        exp = want.get(u["code"], {})
        for k in stats.COUNTS[:-1]:  # all but overdue_now (tested below)
            assert u[k] == exp.get(k, 0), (u["code"], k)
        if exp.get("due"):
            assert u["closure_rate"] == round(exp["closed"] / exp["due"], 4)
            assert u["on_time_rate"] == round(exp.get("closed_on_time", 0) / exp["due"], 4)
        if "mean_handling_hours" in exp:
            assert abs(u["mean_handling_hours"] - exp["mean_handling_hours"]) < 0.01
        assert sum(u["by_state"].values()) == u["reported"]
        assert u["small_sample"] == (u["due"] < 10)


def test_overdue_now_is_the_open_backlog(db: Session) -> None:
    w = params.Window(NOW - timedelta(days=7), NOW)
    got = stats.kpis(db, level="district", window=w, now=NOW)
    n = sum(
        1
        for r in _rows(db)
        if r["state"] in ("dispatched", "processing", "responded")
        and r["deadline_at"] is not None
        and r["deadline_at"] < NOW
    )
    assert got["units"][0]["overdue_now"] == n == got["total"]["overdue_now"]


def test_league_table_puts_small_samples_last(db: Session) -> None:
    w = params.Window(NOW - timedelta(days=90), NOW)
    got = stats.kpis(db, level="grid", window=w, sort="on_time_rate", min_due=8, now=NOW)
    units = got["units"]
    flags = [u["small_sample"] or u["on_time_rate"] is None for u in units]
    assert flags == sorted(flags)  # all False (ranked) first, then True
    ranked = [u["on_time_rate"] for u in units if not u["small_sample"]]
    assert ranked == sorted(ranked, reverse=True)
    assert (
        len(units)
        == db.execute(sa.text("SELECT count(*) FROM grids WHERE valid_to IS NULL")).scalar_one()
    )


def test_parent_and_category_filters(db: Session) -> None:
    w = params.Window(NOW - timedelta(days=120), NOW)
    town = "630202001000"
    got = stats.kpis(db, level="community", window=w, parent=town, category="01", now=NOW)
    assert got["units"] and all(u["parent_code"] == town for u in got["units"])
    rows = [
        r
        for r in _rows(db)
        if r["grid_code"].startswith(town[:9]) and r["category_code"].startswith("01")
    ]
    want = _expected(rows, w, "township_code", NOW)
    assert got["total"]["due"] == sum(v["due"] for v in want.values())


def test_wilson_lower_bound_ranks_small_units_lower() -> None:
    assert stats.wilson_lower(2, 2) < stats.wilson_lower(180, 200) < 0.9
    assert stats.wilson_lower(0, 0) is None


def test_monthly_series_due_adds_up_to_the_window(db: Session) -> None:
    w = params.window(date(2026, 3, 1), date(2026, 10, 31), now=NOW)
    s = kpi_series.series(db, window=w, interval="month", now=NOW)
    assert [b["start"] for b in s["buckets"]][:2] == ["2026-03-01", "2026-04-01"]
    assert len(s["buckets"]) == 8
    total = stats.kpis(db, level="district", window=w, now=NOW)["total"]
    assert sum(b["due"] for b in s["buckets"]) == total["due"]
    assert sum(b["reported"] for b in s["buckets"]) == total["reported"]
    # a bucket counts closures only up to its own end
    assert sum(b["closed"] for b in s["buckets"]) <= total["closed"]


def test_series_for_one_unit(db: Session) -> None:
    w = params.Window(NOW - timedelta(days=60), NOW)
    code = "630202001000"
    s = kpi_series.series(db, window=w, interval="week", level="township", code=code, now=NOW)
    d = kpi_series.series(db, window=w, interval="week", now=NOW)
    assert sum(b["due"] for b in s["buckets"]) < sum(b["due"] for b in d["buckets"])
    with pytest.raises(NotFound):
        kpi_series.series(db, window=w, level="township", code="630202999000", now=NOW)


def test_choropleth_is_geojson_with_classes(db: Session) -> None:
    w = params.Window(NOW - timedelta(days=90), NOW)
    fc = orjson.loads(kpi_series.choropleth(db, level="township", window=w, now=NOW))
    n = db.execute(
        sa.text("SELECT count(*) FROM admin_units WHERE level = 4 AND valid_to IS NULL")
    ).scalar_one()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == n
    for f in fc["features"]:
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        p = f["properties"]
        if p["small_sample"]:
            assert p["value"] is None and p["class"] is None
        else:
            assert p["value"] == p["on_time_rate"]
            assert p["value"] <= fc["breaks"][p["class"]]


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"level": "county"}, "level"),
        ({"level": "grid", "sort": "happiness"}, "sort"),
        ({"level": "grid", "min_due": -1}, "min_due"),
        ({"level": "grid", "category": "1"}, "category"),
        ({"level": "grid", "parent": "63020200100"}, "parent"),
    ],
)
def test_kpi_bad_input(db: Session, kwargs: dict, field: str) -> None:
    w = params.Window(NOW - timedelta(days=10), NOW)
    with pytest.raises(InvalidInput) as e:
        stats.kpis(db, window=w, **kwargs)
    assert e.value.field == field


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"category": "99"}, "category"),
        ({"department": "nobody"}, "department"),
        ({"parent": "630202999999"}, "parent"),
    ],
)
def test_kpi_unknown_codes(db: Session, kwargs: dict, field: str) -> None:
    w = params.Window(NOW - timedelta(days=10), NOW)
    with pytest.raises(NotFound) as e:
        stats.kpis(db, level="grid", window=w, **kwargs)
    assert e.value.field == field


def test_window_checks() -> None:
    with pytest.raises(InvalidInput) as e:
        params.window(date(2026, 5, 2), date(2026, 5, 1))
    assert e.value.field == "end"
    with pytest.raises(InvalidInput) as e:
        params.window(date(2020, 1, 1), date(2026, 5, 1))
    assert e.value.field == "start"
    with pytest.raises(InvalidInput) as e:
        params.parse_when("yesterday", field="start")
    assert e.value.field == "start"
    one_day = params.window(date(2026, 5, 1), date(2026, 5, 1))
    assert one_day.days == 1  # a date as end includes that day
    with pytest.raises(InvalidInput) as e:
        kpi_series.series(None, window=one_day, interval="hour")  # type: ignore[arg-type]
    assert e.value.field == "interval"
