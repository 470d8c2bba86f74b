"""Fixtures of the layer tests."""

from __future__ import annotations

import mapbox_vector_tile
import pytest

LEDU_BBOX = (102.0993, 36.2055, 102.7932, 36.8524)
LEDU_TOWN = (102.402, 36.483)  # 碾伯, the district seat


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data)


@pytest.fixture
def personal_headers() -> dict[str, str]:
    return {"X-Gridmap-User": "zhang", "X-Gridmap-Role": "commander"}
