"""``gridmap import`` / ``gridmap export`` as real processes against the test database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.gis.exchange.conftest import COMMUNITY
from tests.gis.test_cli import gridmap

BAD = Path(__file__).resolve().parents[2] / "data" / "bad"


def test_cli_export_dry_run_import_and_refusal(engine, pg_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": pg_url}
    out = tmp_path / "grids.gpkg"
    r = gridmap("export", "grids", "-o", str(out), "--community", COMMUNITY, env=env)
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 0 and "已导出" in r.stderr

    with engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT count(*) FROM import_runs")).scalar_one()
    r = gridmap("import", "grids", str(out), "--dry-run", env=env)
    assert r.returncode == 0, r.stderr
    assert "dry run, nothing written" in r.stderr

    r = gridmap("import", "grids", str(BAD / "overlapping_grids.geojson"), env=env)
    assert r.returncode == 1
    assert "overlaps row" in r.stderr and "nothing written" in r.stderr
    assert "Traceback" not in r.stderr

    r = gridmap("import", "grids", str(BAD / "truncated.zip"), env=env)
    assert r.returncode == 1 and "damaged or truncated" in r.stderr

    r = gridmap("export", "grids", "-o", str(tmp_path / "x.gpkg"), "--bbox", "1,2,3", env=env)
    assert r.returncode == 1 and "bbox" in r.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM import_runs")).scalar_one() == runs
