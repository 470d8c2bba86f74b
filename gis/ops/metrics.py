"""Prometheus collectors read at scrape time: pool, cases by state, backup age, stats hooks.

Database-backed values are cached for a few seconds so that a busy scraper does not turn
into a ``count(*)`` storm on a million-row table.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

log = logging.getLogger("gridmap.ops.metrics")


class PoolCollector(Collector):
    """SQLAlchemy connection-pool usage of the app's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        pool: Any = self.engine.pool
        g = GaugeMetricFamily(
            "gridmap_db_pool_connections", "Database pool connections by state", labels=["state"]
        )
        for state, fn in (
            ("size", "size"),
            ("checked_out", "checkedout"),
            ("checked_in", "checkedin"),
            ("overflow", "overflow"),
        ):
            if hasattr(pool, fn):
                g.add_metric([state], float(getattr(pool, fn)()))
        yield g


class _Cached:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._at = 0.0
        self._value: Any = None
        self._lock = threading.Lock()

    def clear(self) -> None:
        self._at = 0.0

    def get(self, load: Callable[[], Any]) -> Any:
        with self._lock:
            if not self._at or time.monotonic() - self._at > self.ttl:
                self._value = load()
                self._at = time.monotonic()
            return self._value


class DatabaseCollector(Collector):
    """Cases by state and the age of the latest backup (cached ``ttl`` seconds)."""

    def __init__(self, engine: Engine, *, ttl: float = 15.0) -> None:
        self.engine = engine
        self.cache = _Cached(ttl)

    def _load(self) -> dict[str, Any]:
        out: dict[str, Any] = {"states": {}, "backup_at": None, "up": 0}
        try:
            with self.engine.connect() as conn:
                if conn.execute(sa.text("SELECT to_regclass('public.cases')")).scalar():
                    rows = conn.execute(
                        sa.text("SELECT state, count(*) FROM cases GROUP BY state")
                    ).all()
                    out["states"] = {str(s): int(n) for s, n in rows}
                if conn.execute(sa.text("SELECT to_regclass('public.ops_backups')")).scalar():
                    out["backup_at"] = conn.execute(
                        sa.text("SELECT extract(epoch FROM max(created_at)) FROM ops_backups")
                    ).scalar()
            out["up"] = 1
        except Exception as exc:
            log.warning("metrics: database not readable", extra={"error": str(exc)[:200]})
        return out

    def collect(self) -> Iterator[Metric]:
        from gis.models.cases import CASE_STATES

        data = self.cache.get(self._load)
        yield GaugeMetricFamily("gridmap_database_up", "Database reachable", value=data["up"])
        cases = GaugeMetricFamily("gridmap_cases", "Cases by workflow state", labels=["state"])
        for state in sorted(set(CASE_STATES) | set(data["states"])):
            cases.add_metric([state], float(data["states"].get(state, 0)))
        yield cases
        at = data["backup_at"]
        age = GaugeMetricFamily(
            "gridmap_backup_age_seconds",
            "Seconds since the latest backup (absent when there is none)",
        )
        if at is not None:
            age.add_metric([], max(0.0, time.time() - float(at)))
        yield age
        yield GaugeMetricFamily(
            "gridmap_backup_last_timestamp_seconds",
            "Unix time of the latest backup (0 when none)",
            value=float(at or 0),
        )


@dataclass
class StatsSource:
    """A ``stats()`` function another module publishes, and how its keys become metrics.

    ``counters`` and ``gauges`` map keys of the returned dict to ``(metric name, help)``;
    a bare number is taken as the value of the only gauge.
    """

    name: str
    resolve: Callable[[], Callable[[], Any] | None]
    counters: dict[str, tuple[str, str]] = field(default_factory=dict)
    gauges: dict[str, tuple[str, str]] = field(default_factory=dict)

    def read(self) -> dict[str, Any] | None:
        fn = self.resolve()
        if fn is None:
            return None
        try:
            stats = fn()
        except Exception as exc:
            log.warning(
                "metrics: stats source failed", extra={"source": self.name, "error": str(exc)[:200]}
            )
            return None
        if isinstance(stats, int | float) and len(self.gauges) == 1:
            stats = {next(iter(self.gauges)): stats}
        return stats if isinstance(stats, dict) else None


class StatsCollector(Collector):
    """Reads each :class:`StatsSource`; one absent is reported as ``source_up 0``."""

    def __init__(self, sources: list[StatsSource]) -> None:
        self.sources = sources

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "gridmap_metrics_source_up",
            "Whether a module's statistics could be read",
            labels=["source"],
        )
        found: list[Metric] = []
        for src in self.sources:
            stats = src.read()
            up.add_metric([src.name], 0.0 if stats is None else 1.0)
            if stats is None:
                continue
            for key, (name, doc) in src.counters.items():
                if key in stats:
                    found.append(CounterMetricFamily(name, doc, value=float(stats[key])))
            for key, (name, doc) in src.gauges.items():
                if key in stats:
                    found.append(GaugeMetricFamily(name, doc, value=float(stats[key])))
        yield up
        yield from found
