"""Shared bits of the spatial routers."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


def json_response(obj: Any) -> Response:
    """Encode with orjson (fast for the large batch and list answers)."""
    return Response(orjson.dumps(obj), media_type="application/json")
