"""Auto-partition: cut a community into grids of balanced households.

Recursive bisection: the region is cut by a straight line across its longer axis (measured
in metres) where the households on each side are in the proportion of the grids each side
will hold; both sides are cut again until every part is one grid. Cuts are made with
``shapely.ops.split`` in lon/lat (a line in a local metric frame is a line in lon/lat
too), so neighbouring grids share exactly the same cut vertices and together cover the
community with no gap or overlap. A grid left in several pieces (the community is not
convex) keeps its biggest piece; each other piece joins the neighbour it shares most
boundary with, so every grid is contiguous. Grids are numbered row by row from the north,
west to east within a row, with 15-digit codes (community code + 3 digits).

:func:`gis.spatial.partition_apply.apply_partition` writes the result in one transaction keeping the old boundary
generation: the old grids get ``valid_to``, the new ones ``valid_from`` (the unique index on
current codes allows the same codes again).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from shapely import wkb
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.ops import split, unary_union
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound, Unprocessable
from gis.spatial import params
from gis.spatial.balance import band, suggest_count

MAX_GRIDS = 60
M_PER_DEG = 111_320.0

COMMUNITY_SQL = sa.text("""
    SELECT code, name, ST_AsBinary(geom) AS wkb, ST_Y(ST_Centroid(geom)) AS lat0
    FROM admin_units WHERE code = :c AND level = 5 AND valid_to IS NULL
""")
DWELLINGS_SQL = sa.text("""
    SELECT ST_X(geom) AS x, ST_Y(geom) AS y, households, population FROM residences
    WHERE community_code = :c ORDER BY id
""")


@dataclass
class Part:
    geom: Polygon | MultiPolygon
    idx: np.ndarray  # indexes of the dwellings inside
    n: int  # grids still to cut it into


def _frame(lat0: float) -> tuple[float, float]:
    return M_PER_DEG * math.cos(math.radians(lat0)), M_PER_DEG


def _cut(
    part: Part, xy: np.ndarray, hh: np.ndarray, k: tuple[float, float], fallback: bool = True
) -> list[Part]:
    """Split ``part`` in two along its longer metric axis, households in proportion."""
    n1 = part.n // 2
    kx, ky = k
    rect = part.geom.minimum_rotated_rectangle
    cs = np.asarray(rect.exterior.coords)[:4] * [kx, ky]
    e1, e2 = cs[1] - cs[0], cs[2] - cs[1]
    axis = e1 if np.hypot(*e1) >= np.hypot(*e2) else e2
    u = axis / np.hypot(*axis)
    a, b = u[0] * kx, u[1] * ky  # s = a·lon + b·lat is metric position along the axis
    s_pts = xy[part.idx] @ np.array([a, b]) if len(part.idx) else np.empty(0)
    w = hh[part.idx].astype(float)
    bx = np.asarray(
        part.geom.exterior.coords
        if isinstance(part.geom, Polygon)
        else [c for g in part.geom.geoms for c in g.exterior.coords]
    )
    s_poly = bx @ np.array([a, b])
    lo_s, hi_s = float(s_poly.min()), float(s_poly.max())
    share = n1 / part.n
    if w.sum() > 0:
        order = np.argsort(s_pts, kind="stable")
        cum = np.cumsum(w[order]) / w.sum()
        j = int(np.searchsorted(cum, share))
        j = min(max(j, 0), len(order) - 1)
        left = s_pts[order[j]]
        right = s_pts[order[j + 1]] if j + 1 < len(order) else hi_s
        t = (left + right) / 2 if right > left else left + 1e-3
    else:
        t = lo_s + (hi_s - lo_s) * share
    t = min(max(t, lo_s + 1e-3), hi_s - 1e-3)
    norm2 = a * a + b * b
    c0 = np.asarray(part.geom.centroid.coords[0])
    p0 = c0 + np.array([a, b]) * (t - c0 @ np.array([a, b])) / norm2  # on the line, near c0
    v = np.array([-b, a]) / math.sqrt(norm2)
    reach = (np.ptp(bx[:, 0]) + np.ptp(bx[:, 1])) * 4 + 1
    line = LineString([p0 - v * reach, p0 + v * reach])
    pieces = [g for g in split(part.geom, line).geoms if g.area > 0]
    low: list[Polygon] = []
    high: list[Polygon] = []
    for g in pieces:
        rp = np.asarray(g.representative_point().coords[0])
        (low if rp @ np.array([a, b]) < t else high).append(g)
    if not low or not high:  # degenerate cut: cut by position instead of households
        if not fallback:
            raise Unprocessable("无法切分该社区 (cannot cut this community)", field="community")
        return _cut(part, xy, np.zeros(len(xy), dtype=np.int64), k, fallback=False)
    glow, ghigh = unary_union(low), unary_union(high)
    inside_low = s_pts < t
    return [
        Part(glow, part.idx[inside_low], n1),
        Part(ghigh, part.idx[~inside_low], part.n - n1),
    ]


def _polygons(g: Any) -> list[Polygon]:
    if isinstance(g, Polygon):
        return [g]
    return [p for p in getattr(g, "geoms", []) if isinstance(p, Polygon) and p.area > 0]


def _make_contiguous(geoms: list[Any]) -> list[Polygon | MultiPolygon]:
    """Give every stray piece of a multi-part grid to its longest-bordering neighbour."""
    parts = [_polygons(g) for g in geoms]
    for _ in range(5):
        moved = False
        for i, ps in enumerate(parts):
            if len(ps) <= 1:
                continue
            ps.sort(key=lambda p: p.area, reverse=True)
            for stray in ps[1:]:
                best, border = None, 0.0
                for j, qs in enumerate(parts):
                    if j == i:
                        continue
                    length = sum(stray.boundary.intersection(q.boundary).length for q in qs)
                    if length > border:
                        best, border = j, length
                if best is None:
                    continue
                parts[best] = _polygons(unary_union([*parts[best], stray]))
                ps.remove(stray)
                moved = True
        if not moved:
            break
    return [unary_union(ps) for ps in parts]  # an island with no neighbour stays multi-part


def _number(geoms: list[Any], k: tuple[float, float]) -> list[int]:
    """Order: rows from the north (row height ≈ a grid's side), west to east in a row."""
    kx, ky = k
    cents = np.array([g.centroid.coords[0] for g in geoms]) * [kx, ky]
    area = sum(g.area for g in geoms) * kx * ky
    h = math.sqrt(area / len(geoms))
    rows = np.floor((cents[:, 1].max() - cents[:, 1]) / h)
    return sorted(range(len(geoms)), key=lambda i: (rows[i], cents[i, 0]))


def _name_stem(bind: Session, community: str, fallback: str) -> str:
    name = bind.execute(
        sa.text(
            "SELECT name FROM grids WHERE community_code = :c ORDER BY valid_to NULLS FIRST, code "
            "LIMIT 1"
        ),
        {"c": community},
    ).scalar()
    if name and re.search(r"第\d+网格$", name):
        return re.sub(r"第\d+网格$", "", name)
    return fallback


def partition(
    bind: Session,
    *,
    community: str,
    grids: int | None = None,
    min_households: int = 300,
    max_households: int = 500,
) -> dict[str, Any]:
    """Compute (without writing) a partition of ``community`` into grids.

    Parameters
    ----------
    community
        The community's 12-digit code.
    grids
        How many grids (1…60); when ``None``, the count whose mean size is nearest the band
        (:func:`gis.spatial.balance.suggest_count`).
    min_households, max_households
        The target band.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection (``features`` with ``code``, ``name``, ``households``,
        ``population``, ``area_m2``, ``compactness`` = 4πA/P², ``contiguous``) plus
        ``community``, ``grids``, ``summary`` and a ``fingerprint`` of the geometry that
        :func:`apply_partition` can check.

    Raises
    ------
    InvalidInput
        Bad ``community`` code, ``grids`` or band.
    NotFound
        Unknown community.
    """
    if not (isinstance(community, str) and community.isdigit() and len(community) == 12):
        raise InvalidInput(
            f"社区代码应为 12 位数字 (community must be 12 digits): {community!r}",
            field="community",
        )
    lo, hi = band(min_households, max_households)
    row = bind.execute(COMMUNITY_SQL, {"c": community}).first()
    if row is None:
        raise NotFound(f"未知社区 (unknown community): {community}", field="community")
    geom = wkb.loads(bytes(row.wkb))
    dw = bind.execute(DWELLINGS_SQL, {"c": community}).all()
    xy = np.array([(d.x, d.y) for d in dw], dtype=np.float64).reshape(-1, 2)
    hh = np.array([d.households for d in dw], dtype=np.int64)
    pop = np.array([d.population for d in dw], dtype=np.int64)
    total = int(hh.sum())
    n = grids if grids is not None else suggest_count(total, lo, hi)
    params.int_in(n, field="grids", lo=1, hi=MAX_GRIDS)
    k = _frame(float(row.lat0))
    todo = [Part(geom, np.arange(len(xy)), n)]
    done: list[Part] = []
    while todo:
        part = todo.pop()
        if part.n == 1:
            done.append(part)
        else:
            todo.extend(_cut(part, xy, hh, k))
    geoms = _make_contiguous([p.geom for p in done])
    geoms = [g if g.is_valid else shapely.make_valid(g) for g in geoms]
    pts = shapely.points(xy) if len(xy) else np.empty(0, dtype=object)
    order = _number(geoms, k)
    stem = _name_stem(bind, community, row.name)
    features = []
    kx, ky = k
    for seq, i in enumerate(order, start=1):
        g = geoms[i]
        inside = shapely.covers(g, pts) if len(pts) else np.zeros(0, dtype=bool)
        area = g.area * kx * ky
        perim = sum(
            LineString(np.asarray(r.coords) * [kx, ky]).length
            for p in _polygons(g)
            for r in (p.exterior, *p.interiors)
        )
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(g),
                "properties": {
                    "code": f"{community}{seq:03d}",
                    "name": f"{stem}第{seq}网格",
                    "households": int(hh[inside].sum()),
                    "population": int(pop[inside].sum()),
                    "area_m2": round(area, 1),
                    "compactness": round(4 * math.pi * area / perim**2, 3) if perim else None,
                    "contiguous": isinstance(g, Polygon),
                },
            }
        )
    sizes = [f["properties"]["households"] for f in features]
    digest = hashlib.sha256(b"".join(shapely.to_wkb(geoms[i], output_dimension=2) for i in order))
    return {
        "type": "FeatureCollection",
        "community": {"code": community, "name": row.name, "households": total},
        "grids": n,
        "band": {"min_households": lo, "max_households": hi},
        "summary": {
            "min_households": min(sizes),
            "max_households": max(sizes),
            "within_band": sum(lo <= x <= hi for x in sizes),
            "all_contiguous": all(f["properties"]["contiguous"] for f in features),
        },
        "fingerprint": digest.hexdigest()[:16],
        "features": features,
    }
