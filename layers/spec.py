"""What a map layer is: a declarative spec the tile, feature and report code all read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["features", "incidents", "density"]


@dataclass(frozen=True)
class Prop:
    """A property exposed by a layer: a column (or SQL expression written here, in code)."""

    name: str
    sql: str | None = None  # expression over the source alias ``s``; defaults to ``s.<name>``
    type: str = "string"  # string | integer | number | boolean | datetime | date
    title: str = ""
    personal: bool = False  # names, phones … only for roles that need them
    queryable: bool = True
    in_tiles: bool = True  # carried in vector tiles (GeoJSON items carry every property)

    @property
    def expr(self) -> str:
        return self.sql or f"s.{self.name}"


@dataclass(frozen=True)
class LegendEntry:
    """One line of a legend: a label (Chinese), its colour and, optionally, the value."""

    label: str
    color: str
    value: str | None = None
    symbol: str = "fill"  # fill | line | circle | square


@dataclass(frozen=True)
class LayerSpec:
    """One map layer. Table, column and expression text come only from code, never requests.

    ``source`` is a table name or a parenthesised sub-query, read under the alias ``s``;
    ``sources`` names the tables whose changes invalidate the layer's cached tiles.
    """

    id: str
    title: str
    title_en: str
    source: str  # table name or a parenthesised sub-query written in code
    geometry_type: str  # Point | MultiPolygon …
    properties: tuple[Prop, ...]
    geom_column: str = "geom"
    id_column: str = "id"
    where: str | None = None  # static SQL condition
    datetime_column: str | None = None
    minzoom: int = 0
    maxzoom: int = 22
    cluster_below: int | None = None  # incidents: clusters below this zoom, whatever the count
    tiles_only: bool = False
    roles: frozenset[str] | None = None  # None: public
    boundary_source: str | None = None  # 'illustrative' is said in the legend
    style: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    kind: Kind = "features"
    sources: tuple[str, ...] = ()  # tables whose data versions key the tile cache
    simplify: float = 0.0  # tolerance in tile units (of 4096) applied before encoding
    sensitive_where: str | None = None  # rows matching it are hidden from non-personal callers
    anonymous_snap: float | None = None  # degrees: coarsen point locations for such callers
    max_points: int = 4000  # incidents: above this many points in a tile, clusters are served
    legend: tuple[LegendEntry, ...] = ()
    label: str | None = None  # property shown as the map label

    def prop(self, name: str) -> Prop | None:
        for p in self.properties:
            if p.name == name:
                return p
        return None

    def visible_properties(self, *, personal: bool) -> tuple[Prop, ...]:
        """The properties a caller may see (personal ones only when ``personal``)."""
        return tuple(p for p in self.properties if personal or not p.personal)

    def geom_expr(self, *, personal: bool) -> str:
        """The geometry expression for a caller (coarsened points for the public)."""
        g = f"s.{self.geom_column}"
        if self.anonymous_snap and not personal:
            return f"ST_SnapToGrid({g}, {float(self.anonymous_snap)!r})"
        return g

    def row_filter(self, *, personal: bool) -> list[str]:
        """Static SQL conditions for a caller."""
        out = [self.where] if self.where else []
        if self.sensitive_where and not personal:
            out.append(f"NOT ({self.sensitive_where})")
        return out
