"""What a map layer is: a declarative spec the tile, feature and report code all read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Prop:
    """A property exposed by a layer: a column (or SQL expression written here, in code)."""

    name: str
    sql: str | None = None  # expression; defaults to the column of the same name
    type: str = "string"  # string | integer | number | boolean | datetime
    title: str = ""
    personal: bool = False  # names, phones … only for roles that need them
    queryable: bool = True

    @property
    def expr(self) -> str:
        return self.sql or self.name


@dataclass(frozen=True)
class LayerSpec:
    """One map layer. Table, column and expression text come only from code, never requests."""

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
    cluster_below: int | None = None  # cluster points below this zoom
    tiles_only: bool = False
    roles: frozenset[str] | None = None  # None: public
    boundary_source: str | None = None  # 'illustrative' is said in the legend
    style: dict[str, Any] = field(default_factory=dict)
    description: str = ""
