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


def get(layer_id: str) -> LayerSpec:
    try:
        return _LAYERS[layer_id]
    except KeyError:
        raise NotFound(
            f"图层不存在 (unknown layer): {layer_id!r}; known: {', '.join(sorted(_LAYERS))}",
            field="collectionId",
        ) from None


def all_layers() -> list[LayerSpec]:
    return list(_LAYERS.values())
