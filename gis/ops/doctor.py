"""``gridmap doctor``: one screen an operator can paste into a ticket.

Versions, effective settings (secrets masked), the database and PostGIS, schema revision,
durability settings, disk space and the age of the latest backup — and a list of problems.
Collecting never raises: what cannot be read is reported as such.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gis.ops.disk import human_bytes, usage
from gis.ops.pgtarget import mask_url
from gis.ops.settings import BackupSettings
from gis.settings import Settings

SECRET_WORDS = ("secret", "password", "token", "api_key", "apikey", "private")
PACKAGES = (
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "geoalchemy2",
    "alembic",
    "psycopg2-binary",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "prometheus-client",
)
Row = tuple[str, str]


@dataclass
class DoctorReport:
    """Sections of ``(key, value)`` rows, and the problems found."""

    sections: dict[str, list[Row]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def render(self) -> str:
        out = []
        for title, rows in self.sections.items():
            out.append(f"[{title}]")
            width = max((len(k) for k, _ in rows), default=0)
            out.extend(f"  {k.ljust(width)}  {v}" for k, v in rows)
        out.append("[问题 problems]")
        out.extend(f"  ! {p}" for p in self.problems) if self.problems else out.append(
            "  无 (none)"
        )
        return "\n".join(out)


def mask_settings(values: dict[str, Any]) -> dict[str, str]:
    """Settings as text, with secrets replaced by ``***`` and URL passwords masked."""
    out = {}
    for key, value in sorted(values.items()):
        text = "" if value is None else str(value)
        if any(w in key.lower() for w in SECRET_WORDS) and text:
            text = "***" + (" (default!)" if text == "change-me" else "")
        elif "url" in key.lower() and text:
            text = mask_url(text)
        out[key] = text
    return out


def _try(fn: Callable[[], Any], problems: list[str], label: str) -> Any:
    try:
        return fn()
    except Exception as exc:
        message = getattr(exc, "message", None) or str(exc).strip().splitlines()[0][:200]
        problems.append(f"{label}: {message}")
        return None


def _versions() -> list[Row]:
    rows = [("gridmap", _pkg("gridmap") or "0.1.0 (source tree)")]
    rows.append(("python", f"{platform.python_version()} ({sys.executable})"))
    rows.append(("platform", platform.platform()))
    rows.extend((p, _pkg(p) or "—") for p in PACKAGES)
    try:
        import pyogrio
        import pyproj
        import shapely

        rows.append(
            (
                "GDAL / GEOS / PROJ",
                f"{pyogrio.__gdal_version_string__} / {shapely.geos_version_string} / "
                f"{pyproj.proj_version_str}",
            )
        )
    except Exception:  # pragma: no cover - optional libraries
        pass
    return rows


def _pkg(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _database(engine: sa.Engine, problems: list[str]) -> list[Row]:
    from gis import migrate

    rows: list[Row] = []
    with engine.connect() as conn:
        q = lambda s: conn.execute(sa.text(s)).scalar()  # noqa: E731
        rows.append(("PostgreSQL", str(q("SHOW server_version"))))
        postgis = q("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        if postgis is None:
            problems.append("数据库没有 PostGIS 扩展 (no postgis extension)")
        else:
            rows.append(("PostGIS", str(q("SELECT postgis_full_version()"))[:160]))
        rows.append(
            ("size", human_bytes(int(q("SELECT pg_database_size(current_database())") or 0)))
        )
        rows.append(
            (
                "connections",
                f"{q('SELECT count(*) FROM pg_stat_activity')} / {q('SHOW max_connections')}",
            )
        )
        durability = {
            k: str(q(f"SHOW {k}")) for k in ("fsync", "synchronous_commit", "full_page_writes")
        }
        rows.append(("durability", ", ".join(f"{k}={v}" for k, v in durability.items())))
        if durability["fsync"] != "on" or durability["full_page_writes"] != "on":
            problems.append("fsync/full_page_writes 未开启: 断电会丢数据 (durability is off)")
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    rows.append(("schema", f"{current} (code head {head})"))
    pending = _try(lambda: migrate.pending(engine), problems, "schema")
    if pending:
        problems.append(
            f"有 {len(pending)} 个未应用的迁移 (migrations pending): gridmap db migrate"
        )
    return rows


def collect(settings: Settings, backup: BackupSettings) -> DoctorReport:
    """Gather the whole report; every failure becomes a line in ``problems``."""
    from gis.db import make_engine
    from gis.ops.log import backup_status

    report = DoctorReport()
    p = report.problems
    report.sections["版本 versions"] = _versions()
    masked = mask_settings(settings.model_dump())
    masked.update({f"backup.{k}": v for k, v in mask_settings(backup.model_dump()).items()})
    report.sections["设置 settings"] = list(masked.items())
    if settings.env == "production" and settings.secret_key == "change-me":
        p.append("GRIDMAP_SECRET_KEY 为默认值 (default secret key)")

    db_rows: list[Row] = []
    pg_data: Path | None = None
    if settings.database_url:
        url: str | None = settings.database_url
        db_rows.append(("url", mask_url(settings.database_url)))
    else:
        from gis.cluster import LocalCluster

        cluster = LocalCluster(settings.pg_dir)
        pg_data = cluster.data_dir
        running = _try(cluster.is_running, p, "local cluster")
        db_rows.append(
            ("local cluster", f"{cluster.data_dir} ({'running' if running else 'stopped'})")
        )
        url = _try(cluster.url, p, "local cluster") if cluster.exists() else None
        if not cluster.exists():
            p.append(f"本地数据库尚未初始化 (no local cluster at {cluster.root}): gridmap db start")
        elif not running:
            p.append("本地数据库未运行 (the local cluster is stopped): gridmap db start")
            url = None
    engine = make_engine(url, pool_size=1) if url else None
    if engine is not None:
        db_rows.extend(_try(lambda: _database(engine, p), p, "database") or [])
    report.sections["数据库 database"] = db_rows

    disk_rows: list[Row] = []
    places = {
        "var_dir": settings.var_dir,
        "media_dir": settings.media_dir,
        "backup_dir": backup.backup_dir(settings),
    }
    if pg_data is not None:
        places["pg_data"] = pg_data
    for label, path in places.items():
        u = usage(path)
        disk_rows.append((label, f"{path}: {human_bytes(u.free)} free of {human_bytes(u.total)}"))
        if u.free < backup.min_free_mb * 1024 * 1024:
            p.append(f"磁盘空间不足 (low disk space) at {path}: {human_bytes(u.free)} free")
    report.sections["磁盘 disk"] = disk_rows

    b_rows: list[Row] = []
    if engine is not None:
        st = _try(
            lambda: backup_status(engine=engine, stale_hours=backup.stale_hours), p, "backups"
        )
        if st:
            b_rows.append(("latest", f"{st['last_at'] or '—'} ({_age(st['age_seconds'])})"))
            if st["warning"]:
                p.append(str(st["warning"]))
        engine.dispose()
    bdir = backup.backup_dir(settings)
    files = sorted(bdir.glob("gridmap-*.tar")) if bdir.is_dir() else []
    b_rows.append(
        (
            "in backup_dir",
            f"{len(files)} files, {human_bytes(sum(f.stat().st_size for f in files))}",
        )
    )
    schedule = (
        "off"
        if not backup.interval_hours
        else f"every {backup.interval_hours:g} h, keep {backup.keep}"
    )
    b_rows.append(("schedule", schedule))
    report.sections["备份 backups"] = b_rows
    return report


def _age(seconds: object) -> str:
    if not isinstance(seconds, int | float):
        return "never"
    h = float(seconds) / 3600
    return f"{h:.1f} h ago" if h < 48 else f"{h / 24:.1f} days ago"
