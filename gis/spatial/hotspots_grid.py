"""DBSCAN for many cases: the same clustering on cases binned to a fine lattice.

With hundreds of thousands of cases in a dense town, point DBSCAN spends its time on
neighbourhoods of thousands of points. Here cases are first counted per lattice cell of
side ``eps / 3`` in EPSG:4543 (projected with pyproj in one call) (each case moves to its cell centre, by at most
``eps / 4.2``); a cell is *core* when the cases in the cells whose centres lie within
``eps`` number at least ``min_points``; core cells within ``eps`` of each other are joined
by ``ST_ClusterDBSCAN`` (``minpoints := 1``) in PostGIS; non-core cells within ``eps`` of a
core cell join the nearest one's cluster (DBSCAN's border points). Exact point DBSCAN is
used below :data:`gis.spatial.hotspots.EXACT_MAX` cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from pyproj import Transformer
from shapely.geometry import Polygon
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

#: All the window's case points as one WKB multipoint: projecting them in one pyproj call is
#: far cheaper than ``ST_Transform`` row by row.
POINTS_SQL = """
    SELECT ST_AsBinary(ST_Collect(c.geom)) FROM cases c
    WHERE c.reported_at >= :start AND c.reported_at < :end
      AND c.state NOT IN ('cancelled', 'merged') {where}
"""
TO_4543 = Transformer.from_crs(4326, 4543, always_xy=True)
COMPONENTS_SQL = sa.text("""
    SELECT p.k, ST_ClusterDBSCAN(ST_SetSRID(ST_Point(p.x, p.y), 4543), eps := :eps, minpoints := 1)
               OVER () AS cid
    FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS p(x, y, k)
""")


@dataclass
class Cells:
    """Case counts on the lattice: integer cell indexes and counts."""

    ij: np.ndarray  # (n, 2) int
    n: np.ndarray  # (n,) int
    cell: float

    def centres(self, rows: np.ndarray | None = None) -> np.ndarray:
        ij = self.ij if rows is None else self.ij[rows]
        return (ij + 0.5) * self.cell


def bin_cases(bind: Session | Connection, p: dict[str, Any], where: str, cell: float) -> Cells:
    blob = bind.execute(sa.text(POINTS_SQL.format(where=where)), p).scalar()
    if blob is None:
        return Cells(np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64), cell)
    lonlat = shapely.get_coordinates(shapely.from_wkb(bytes(blob)))
    x, y = TO_4543.transform(lonlat[:, 0], lonlat[:, 1])
    i = np.floor(np.asarray(x) / cell).astype(np.int64)
    j = np.floor(np.asarray(y) / cell).astype(np.int64)
    i0, j0 = i.min(), j.min()
    width = int(j.max() - j0 + 1)
    keys, n = np.unique((i - i0) * width + (j - j0), return_counts=True)
    ij = np.column_stack([keys // width + i0, keys % width + j0])
    return Cells(ij, n.astype(np.int64), cell)


def _offsets(eps: float, cell: float) -> list[tuple[int, int]]:
    r = int(np.floor(eps / cell))
    return [
        (di, dj)
        for di in range(-r, r + 1)
        for dj in range(-r, r + 1)
        if (di * di + dj * dj) * cell * cell <= eps * eps
    ]


def clusters(
    bind: Session | Connection, cells: Cells, *, eps: float, min_points: int, limit: int
) -> list[dict[str, Any]]:
    """The ``limit`` biggest DBSCAN clusters of binned cases, biggest first: ``count``,
    ``poly`` (EPSG:4543) and ``rows`` (member cells)."""
    if not len(cells.n):
        return []
    lo = cells.ij.min(axis=0)
    idx = cells.ij - lo
    shape = idx.max(axis=0) + 1
    grid = np.zeros(shape, dtype=np.int64)
    grid[idx[:, 0], idx[:, 1]] = cells.n
    offs = _offsets(eps, cells.cell)
    r = max(max(abs(a), abs(b)) for a, b in offs)
    padded = np.pad(grid, r)
    density = np.zeros_like(grid)
    for di, dj in offs:
        density += padded[r + di : r + di + shape[0], r + dj : r + dj + shape[1]]
    core = density[idx[:, 0], idx[:, 1]] >= min_points
    core_rows = np.flatnonzero(core)
    if not len(core_rows):
        return []
    xy = cells.centres(core_rows)
    cid = np.full(len(cells.n), -1, dtype=np.int64)
    for k, c in bind.execute(
        COMPONENTS_SQL, {"xs": xy[:, 0].tolist(), "ys": xy[:, 1].tolist(), "eps": eps}
    ):
        cid[core_rows[k - 1]] = c
    # border cells: the nearest core cell within eps lends its cluster
    core_grid = np.full(shape, -1, dtype=np.int64)
    core_grid[idx[core_rows, 0], idx[core_rows, 1]] = cid[core_rows]
    padded_core = np.pad(core_grid, r, constant_values=-1)
    border = np.flatnonzero(~core)
    for di, dj in sorted(offs, key=lambda o: o[0] * o[0] + o[1] * o[1]):
        if not len(border):
            break
        c = padded_core[r + idx[border, 0] + di, r + idx[border, 1] + dj]
        got = c >= 0
        cid[border[got]] = c[got]
        border = border[~got]
    member = np.flatnonzero(cid >= 0)
    _, inv = np.unique(cid[member], return_inverse=True)
    sizes = np.bincount(inv, weights=cells.n[member]).astype(np.int64)
    out = []
    for k in np.argsort(-sizes, kind="stable")[:limit]:
        rows = member[inv == k]
        hull = shapely.convex_hull(shapely.multipoints(cells.centres(rows)))
        poly = hull.buffer(eps / 2 + cells.cell / 2, 8)
        out.append({"count": int(sizes[k]), "poly": poly, "rows": rows})
    return out


def count_in(polys: list[Polygon], cells: Cells) -> list[int]:
    """Cases of ``cells`` whose cell centre lies in each polygon (EPSG:4543)."""
    if not len(cells.n) or not polys:
        return [0] * len(polys)
    tree = shapely.STRtree(shapely.points(cells.centres()))
    out = []
    for poly in polys:
        hit = tree.query(poly, predicate="intersects")
        out.append(int(cells.n[hit].sum()))
    return out
