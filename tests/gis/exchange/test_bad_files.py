"""The broken-file corpus: every file is refused with the right message and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gis.errors import GridmapError, TooLarge
from tests.gis.exchange.conftest import fingerprint

BAD = Path(__file__).resolve().parents[2] / "data" / "bad"
MANIFEST = json.loads((BAD / "manifest.json").read_text(encoding="utf-8"))


def test_corpus_is_big_enough() -> None:
    assert len(MANIFEST) >= 20
    assert all((BAD / name).exists() for name in MANIFEST)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_bad_file_refused(db, do_import, name: str) -> None:
    case = dict(MANIFEST[name])
    layer, expect, note = case.pop("layer"), case.pop("expect"), case.pop("note", None)
    before = fingerprint(db)
    try:
        report = do_import(layer, BAD / name, **case)
    except GridmapError as exc:
        assert expect in exc.message, exc.message
        assert exc.field, "the error names the offending input"
    else:
        assert not report.ok and not report.committed
        messages = [p.problem for p in report.errors]
        assert any(expect in m for m in messages), messages
        assert all(p.row is not None or p.field for p in report.errors)
        if note:
            assert any(note in n for n in report.notes), report.notes
    assert fingerprint(db) == before


def test_fifty_megabyte_file_refused(db, do_import, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    line = "名称,类型,经度,纬度\n" + "服务站,service_station,102.4,36.48\n" * 10
    with big.open("w", encoding="utf-8") as f:
        while f.tell() < 50 * 2**20:
            f.write(line * 1000)
    before = fingerprint(db)
    with pytest.raises(TooLarge, match="file too large"):
        do_import("facilities", big)
    assert fingerprint(db) == before
