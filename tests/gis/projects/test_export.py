"""Export at the domain level: an empty register still makes valid files."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.projects.export import export_register, register_frame


def test_empty_register_exports(db: Session, tmp_path: Path) -> None:
    db.execute(sa.text("DELETE FROM projects"))  # rolled back with the test
    day = date(2026, 11, 26)
    assert len(register_frame(session=db, today=day, personal=False)) == 0
    data, _, _ = export_register(session=db, today=day, fmt="csv", personal=False)
    df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(df) == 0 and {"id", "lon", "lat", "status"} <= set(df.columns)
    data, _, _ = export_register(session=db, today=day, fmt="gpkg", personal=False)
    (tmp_path / "e.gpkg").write_bytes(data)
    assert len(gpd.read_file(tmp_path / "e.gpkg", layer="projects")) == 0
