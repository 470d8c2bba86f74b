"""Keep personal data out of the logs.

A logging filter, installed on the handlers, that masks what looks like personal data in
every message, extra field and traceback: mobile and ID-card numbers, e-mail addresses, the
bound parameters SQLAlchemy prints with a failed statement, and the row values PostgreSQL
repeats in constraint errors (``Key (phone)=(…)``, ``Failing row contains (…)``) — which
is where names and phones would otherwise leak.
"""

from __future__ import annotations

import logging
import re
import traceback

PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\[parameters: .*?\](?=\n|$|\s*\(Background)", re.S), "[parameters: <redacted>]"),
    (
        re.compile(r"Failing row contains \(.*?\)(?=\.?\s*$|\.?\n)", re.M),
        "Failing row contains (<redacted>)",
    ),
    (re.compile(r"(Key \([^)]*\))=\(.*?\)"), r"\1=(<redacted>)"),
    (re.compile(r"(?<![\dA-Za-z])\d{6}(?:19|20)\d{2}\d{7}[\dXx](?![\dA-Za-z])"), "<id-number>"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "<phone>"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "<email>"),
]


def redact(text: str) -> str:
    """``text`` with personal data masked."""
    for pattern, repl in PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactPersonalData(logging.Filter):
    """Masks personal data in a record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_gridmap_redacted", False):
            return True
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key in _STANDARD or key.startswith("_"):
                continue
            if isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info and record.exc_info[0] is not None:
            text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
            record.exc_text = text  # plain formatters print exc_text
            record.exc = text  # the JSON formatter prints extra fields
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        record._gridmap_redacted = True
        return True


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def install(loggers: tuple[str, ...] = ("", "uvicorn", "uvicorn.error", "uvicorn.access")) -> None:
    """Add the filter to every handler of ``loggers`` (idempotent)."""
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactPersonalData) for f in handler.filters):
                handler.addFilter(RedactPersonalData())
