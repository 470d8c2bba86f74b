"""CQL2 filters on exports, evaluated against the layer as the map catalogue shows it.

The filter reaches the export as a :class:`RowFilter`: the exported rows whose key is among
the catalogue rows matching it (its queryable properties, its source and its row rules).
``gis`` does not import ``layers``: ``layers.cql.export_filter`` compiles the filter with the
catalogue spec named by :data:`CATALOGUE` and calls :func:`catalogue_filter`. For boundary
layers the filter is evaluated on the current generation and selects by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from gis.errors import InvalidInput

# export layer → (catalogue layer, key column of the export's table, key in the catalogue)
CATALOGUE: dict[str, tuple[str, str, str]] = {
    "townships": ("townships", "code", "s.code"),
    "communities": ("communities", "code", "s.code"),
    "grids": ("grids", "code", "s.code"),
    "facilities": ("facilities", "id", "s.id"),
    "projects": ("construction_sites", "id", "s.id"),
    "cases": ("incidents", "id", "s.id"),
}


class CatalogueLayer(Protocol):
    """What :func:`catalogue_filter` reads of a catalogue spec (``layers.spec.LayerSpec``)."""

    @property
    def source(self) -> str: ...

    def row_filter(self, *, personal: bool) -> list[str]: ...


@dataclass(frozen=True)
class RowFilter:
    """A condition on the exported rows: SQL written from the catalogue (pyformat
    placeholders), with the filter's values as bound parameters."""

    sql: str
    params: dict[str, Any]


def catalogue_layer(layer: str) -> str:
    """The catalogue layer an export layer is filtered against (or InvalidInput ``layer``)."""
    if layer not in CATALOGUE:
        raise InvalidInput(
            f"不支持的图层 (unknown layer): {layer!r}; accepted: {', '.join(CATALOGUE)}",
            field="layer",
        )
    return CATALOGUE[layer][0]


def catalogue_filter(
    *,
    layer: str,
    spec: CatalogueLayer,
    condition: tuple[str, dict[str, Any]],
    personal: bool,
) -> RowFilter:
    """The export rows whose key is among the catalogue rows that match ``condition``.

    Parameters
    ----------
    layer
        The export layer (a key of :data:`CATALOGUE`).
    spec
        The catalogue spec :func:`catalogue_layer` names.
    condition
        The compiled CQL2 filter, ``layers.cql.to_sql(tree, spec=spec, personal=personal)``.
    personal
        Whether the caller sees personal data (the spec's rules for hidden rows apply).
    """
    catalogue_layer(layer)
    _, key, spec_key = CATALOGUE[layer]
    sql, params = condition
    conds = " AND ".join(f"({c})" for c in (*spec.row_filter(personal=personal), sql))
    return RowFilter(f"{key} IN (SELECT {spec_key} FROM {spec.source} s WHERE {conds})", params)
