"""DBSCAN for many cases: the same clustering on cases binned to a fine lattice.

With hundreds of thousands of cases in a dense town, point DBSCAN spends its time on
neighbourhoods of thousands of points. Here cases are first counted per lattice cell of
side ``eps / 3`` in EPSG:4543 — both periods read in one scan and projected with pyproj in
one call — so each case moves to its cell centre by at most ``eps / 4.2``; a cell is *core*
when the cases in the cells whose centres lie within ``eps`` number at least
``min_points``; core cells within ``eps`` of each other are joined by ``ST_ClusterDBSCAN``
(``minpoints := 1``) in PostGIS; non-core cells within ``eps`` of a core cell join the
nearest one's cluster (DBSCAN's border points). Exact point DBSCAN is used below
:data:`gis.spatial.hotspots.EXACT_MAX` cases.
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

from gis.spatial.locate import multipoint_wkb

#: The case points of the window and of the previous one in one scan, each period as raw
#: big-endian float8 x/y pairs (``float8send``): no geometry aggregate to build, nothing to
#: parse on arrival, and projecting them with pyproj in one call is far cheaper than
#: ``ST_Transform`` row by row.
PERIODS_SQL = """
    SELECT string_agg(float8send(ST_X(c.geom)) || float8send(ST_Y(c.geom)), ''::bytea)
               FILTER (WHERE c.reported_at >= :start) AS current,
           string_agg(float8send(ST_X(c.geom)) || float8send(ST_Y(c.geom)), ''::bytea)
               FILTER (WHERE c.reported_at < :start) AS previous
    FROM cases c
    WHERE c.reported_at >= :pstart AND c.reported_at < :end
      AND c.state NOT IN ('cancelled', 'merged') {where}
"""
TO_4543 = Transformer.from_crs(4326, 4543, always_xy=True)
#: Core cells travel as one WKB multipoint (no float-array literal for the planner to parse)
#: and their cluster ids come back as one array, in input order.
COMPONENTS_SQL = sa.text("""
    SELECT array_agg(cid ORDER BY k) FROM (
        SELECT d.path[1] AS k,
               ST_ClusterDBSCAN(d.geom, eps := :eps, minpoints := 1) OVER () AS cid
        FROM ST_Dump(ST_GeomFromWKB(:wkb, 4543)) d
    ) x
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


def bin_periods(
    bind: Session | Connection, p: dict[str, Any], where: str, cell: float
) -> tuple[Cells, Cells]:
    """Case counts on the lattice for ``[start, end)`` and for ``[pstart, start)``.

    Parameters
    ----------
    p
        Bound parameters: ``start``, ``end``, ``pstart`` (``pstart = start`` for no
        previous period) and those of ``where``.
    where
        Extra conditions on ``cases c`` (from constants).
    cell
        Lattice spacing in metres (EPSG:4543).
    """
    current, previous = bind.execute(sa.text(PERIODS_SQL.format(where=where)), p).one()
    return _bin(current, cell), _bin(previous, cell)


def _bin(blob: bytes | memoryview | None, cell: float) -> Cells:
    if not blob:
        return Cells(np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64), cell)
    lonlat = np.frombuffer(bytes(blob), dtype=">f8").reshape(-1, 2)
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


def _density(idx: np.ndarray, n: np.ndarray, offs: list[tuple[int, int]]) -> np.ndarray:
    """Cases within ``eps`` of each occupied cell: the stencil summed row by row from prefix
    sums along the rows (one cumulative sum and two slices per stencil row)."""
    r = max(max(abs(a), abs(b)) for a, b in offs)
    half = {di: max(dj for a, dj in offs if a == di) for di, _ in offs}
    shape = idx.max(axis=0) + 1
    grid = np.zeros((shape[0] + 2 * r, shape[1] + 2 * r + 1), dtype=np.int32)
    grid[idx[:, 0] + r, idx[:, 1] + r + 1] = n
    prefix = np.cumsum(grid, axis=1, dtype=np.int32)
    del grid
    density = np.zeros(len(n), dtype=np.int64)
    for di, w in half.items():
        rows = idx[:, 0] + r + di
        density += prefix[rows, idx[:, 1] + r + w + 1]
        density -= prefix[rows, idx[:, 1] + r - w]
    return density


def clusters(
    bind: Session | Connection, cells: Cells, *, eps: float, min_points: int, limit: int
) -> list[dict[str, Any]]:
    """The ``limit`` biggest DBSCAN clusters of binned cases, biggest first: ``count``,
    ``poly`` (EPSG:4543) and ``rows`` (member cells)."""
    if not len(cells.n):
        return []
    idx = cells.ij - cells.ij.min(axis=0)
    offs = _offsets(eps, cells.cell)
    r = max(max(abs(a), abs(b)) for a, b in offs)
    core = _density(idx, cells.n, offs) >= min_points
    core_rows = np.flatnonzero(core)
    if not len(core_rows):
        return []
    xy = cells.centres(core_rows)
    cid = np.full(len(cells.n), -1, dtype=np.int64)
    wkb = multipoint_wkb(xy[:, 0], xy[:, 1])
    cid[core_rows] = bind.execute(COMPONENTS_SQL, {"wkb": wkb, "eps": eps}).scalar_one()
    # border cells: the nearest core cell within eps lends its cluster
    shape = idx.max(axis=0) + 1 + 2 * r
    core_grid = np.full(shape, -1, dtype=np.int32)
    core_grid[idx[core_rows, 0] + r, idx[core_rows, 1] + r] = cid[core_rows]
    border = np.flatnonzero(~core)
    for di, dj in sorted(offs, key=lambda o: o[0] * o[0] + o[1] * o[1]):
        if not len(border):
            break
        c = core_grid[r + idx[border, 0] + di, r + idx[border, 1] + dj]
        got = c >= 0
        cid[border[got]] = c[got]
        border = border[~got]
    member = np.flatnonzero(cid >= 0)
    _, inv = np.unique(cid[member], return_inverse=True)
    sizes = np.bincount(inv, weights=cells.n[member]).astype(np.int64)
    order = np.argsort(inv, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(inv))])
    out = []
    for k in np.argsort(-sizes, kind="stable")[:limit]:
        rows = member[order[starts[k] : starts[k + 1]]]
        hull = shapely.convex_hull(shapely.multipoints(cells.centres(rows)))
        poly = hull.buffer(eps / 2 + cells.cell / 2, 8)
        out.append({"count": int(sizes[k]), "poly": poly, "rows": rows})
    return out


def count_in(polys: list[Polygon], cells: Cells) -> list[int]:
    """Cases of ``cells`` whose cell centre lies in each polygon (EPSG:4543)."""
    if not len(cells.n) or not polys:
        return [0] * len(polys)
    xy = cells.centres()
    out = []
    for poly in polys:
        x0, y0, x1, y1 = poly.bounds
        near = np.flatnonzero(
            (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        )
        inside = shapely.intersects_xy(poly, xy[near, 0], xy[near, 1])
        out.append(int(cells.n[near[inside]].sum()))
    return out
