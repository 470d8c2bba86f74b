"""Demo incident cases: a realistic mix of categories, states and dates, bulk-loaded by COPY.

Points are drawn from dwellings weighted by population (so cases cluster where people
live) with a small jitter; the township, community and grid of each point are found with
an in-memory spatial join; cases and their history rows go in with ``COPY``.
One million cases load in a few minutes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.workcalendar import WorkCalendar

# Share of cases per 大类 (市容环境, 宣传广告, 施工管理, 街面秩序, 突发事件, 矛盾纠纷, 治安隐患,
# 特殊人群, 校园周边安全, 民生服务).
CLASS_WEIGHTS = {
    "01": 30,
    "02": 7,
    "03": 6,
    "04": 18,
    "05": 3,
    "06": 12,
    "07": 7,
    "08": 3,
    "09": 3,
    "10": 11,
}
DAYS = 365
CHUNK = 100_000
Progress = Callable[[str, int, int], None]


def _minute_clock(cal: WorkCalendar, start: date, days: int) -> tuple[datetime, np.ndarray]:
    """Cumulative working minutes for every minute from ``start`` (local midnight)."""
    origin = datetime(start.year, start.month, start.day, tzinfo=cal.tz)
    working = np.zeros(days * 1440, dtype=np.int8)
    for d in range(days):
        day = start + timedelta(days=d)
        if not cal.is_workday(day):
            continue
        for a, b in cal.work_periods:
            working[d * 1440 + a.hour * 60 + a.minute : d * 1440 + b.hour * 60 + b.minute] = 1
    return origin, np.cumsum(working, dtype=np.int64)


def _sample_points(conn: Connection, rng: np.random.Generator, n: int) -> gpd.GeoDataFrame:
    res = gpd.read_postgis("SELECT geom, population FROM residences", conn, geom_col="geom")
    grids = gpd.read_postgis(
        "SELECT g.code AS grid_code, g.community_code, c.parent_code AS township_code, g.geom "
        "FROM grids g JOIN admin_units c ON c.code = g.community_code AND c.valid_to IS NULL "
        "WHERE g.valid_to IS NULL",
        conn,
        geom_col="geom",
    )
    p = res["population"].to_numpy(dtype=float)
    out = []
    need = n
    while need > 0:
        idx = rng.choice(len(res), size=int(need * 1.05) + 10, p=p / p.sum())
        xy = shapely.get_coordinates(res.geometry.values[idx])
        # about 60 m of scatter around a dwelling
        xy = xy + rng.normal(0, 1, xy.shape) * np.array([0.0007, 0.00055])
        pts = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=4326)
        joined = gpd.sjoin(pts, grids, predicate="within", how="inner")
        joined = joined[~joined.index.duplicated()].drop(columns="index_right")
        out.append(joined.iloc[:need])
        need -= len(out[-1])
    return gpd.GeoDataFrame(pd.concat(out, ignore_index=True), crs=4326)


def _lifecycle(
    rng: np.random.Generator, n: int, sla_h: np.ndarray, now: datetime, cal: WorkCalendar
) -> dict[str, np.ndarray]:
    """Timestamps (as datetime64[s], UTC) and states of ``n`` cases."""
    start = (now - timedelta(days=DAYS)).date()
    origin, clock = _minute_clock(cal, start, DAYS + 60)
    origin64 = np.datetime64(origin.astimezone(UTC).replace(tzinfo=None), "s")
    now64 = np.datetime64(now.astimezone(UTC).replace(tzinfo=None), "s")
    # more cases in recent months and in daytime
    age_days = rng.exponential(140, n) % DAYS
    hour = np.clip(rng.normal(13, 3.5, n), 6, 22)
    minutes = (DAYS - age_days).astype(int) * 1440 + (hour * 60).astype(int)
    reported = origin64 + minutes.astype("timedelta64[m]")
    reported = np.minimum(reported, now64 - np.timedelta64(5, "m"))
    m_rep = ((reported - origin64) // np.timedelta64(1, "m")).astype(np.int64)

    cancelled = rng.random(n) < 0.05
    m_reg = m_rep + rng.integers(5, 480, n)
    m_dis = m_reg + rng.integers(5, 240, n)
    m_proc = m_dis + rng.integers(30, 360, n)
    dis_clock = clock[np.minimum(m_dis, len(clock) - 1)]
    target = dis_clock + (sla_h * 60).astype(np.int64)
    m_dead = np.minimum(np.searchsorted(clock, target, side="left"), len(clock) - 1)
    # handling time relative to the SLA: most on time, a tail late
    frac = rng.lognormal(-0.7, 0.6, n)
    m_resp = np.maximum(m_dis + ((m_dead - m_dis) * frac * 0.85).astype(np.int64), m_proc + 10)
    m_close = m_resp + rng.integers(30, 24 * 60, n)
    rework = (rng.random(n) < 0.05).astype(np.int32)
    extension = (rng.random(n) < 0.03).astype(np.int32)
    m_dead = m_dead + extension * (m_dead - m_dis)
    # a few cases stall (never handled): these become the overdue backlog
    never = np.iinfo(np.int64).max // 4
    stall = rng.random(n) < 0.03
    stall_at_dispatch = stall & (rng.random(n) < 0.4)
    m_proc = np.where(stall_at_dispatch, never, m_proc)
    m_resp = np.where(stall, never, m_resp)
    m_close = np.where(stall, never, m_close)

    m_now = int((now64 - origin64) // np.timedelta64(1, "m"))
    state = np.full(n, "closed", dtype=object)
    state[m_close > m_now] = "responded"
    state[m_resp > m_now] = "processing"
    state[m_proc > m_now] = "dispatched"
    state[m_dis > m_now] = "registered"
    state[m_reg > m_now] = "reported"
    susp = (state == "processing") & (rng.random(n) < 0.03)
    state[susp] = "suspended"
    state[cancelled & (m_reg <= m_now)] = "cancelled"

    def ts(m: np.ndarray, keep: np.ndarray) -> np.ndarray:
        t = (origin64 + np.minimum(m, m_now).astype("timedelta64[m]")).astype(object)
        t[~keep] = None
        return t

    reached = {
        s: i
        for i, s in enumerate(
            [
                "reported",
                "registered",
                "dispatched",
                "processing",
                "suspended",
                "responded",
                "closed",
            ]
        )
    }
    rank = np.array([reached.get(s, -1) for s in state])
    live = state != "cancelled"
    return {
        "state": state,
        "rework": rework * (rank >= 5),
        "extension": extension * (rank >= 2),
        "reported_at": ts(m_rep, np.ones(n, bool)),
        "registered_at": ts(m_reg, (rank >= 1) | ~live),
        "dispatched_at": ts(m_dis, (rank >= 2) & live),
        "deadline_at": ts(m_dead, (rank >= 2) & live),
        "responded_at": ts(m_resp, (rank >= 5) & live),
        "closed_at": ts(m_close, (rank == 6) & live),
    }


def _copy(conn: Connection, table: str, columns: list[str], frame: pd.DataFrame) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")
    buf.seek(0)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf
        )


def load_incidents(
    conn: Connection, *, n: int, seed: int, progress: Progress, now: datetime | None = None
) -> bool:
    """Make the demo cases number exactly ``n``; returns False when nothing had to change."""
    have = conn.execute(sa.text("SELECT count(*) FROM cases WHERE source = 'demo'")).scalar_one()
    if have == n:
        return False
    conn.execute(
        sa.text(
            "DELETE FROM case_events WHERE case_id IN (SELECT id FROM cases WHERE source = 'demo')"
        )
    )
    conn.execute(sa.text("DELETE FROM cases WHERE source = 'demo'"))
    if n == 0:
        return True
    now = now or datetime.now(UTC)
    rng = np.random.default_rng(seed + 11)
    cats = pd.read_sql(
        sa.text(
            "SELECT code, parent_code, sla_hours, default_department "
            "FROM categories WHERE level = 2"
        ),
        conn,
    )
    w = cats["parent_code"].map(CLASS_WEIGHTS).astype(float)
    w = w / cats.groupby("parent_code")["code"].transform("count")
    cal = WorkCalendar.from_csv()
    per_day: dict[str, int] = {}
    done = 0
    next_id = conn.execute(sa.text("SELECT coalesce(max(id), 0) + 1 FROM cases")).scalar_one()
    while done < n:
        k = min(CHUNK, n - done)
        progress(f"示例案卷 (demo cases) {done + k}/{n}", done, n)
        pts = _sample_points(conn, rng, k)
        ci = rng.choice(len(cats), size=k, p=(w / w.sum()).to_numpy())
        c = cats.iloc[ci].reset_index(drop=True)
        life = _lifecycle(rng, k, c["sla_hours"].astype(float).to_numpy(), now, cal)
        ids = np.arange(next_id, next_id + k)
        frame = pd.DataFrame(
            {
                "id": ids,
                "case_no": _case_numbers(life["reported_at"], per_day),
                "category_code": c["code"],
                "description": "示例案卷 (demo case)",
                "geom": shapely.to_wkb(pts.geometry.values, hex=True, include_srid=True),
                "township_code": pts["township_code"].to_numpy(),
                "community_code": pts["community_code"].to_numpy(),
                "grid_code": pts["grid_code"].to_numpy(),
                "state": life["state"],
                "source": "demo",
                "department_code": np.where(
                    pd.isna(life["dispatched_at"]), None, c["default_department"].to_numpy()
                ),
                **{
                    k2: life[k2]
                    for k2 in (
                        "reported_at",
                        "registered_at",
                        "dispatched_at",
                        "deadline_at",
                        "responded_at",
                        "closed_at",
                    )
                },
                "rework_count": life["rework"],
                "extension_count": life["extension"],
            }
        )
        for col in (
            "reported_at",
            "registered_at",
            "dispatched_at",
            "deadline_at",
            "responded_at",
            "closed_at",
        ):
            frame[col] = pd.to_datetime(frame[col]).dt.strftime("%Y-%m-%d %H:%M:%S+00")
        _copy(conn, "cases", list(frame.columns), frame)
        _copy_events(conn, frame)
        next_id += k
        done += k
    conn.execute(sa.text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
    return True


def _copy_events(conn: Connection, f: pd.DataFrame) -> None:
    steps = [
        ("report", None, "reported", "reported_at"),
        ("register", "reported", "registered", "registered_at"),
        ("dispatch", "registered", "dispatched", "dispatched_at"),
        ("respond", "processing", "responded", "responded_at"),
        ("close", "responded", "closed", "closed_at"),
    ]
    parts = []
    for action, a, b, col in steps:
        sel = f[f[col].notna()]
        if action == "register":
            cancelled = sel["state"] == "cancelled"
            to = np.where(cancelled, "cancelled", b)
            act = np.where(cancelled, "cancel", action)
        else:
            to, act = np.full(len(sel), b), np.full(len(sel), action)
        parts.append(
            pd.DataFrame(
                {
                    "case_id": sel["id"],
                    "at": sel[col],
                    "actor": "demo",
                    "action": act,
                    "from_state": a,
                    "to_state": to,
                }
            )
        )
    _copy(
        conn,
        "case_events",
        ["case_id", "at", "actor", "action", "from_state", "to_state"],
        pd.concat(parts, ignore_index=True),
    )


def _case_numbers(reported: np.ndarray, per_day: dict[str, int]) -> list[str]:
    """630202-YYYYMMDD-NNNN, numbered per Beijing day; ``per_day`` carries across chunks."""
    local = (
        pd.to_datetime(pd.Series(reported))
        .dt.tz_localize("UTC")
        .dt.tz_convert("Asia/Shanghai")
        .dt.strftime("%Y%m%d")
    )
    out = []
    for day in local:
        per_day[day] = per_day.get(day, 0) + 1
        out.append(f"630202-{day}-{per_day[day]:04d}")
    return out
