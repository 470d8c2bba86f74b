# ruff: noqa: F811  (the scratch fixture is imported from tests.auth_fixtures)
"""Property-based fuzzing of every operation in ``/openapi.json`` (schemathesis): whatever
the input, the server answers without a 5xx.

Runs against a live server on a scratch database, as an admin (the caller who reaches the most
code). Deterministic (``derandomize``) and bounded: ``EXAMPLES`` cases per operation.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.auth_fixtures import Scratch, scratch  # noqa: F401  (fixture)

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

EXAMPLES = int(os.environ.get("GRIDMAP_FUZZ_EXAMPLES", "6"))
ADMIN = {"X-Gridmap-User": "fuzz-admin", "X-Gridmap-Role": "admin"}


def _streams(operation) -> bool:  # type: ignore[no-untyped-def]
    """Server-sent event streams never end: they are left to their own tests."""
    responses = operation.definition.raw.get("responses", {})
    declared = any("text/event-stream" in (r or {}).get("content", {}) for r in responses.values())
    return declared or operation.path.rstrip("/").endswith(("/stream", "/sse"))


def _fuzz(operation, url: str, failures: list[str]) -> None:  # type: ignore[no-untyped-def]
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:  # type: ignore[no-untyped-def]
        status = case.call(base_url=url, headers=ADMIN, timeout=30).status_code
        if status >= 500:
            failures.append(f"{label} → {status}: {case.as_curl_command()[:400]}")

    run()


@pytest.mark.slow
def test_no_server_errors(scratch: Scratch) -> None:
    schema = schemathesis.openapi.from_url(f"{scratch.url}/openapi.json")
    failures: list[str] = []
    ran = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if not _streams(operation):
            _fuzz(operation, scratch.url, failures)
            ran += 1
    elapsed = time.monotonic() - started
    print(f"fuzzed {ran} operations × {EXAMPLES} examples in {elapsed:.1f} s")
    assert ran, "no operations found in /openapi.json"
    assert not failures, "server errors:\n  " + "\n  ".join(dict.fromkeys(failures))
