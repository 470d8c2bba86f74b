"""Case categories (大类 / 小类) and handling departments.

The taxonomy lives in ``data/categories.csv`` and ``data/departments.csv``. Both files
are read once, checked, and turned into frozen dataclasses. Any bad row raises
:class:`ValueError` naming the file, the line and the offending value, so a broken
data file is refused at start-up rather than half-loaded.

Examples
--------
>>> cats = load_categories()
>>> cats["0503"].name, cats["0503"].parent_code, cats["0503"].sla_hours
('燃气管道破裂', '05', 2.0)
>>> cats["0503"].is_emergency
True
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "DEFAULT_CATEGORIES_PATH",
    "DEFAULT_DEPARTMENTS_PATH",
    "DEPARTMENT_KINDS",
    "EMERGENCY_CLASS",
    "Category",
    "Department",
    "children",
    "load_categories",
    "load_departments",
]

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULT_CATEGORIES_PATH = DATA_DIR / "categories.csv"
DEFAULT_DEPARTMENTS_PATH = DATA_DIR / "departments.csv"

#: The 大类 whose cases are emergencies (short SLA, may run on calendar hours).
EMERGENCY_CLASS = "05"
#: Accepted values of ``departments.csv:kind``.
DEPARTMENT_KINDS = frozenset({"bureau", "utility", "subdistrict"})

_CATEGORY_COLUMNS = (
    "code",
    "parent_code",
    "level",
    "name",
    "name_en",
    "sla_hours",
    "sensitive",
    "default_department",
)
_DEPARTMENT_COLUMNS = ("code", "name", "name_en", "kind")
_DEPARTMENT_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
_CODE_BY_LEVEL = {1: re.compile(r"^\d{2}$"), 2: re.compile(r"^\d{4}$")}
_BOOLS = {"true": True, "false": False}


@dataclass(frozen=True, slots=True)
class Department:
    """A department that cases can be dispatched to (处置部门).

    Attributes
    ----------
    code : str
        Short ASCII key, e.g. ``"cityadmin"``.
    name, name_en : str
        Chinese and English display names.
    kind : {"bureau", "utility", "subdistrict"}
        Government bureau, public utility company or subdistrict office.
    """

    code: str
    name: str
    name_en: str
    kind: str


@dataclass(frozen=True, slots=True)
class Category:
    """One case category: a 大类 (level 1) or a 小类 (level 2).

    Attributes
    ----------
    code : str
        Two digits for a 大类, four for a 小类 (which start with the 大类 code).
    parent_code : str or None
        The 大类 code of a 小类; ``None`` for a 大类.
    level : {1, 2}
        1 = 大类, 2 = 小类.
    name, name_en : str
        Chinese and English display names.
    sla_hours : float
        Handling time limit in working hours, counted from dispatch.
    sensitive : bool
        Cases of this category concern personal information (special populations,
        minors, informants) and are never shown in public views.
    default_department : str
        Code of the department cases are dispatched to by default.
    """

    code: str
    parent_code: str | None
    level: Literal[1, 2]
    name: str
    name_en: str
    sla_hours: float
    sensitive: bool
    default_department: str

    @property
    def major_code(self) -> str:
        """The 大类 code (the category's own code for a 大类)."""
        return self.code[:2]

    @property
    def is_emergency(self) -> bool:
        """Whether the category belongs to the 突发事件 (emergency) 大类."""
        return self.major_code == EMERGENCY_CLASS


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` from a UTF-8 CSV file, checking its header."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        for row in reader:
            if not any((v or "").strip() for v in row.values()):
                continue
            yield reader.line_num, {k: (row.get(k) or "").strip() for k in columns}


def load_departments(path: Path | None = None) -> dict[str, Department]:
    """Load and check the department list.

    Parameters
    ----------
    path : Path, optional
        CSV with columns ``code,name,name_en,kind``; defaults to
        ``data/departments.csv``.

    Returns
    -------
    dict of str to Department
        Keyed by department code, in file order.

    Raises
    ------
    ValueError
        On a bad code, a duplicate code, an empty name or an unknown kind; the message
        names the file, line and value.
    """
    path = Path(path) if path is not None else DEFAULT_DEPARTMENTS_PATH
    out: dict[str, Department] = {}
    for line, row in _rows(path, _DEPARTMENT_COLUMNS):
        where = f"{path}:{line}"
        code = row["code"]
        if not _DEPARTMENT_CODE.match(code):
            raise ValueError(f"{where}: bad department code {code!r} (lowercase ASCII key)")
        if code in out:
            raise ValueError(f"{where}: duplicate department code {code!r}")
        if not row["name"] or not row["name_en"]:
            raise ValueError(f"{where}: department {code!r} needs name and name_en")
        if row["kind"] not in DEPARTMENT_KINDS:
            raise ValueError(
                f"{where}: department {code!r} has unknown kind {row['kind']!r} "
                f"(expected one of {', '.join(sorted(DEPARTMENT_KINDS))})"
            )
        out[code] = Department(code, row["name"], row["name_en"], row["kind"])
    return out


def _parse_category(where: str, row: dict[str, str]) -> Category:
    code = row["code"]
    try:
        level = int(row["level"])
    except ValueError:
        raise ValueError(f"{where}: category {code!r} has bad level {row['level']!r}") from None
    if level not in _CODE_BY_LEVEL:
        raise ValueError(f"{where}: category {code!r} has level {level}, expected 1 or 2")
    if not _CODE_BY_LEVEL[level].match(code):
        digits = 2 if level == 1 else 4
        raise ValueError(
            f"{where}: bad category code {code!r} (level {level} needs {digits} digits)"
        )
    parent = row["parent_code"] or None
    if level == 1 and parent is not None:
        raise ValueError(f"{where}: 大类 {code!r} must not have a parent (got {parent!r})")
    if level == 2 and parent is None:
        raise ValueError(f"{where}: 小类 {code!r} has no parent_code")
    try:
        sla = float(row["sla_hours"])
    except ValueError:
        raise ValueError(
            f"{where}: category {code!r} has bad sla_hours {row['sla_hours']!r}"
        ) from None
    if not math.isfinite(sla) or sla <= 0:
        raise ValueError(f"{where}: category {code!r} needs a positive sla_hours, got {sla!r}")
    sensitive = _BOOLS.get(row["sensitive"].lower())
    if sensitive is None:
        raise ValueError(
            f"{where}: category {code!r} has bad sensitive {row['sensitive']!r} (true/false)"
        )
    if not row["name"] or not row["name_en"]:
        raise ValueError(f"{where}: category {code!r} needs name and name_en")
    return Category(
        code=code,
        parent_code=parent,
        level=1 if level == 1 else 2,
        name=row["name"],
        name_en=row["name_en"],
        sla_hours=sla,
        sensitive=sensitive,
        default_department=row["default_department"],
    )


def load_categories(
    path: Path | None = None,
    *,
    departments: Mapping[str, Department] | None = None,
) -> dict[str, Category]:
    """Load and check the case category taxonomy.

    Parameters
    ----------
    path : Path, optional
        CSV with columns ``code,parent_code,level,name,name_en,sla_hours,sensitive,
        default_department``; defaults to ``data/categories.csv``.
    departments : mapping, optional
        Known departments for checking ``default_department``; defaults to
        :func:`load_departments` on the shipped file.

    Returns
    -------
    dict of str to Category
        Keyed by code, in file order (each 大类 followed by its 小类).

    Raises
    ------
    ValueError
        On a bad code format, a duplicate code, a 小类 whose parent is missing or whose
        code does not start with the parent's, a non-positive SLA, a bad ``sensitive``
        flag, a 小类 of a sensitive 大类 not marked sensitive, or an unknown department.
        The message names the file, line and value.

    Examples
    --------
    >>> cats = load_categories()
    >>> sorted(c.code for c in cats.values() if c.level == 1)[:3]
    ['01', '02', '03']
    >>> cats["0801"].sensitive
    True
    """
    path = Path(path) if path is not None else DEFAULT_CATEGORIES_PATH
    depts = departments if departments is not None else load_departments()
    out: dict[str, Category] = {}
    lines: dict[str, int] = {}
    for line, row in _rows(path, _CATEGORY_COLUMNS):
        where = f"{path}:{line}"
        cat = _parse_category(where, row)
        if cat.code in out:
            raise ValueError(
                f"{where}: duplicate category code {cat.code!r} (first on line {lines[cat.code]})"
            )
        if cat.default_department not in depts:
            raise ValueError(
                f"{where}: category {cat.code!r} has unknown default_department "
                f"{cat.default_department!r}"
            )
        out[cat.code] = cat
        lines[cat.code] = line
    for cat in out.values():
        if cat.parent_code is None:
            continue
        where = f"{path}:{lines[cat.code]}"
        parent = out.get(cat.parent_code)
        if parent is None or parent.level != 1:
            raise ValueError(f"{where}: 小类 {cat.code!r} has missing parent {cat.parent_code!r}")
        if not cat.code.startswith(cat.parent_code):
            raise ValueError(
                f"{where}: 小类 code {cat.code!r} does not start with "
                f"its parent {cat.parent_code!r}"
            )
        if parent.sensitive and not cat.sensitive:
            raise ValueError(
                f"{where}: 小类 {cat.code!r} must be sensitive like its parent {parent.code!r}"
            )
    return out


def children(categories: Mapping[str, Category], code: str) -> list[Category]:
    """Return the 小类 of the 大类 ``code``, in file order.

    Raises
    ------
    ValueError
        If ``code`` is not a 大类 in ``categories``.
    """
    major = categories.get(code)
    if major is None or major.level != 1:
        raise ValueError(f"{code!r} is not a 大类 code")
    return [c for c in categories.values() if c.parent_code == code]
