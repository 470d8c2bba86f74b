"""Fixtures for import/export tests: a committed-looking session and table fingerprints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.exchange.export import ExportQuery, export_layer
from gis.exchange.importer import ImportRequest, run_import
from gis.exchange.report import ImportReport

TABLES = (
    "admin_units",
    "grids",
    "residences",
    "facilities",
    "projects",
    "cases",
    "case_events",
    "import_runs",
)
# a community with several grids (朝阳山社区, 碾伯街道)
COMMUNITY = "630202001001"


def fingerprint(session: Session) -> dict[str, object]:
    """Row counts and a checksum of every table an import can touch."""
    out: dict[str, object] = {}
    for t in TABLES:
        out[t] = session.execute(
            sa.text(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {t} t"
            )
        ).one()
    return out


@pytest.fixture
def do_import(db: Session) -> Callable[..., ImportReport]:
    def run(layer: str, path: Path, **kw: object) -> ImportReport:
        return run_import(session=db, request=ImportRequest(layer=layer, path=path, **kw))  # type: ignore[arg-type]

    return run


@pytest.fixture
def do_export(db: Session, tmp_path: Path) -> Callable[..., Path]:
    def run(layer: str, fmt: str, **kw: object) -> Path:
        f = export_layer(session=db, query=ExportQuery(layer=layer, format=fmt, **kw))  # type: ignore[arg-type]
        p = tmp_path / f"{layer}-{fmt}-{len(list(tmp_path.iterdir()))}{Path(f.filename).suffix}"
        p.write_bytes(f.content)
        return p

    return run
