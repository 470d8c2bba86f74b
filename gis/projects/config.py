"""Configuration of construction tracking: floor-area standards, milestone weights, the clock.

Both tables live in ``data/`` as CSV files so that planners can change them without code:
``facility_standards.csv`` (floor area and walking reach per facility kind) and
``milestone_weights.csv`` (how much each milestone adds to the derived progress). The weights
are also kept in the table ``project_milestone_weights`` because the SQL status derivation
reads them; :func:`sync_weights` copies the file into the table.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gis.errors import SetupError
from gis.models.projects import MILESTONES
from gis.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"
log = logging.getLogger("gridmap.projects")
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# How close a progress report must be taken to the site, and how far outside its community
# a site may lie (community boundaries are illustrative, so this is generous).
REPORT_MAX_DISTANCE_M = 500.0
SITE_MAX_OUTSIDE_COMMUNITY_M = 1000.0
AT_RISK_WINDOW_DAYS = 14
SPENDING_AHEAD_POINTS = Decimal(20)


def local_today() -> date:
    """Today's date in Ledu (Asia/Shanghai), the date the status views use."""
    return datetime.now(LOCAL_TZ).date()


@dataclass(frozen=True)
class FacilityStandard:
    """The floor-area standard and walking reach of one facility kind."""

    kind: str
    name: str
    min_floor_area_m2: Decimal | None
    max_floor_area_m2: Decimal | None
    per_100_households_m2: Decimal | None
    service_reach_m: int | None
    basis: str

    def required_area(self, households: int | None) -> Decimal | None:
        """The floor area the standard asks for, given the community's households."""
        need = self.min_floor_area_m2
        if self.per_100_households_m2 is not None and households:
            by_households = self.per_100_households_m2 * Decimal(households) / 100
            need = max(need or Decimal(0), by_households.quantize(Decimal("0.1")))
        return need


def _dec(v: str) -> Decimal | None:
    return Decimal(v) if v.strip() else None


def read_standards(path: Path = DATA_DIR / "facility_standards.csv") -> dict[str, FacilityStandard]:
    """Read the facility standards file.

    Returns
    -------
    dict
        Facility kind → :class:`FacilityStandard`.

    Raises
    ------
    SetupError
        The file is missing or a row is malformed (the message names the row).
    """
    try:
        with path.open(encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError as exc:
        raise SetupError(f"缺少设施标准文件 (missing standards file): {path}") from exc
    out: dict[str, FacilityStandard] = {}
    for i, r in enumerate(rows, start=2):
        try:
            reach = r["service_reach_m"].strip()
            out[r["kind"].strip()] = FacilityStandard(
                kind=r["kind"].strip(),
                name=r["name"].strip(),
                min_floor_area_m2=_dec(r["min_floor_area_m2"]),
                max_floor_area_m2=_dec(r["max_floor_area_m2"]),
                per_100_households_m2=_dec(r["per_100_households_m2"]),
                service_reach_m=int(reach) if reach else None,
                basis=r.get("basis", "").strip(),
            )
        except (KeyError, ArithmeticError, ValueError) as exc:
            raise SetupError(f"设施标准文件第 {i} 行无效 (bad row {i} in {path}): {exc}") from exc
    return out


def read_weights(path: Path = DATA_DIR / "milestone_weights.csv") -> dict[str, Decimal]:
    """Read milestone weights: milestone kind → weight (every kind, none negative).

    Raises
    ------
    SetupError
        Unknown or missing milestone kinds, negative weights or an all-zero file.
    """
    with path.open(encoding="utf-8-sig") as f:
        weights = {r["kind"].strip(): Decimal(r["weight"]) for r in csv.DictReader(f)}
    if set(weights) != set(MILESTONES):
        raise SetupError(
            f"里程碑权重文件须列出全部里程碑 (weights must list every milestone kind): "
            f"missing {sorted(set(MILESTONES) - set(weights))}, "
            f"unknown {sorted(set(weights) - set(MILESTONES))}"
        )
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise SetupError("里程碑权重不能为负且不能全为零 (weights must be ≥ 0, not all zero)")
    return weights


@lru_cache
def standards() -> dict[str, FacilityStandard]:
    """The standards of ``data/facility_standards.csv`` (read once per process)."""
    return read_standards()


def sync_weights(
    *, session: Connection | Session, weights: dict[str, Decimal] | None = None
) -> None:
    """Copy the milestone weights (default: ``data/milestone_weights.csv``) into the database."""
    weights = weights if weights is not None else read_weights()
    order = list(MILESTONES)
    session.execute(
        sa.text(
            "INSERT INTO project_milestone_weights (kind, seq, weight) VALUES (:k, :s, :w) "
            "ON CONFLICT (kind) DO UPDATE SET weight = EXCLUDED.weight"
        ),
        [{"k": k, "s": order.index(k) + 1, "w": w} for k, w in weights.items()],
    )


def apply_weights_file(engine: Engine) -> bool:
    """Copy the weights file into the database if both are there; False (logged) if not.

    Called when the app starts, so an edited file takes effect on restart.
    """
    try:
        with engine.begin() as conn:
            if conn.execute(sa.text("SELECT to_regclass('project_milestone_weights')")).scalar():
                sync_weights(session=conn)
                return True
    except (SetupError, OSError, SQLAlchemyError) as exc:
        log.warning("milestone weights not applied: %s", exc)
    return False


def bump_status_day(engine: Engine) -> bool:
    """Tell the tile cache that statuses moved on when the date in Ledu has changed.

    Idempotent (one bump per day whatever the number of callers); returns whether it bumped.
    """
    try:
        with engine.begin() as conn:
            return bool(conn.execute(sa.text("SELECT project_status_day_bump()")).scalar())
    except SQLAlchemyError as exc:
        log.warning("status day not bumped: %s", exc)
        return False


def db_weights(*, session: Connection | Session) -> dict[str, Decimal]:
    """The weights the SQL derivation uses right now."""
    rows = session.execute(sa.text("SELECT kind, weight FROM project_milestone_weights"))
    return {k: Decimal(w) for k, w in rows}
