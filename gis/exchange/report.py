"""The row-level import report: what was read, what is wrong, what was (or would be) written."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_VALUE_CHARS = 80


@dataclass(frozen=True)
class Problem:
    """One finding. ``row`` is the 1-based data row (None for the whole file)."""

    row: int | None
    field: str | None
    problem: str
    value: str | None = None
    severity: str = "error"  # error | warning

    @staticmethod
    def make(
        row: int | None, field: str | None, problem: str, value: Any = None, *, warn: bool = False
    ) -> Problem:
        text = None if value is None else str(value)
        if text is not None and len(text) > MAX_VALUE_CHARS:
            text = text[: MAX_VALUE_CHARS - 1] + "…"
        return Problem(row, field, problem, text, "warning" if warn else "error")


@dataclass
class ImportReport:
    """Everything an operator needs to decide about an import."""

    layer: str
    file: str
    format: str = ""
    source_crs: str = ""
    encoding: str | None = None
    rows: int = 0
    dry_run: bool = True
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)
    valid_from: str | None = None
    import_id: int | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def committed(self) -> bool:
        return self.ok and not self.dry_run and bool(self.written)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        out["error_count"] = len(self.errors)
        out["committed"] = self.committed
        return out
