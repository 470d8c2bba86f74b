"""Scorecard definitions and weights, read from ``data/scorecard*.csv`` (admins edit them)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from gis.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"
HEADINGS = ("cohesive", "capable", "service", "selfgov", "harmony")


@dataclass(frozen=True)
class Indicator:
    code: str
    heading: str
    name: str
    name_en: str
    definition: str
    source: str
    target: float
    weight: float


@dataclass(frozen=True)
class Heading:
    code: str
    name: str
    name_en: str
    weight: float


@dataclass(frozen=True)
class Scheme:
    """Indicators and headings with their weights."""

    indicators: tuple[Indicator, ...]
    headings: tuple[Heading, ...]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _weight(value: str, where: str) -> float:
    try:
        w = float(value)
    except ValueError:
        raise ValueError(f"{where}: weight {value!r} is not a number") from None
    if w < 0:
        raise ValueError(f"{where}: weight {w} is negative")
    return w


def load_scheme(indicators: Path | None = None, headings: Path | None = None) -> Scheme:
    """Read and check the scheme.

    Raises
    ------
    ValueError
        Naming the file and line of an unknown heading, a bad weight or target, or a
        heading whose indicator weights are all zero.
    """
    ipath = indicators or DATA_DIR / "scorecard.csv"
    hpath = headings or DATA_DIR / "scorecard_headings.csv"
    inds = []
    for i, r in enumerate(_rows(ipath), start=2):
        where = f"{ipath.name}:{i}"
        if r["heading"] not in HEADINGS:
            raise ValueError(f"{where}: unknown heading {r['heading']!r}; use {HEADINGS}")
        target = float(r["target"])
        if target <= 0:
            raise ValueError(f"{where}: target must be > 0")
        inds.append(
            Indicator(
                r["code"],
                r["heading"],
                r["name"],
                r["name_en"],
                r["definition"],
                r["source"],
                target,
                _weight(r["weight"], where),
            )
        )
    heads = [
        Heading(r["heading"], r["name"], r["name_en"], _weight(r["weight"], f"{hpath.name}:{i}"))
        for i, r in enumerate(_rows(hpath), start=2)
    ]
    if {h.code for h in heads} != set(HEADINGS):
        raise ValueError(f"{hpath.name}: needs exactly the headings {HEADINGS}")
    for h in HEADINGS:
        if sum(x.weight for x in inds if x.heading == h) <= 0:
            raise ValueError(f"{ipath.name}: heading {h} has no indicator with weight > 0")
    return Scheme(tuple(inds), tuple(heads))
