"""The registry of layers: adding a layer is registering one spec."""

from __future__ import annotations

from gis.errors import NotFound
from layers.spec import LayerSpec

_LAYERS: dict[str, LayerSpec] = {}


def register(spec: LayerSpec) -> LayerSpec:
    if spec.id in _LAYERS:
        raise ValueError(f"layer {spec.id!r} registered twice")
    _LAYERS[spec.id] = spec
    return spec


def _load_catalog() -> None:
    import layers.catalog  # noqa: F401  (registers every layer on first import)


def get(layer_id: str, *, field: str = "collectionId") -> LayerSpec:
    """The spec of ``layer_id``.

    Raises
    ------
    NotFound
        No such layer; the error names ``field`` (the request parameter that carried it).
    """
    _load_catalog()
    try:
        return _LAYERS[layer_id]
    except KeyError:
        shown = layer_id if len(layer_id) <= 60 else layer_id[:60] + "…"
        raise NotFound(
            f"图层不存在 (unknown layer): {shown!r}; known: {', '.join(sorted(_LAYERS))}",
            field=field,
        ) from None


def all_layers() -> list[LayerSpec]:
    _load_catalog()
    return list(_LAYERS.values())
