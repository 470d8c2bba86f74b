"""Every map layer of the platform, one module per layer, registered on import.

Adding a layer is adding one module here (and its name to ``LAYER_MODULES``).
"""

from __future__ import annotations

from importlib import import_module

LAYER_MODULES = (
    "townships",
    "communities",
    "grids",
    "facilities",
    "construction_sites",
    "incidents",
    "incident_density",
)

for _name in LAYER_MODULES:
    import_module(f"layers.catalog.{_name}")
