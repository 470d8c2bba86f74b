"""Configurable standards and weights: read from ``data/``, checked, used by SQL and Python."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.errors import SetupError
from gis.models.facilities import FACILITY_KINDS
from gis.projects.config import db_weights, read_standards, read_weights, sync_weights


def test_standards_cover_every_facility_kind() -> None:
    std = read_standards()
    assert set(std) == set(FACILITY_KINDS)
    office = std["office_service_site"]
    assert office.required_area(None) == Decimal(600)
    assert office.required_area(3000) == Decimal(900)  # 30 m² per 100 households
    assert std["commercial_outlet"].required_area(500) is None


def test_bad_files_are_refused(tmp_path: Path) -> None:
    w = tmp_path / "w.csv"
    w.write_text("kind,name,weight\nsite_selection,选址,5\n", encoding="utf-8")
    with pytest.raises(SetupError, match="every milestone"):
        read_weights(w)
    rows = "\n".join(f"{k},x,{-1 if i == 0 else 1}" for i, k in enumerate(read_weights()))
    w.write_text("kind,name,weight\n" + rows, encoding="utf-8")
    with pytest.raises(SetupError, match="≥ 0"):
        read_weights(w)
    s = tmp_path / "s.csv"
    s.write_text(
        "kind,name,min_floor_area_m2,max_floor_area_m2,per_100_households_m2,service_reach_m,basis\n"
        "office_service_site,x,lots,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(SetupError, match="row 2"):
        read_standards(s)
    with pytest.raises(SetupError, match="missing"):
        read_standards(tmp_path / "none.csv")


def test_database_weights_follow_the_file(db: Session) -> None:
    assert db_weights(session=db) == read_weights()


def test_changed_weights_change_the_derived_progress(db: Session) -> None:
    day = date(2026, 11, 26)
    q = sa.text("SELECT name, progress_derived FROM project_overview_at(:t) ORDER BY id")
    before = dict(db.execute(q, {"t": day}).all())
    heavy_start = {k: Decimal(1) for k in read_weights()} | {"site_selection": Decimal(93)}
    sync_weights(session=db, weights=heavy_start)  # rolled back with the test
    after = dict(db.execute(q, {"t": day}).all())
    hz = next(n for n in after if n.startswith("汉庄"))  # only site selection done
    assert before[hz] == Decimal("5.0") and after[hz] == Decimal("93.0")
    assert db_weights(session=db) == heavy_start


def test_walking_reach_agrees_with_the_coverage_analysis() -> None:
    coverage = pytest.importorskip("gis.spatial.coverage")
    reach = {k: s.service_reach_m for k, s in read_standards().items()}
    assert reach == {k: int(v) for k, v in coverage.DEFAULT_REACH_M.items()}
