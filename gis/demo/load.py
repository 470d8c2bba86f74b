"""Load the Ledu demo data set: real outline and codes, illustrative boundaries, demo cases.

Everything is written in one transaction; running it again does not duplicate anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gis import taxonomy
from gis.demo import people
from gis.demo.accounts import load_accounts
from gis.demo.geometry import DemoGeometry, generate
from gis.demo.incidents import load_incidents
from gis.demo.projects import load_projects
from gis.demo.resources import load_resources
from gis.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"
Progress = Callable[[str, int, int], None]


def _noop(_label: str, _done: int, _total: int) -> None:
    return None


@dataclass
class LoadReport:
    """Row counts per table after the load, and what was skipped."""

    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # shown once, e.g. demo passwords


def _append(conn: Connection, gdf: gpd.GeoDataFrame, table: str, geom: str = "geom") -> None:
    gdf = gdf.rename_geometry(geom) if gdf.geometry.name != geom else gdf
    gdf.to_postgis(table, conn, if_exists="append", index=False)


def _as_multi(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from shapely.geometry import MultiPolygon, Polygon

    gdf = gdf.copy()
    gdf.geometry = [MultiPolygon([g]) if isinstance(g, Polygon) else g for g in gdf.geometry]
    return gdf


def load_reference(conn: Connection, data_dir: Path = DATA_DIR) -> None:
    """Departments and the category taxonomy (upserted from ``data/``)."""
    for d in taxonomy.load_departments(data_dir / "departments.csv").values():
        conn.execute(
            sa.text(
                "INSERT INTO departments (code, name, name_en, kind) VALUES (:c, :n, :e, :k) "
                "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, "
                "kind = EXCLUDED.kind"
            ),
            {"c": d.code, "n": d.name, "e": d.name_en, "k": d.kind},
        )
    cats = sorted(
        taxonomy.load_categories(data_dir / "categories.csv").values(),
        key=lambda c: (c.level, c.code),
    )
    for c in cats:
        conn.execute(
            sa.text(
                "INSERT INTO categories (code, parent_code, level, name, name_en, sla_hours, "
                "sensitive, default_department) VALUES (:code, :parent, :level, :name, :name_en, "
                ":sla, :sensitive, :dept) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, "
                "name_en = EXCLUDED.name_en, sla_hours = EXCLUDED.sla_hours, "
                "sensitive = EXCLUDED.sensitive, default_department = EXCLUDED.default_department"
            ),
            {
                "code": c.code,
                "parent": c.parent_code or None,
                "level": c.level,
                "name": c.name,
                "name_en": c.name_en,
                "sla": c.sla_hours,
                "sensitive": c.sensitive,
                "dept": c.default_department or None,
            },
        )


def _load_boundaries(conn: Connection, geo: DemoGeometry, seed: int) -> None:
    district = gpd.GeoDataFrame(
        {
            "code": ["630202000000"],
            "name": ["乐都区"],
            "level": [3],
            "unit_type": ["市辖区"],
            "parent_code": ["630200000000"],
            "boundary_source": ["official"],
        },
        geometry=[geo.district],
        crs=4326,
    )
    _append(conn, _as_multi(district), "admin_units")
    t = geo.townships
    towns = gpd.GeoDataFrame(
        {
            "code": t["code"],
            "name": t["name"],
            "level": 4,
            "unit_type": t["type"],
            "parent_code": "630202000000",
            "boundary_source": "illustrative",
        },
        geometry=t.geometry,
        crs=4326,
    )
    _append(conn, _as_multi(towns), "admin_units")
    c = geo.communities
    hh = geo.residences.groupby("community_code")[["households", "population"]].sum()
    comms = gpd.GeoDataFrame(
        {
            "code": c["code"],
            "name": c["name"],
            "level": 5,
            "unit_type": c["type"],
            "parent_code": c["township_code"],
            "boundary_source": "illustrative",
            "households": c["code"].map(hh["households"]).fillna(0).astype(int),
            "population": c["code"].map(hh["population"]).fillna(0).astype(int),
        },
        geometry=c.geometry,
        crs=4326,
    )
    _append(conn, _as_multi(comms), "admin_units")
    seats = gpd.GeoSeries(c["seat"], crs=4326)
    for code, seat in zip(c["code"], seats, strict=True):
        conn.execute(
            sa.text(
                "UPDATE admin_units SET seat = ST_GeomFromText(:w, 4326) "
                "WHERE code = :c AND valid_to IS NULL"
            ),
            {"w": seat.wkt, "c": code},
        )
    conn.execute(
        sa.text(
            "UPDATE admin_units u SET households = s.h, population = s.p FROM ("
            "  SELECT parent_code, sum(households) h, sum(population) p FROM admin_units"
            "  WHERE level = 5 AND valid_to IS NULL GROUP BY parent_code) s"
            " WHERE u.code = s.parent_code AND u.valid_to IS NULL"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE admin_units SET households = (SELECT sum(households) FROM admin_units "
            "WHERE level = 4 AND valid_to IS NULL), population = (SELECT sum(population) "
            "FROM admin_units WHERE level = 4 AND valid_to IS NULL) WHERE level = 3"
        )
    )

    g = geo.grids
    grids = gpd.GeoDataFrame(
        {
            "code": g["code"],
            "name": g["name"],
            "community_code": g["community_code"],
            "kind": g["kind"],
            "households": g["households"].astype(int),
            "population": g["population"].astype(int),
            "boundary_source": "illustrative",
        },
        geometry=g.geometry,
        crs=4326,
    )
    _append(conn, _as_multi(grids), "grids")
    r = geo.residences
    res = gpd.GeoDataFrame(
        {
            "community_code": r["community_code"],
            "households": r["households"].astype(int),
            "population": r["population"].astype(int),
        },
        geometry=r.geometry,
        crs=4326,
    )
    _append(conn, res, "residences")
    conn.execute(
        sa.text(
            "UPDATE residences r SET grid_code = g.code FROM grids g "
            "WHERE g.valid_to IS NULL AND g.community_code = r.community_code "
            "AND ST_Intersects(g.geom, r.geom)"
        )
    )
    _load_staff(conn, list(g["code"]), seed)
    f = geo.facilities
    fac = gpd.GeoDataFrame(
        {
            "kind": f["kind"],
            "name": f["name"],
            "community_code": f["community_code"],
            "status": f["status"],
            "floor_area_m2": f["floor_area_m2"],
        },
        geometry=f.geometry,
        crs=4326,
    )
    _append(conn, fac, "facilities")


def _load_staff(conn: Connection, grid_codes: list[str], seed: int) -> None:
    rng = np.random.default_rng(seed + 7)
    rows = []
    for code in sorted(grid_codes):
        n_workers = 1 if rng.random() < 0.6 else 2
        who = people.names(rng, 1 + n_workers)
        tel = people.phones(rng, 1 + n_workers)
        rows.append({"g": code, "r": "leader", "n": who[0], "p": tel[0], "u": None})
        for i in range(n_workers):
            rows.append(
                {
                    "g": code,
                    "r": "worker",
                    "n": who[i + 1],
                    "p": tel[i + 1],
                    "u": f"wg{code}" if i == 0 else None,
                }
            )
    conn.execute(
        sa.text(
            "INSERT INTO grid_staff (grid_code, role, person_name, phone, username)"
            " VALUES (:g, :r, :n, :p, :u)"
        ),
        rows,
    )


def is_loaded(conn: Connection) -> bool:
    return bool(
        conn.execute(
            sa.text(
                "SELECT EXISTS (SELECT 1 FROM admin_units WHERE level = 3 AND valid_to IS NULL)"
            )
        ).scalar()
    )


def load_demo(
    engine: Engine,
    *,
    incidents: int = 3000,
    seed: int = 630202,
    data_dir: Path = DATA_DIR,
    progress: Progress = _noop,
) -> LoadReport:
    """Load the demo data set into a migrated database, in one transaction.

    Parameters
    ----------
    incidents
        How many demo cases to have (replaced when the number differs; kept when equal).
    seed
        Seed of every random choice: the same seed gives the same data.

    Returns
    -------
    LoadReport
        Row counts of the main tables after the load.
    """
    if incidents < 0:
        raise ValueError(f"incidents must be ≥ 0, got {incidents}")
    report = LoadReport()
    with engine.begin() as conn:
        progress("参考数据 (departments, categories)", 0, 4)
        load_reference(conn, data_dir)
        if is_loaded(conn):
            report.skipped.append("boundaries, grids, facilities (already loaded)")
        else:
            progress("生成示意边界与网格 (illustrative boundaries and grids)", 1, 4)
            geo = generate(data_dir / "ledu", seed=seed)
            progress("写入边界、网格、设施 (writing boundaries, grids, facilities)", 2, 4)
            _load_boundaries(conn, geo, seed)
            load_projects(conn, seed=seed)
            load_resources(conn, seed=seed)
            report.notes.extend(load_accounts(conn, seed=seed))
        progress(f"示例案卷 (demo cases: {incidents})", 3, 4)
        if not load_incidents(conn, n=incidents, seed=seed, progress=progress):
            report.skipped.append(f"demo cases (already {incidents})")
        progress("完成 (done)", 4, 4)
        for table in (
            "admin_units",
            "grids",
            "grid_staff",
            "residences",
            "facilities",
            "projects",
            "categories",
            "departments",
            "cases",
            "case_events",
        ):
            report.counts[table] = int(
                conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            )
    with engine.connect() as conn:  # planner statistics for the fresh rows
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
    return report


__all__ = ["LoadReport", "is_loaded", "load_demo", "load_reference"]
