"""A non-blocking database connection that runs ``text()`` statements as prepared statements.

The intake (:mod:`gis.cases.workers`) keeps a few of these on the event loop. A statement is
``PREPARE``d on its first use on a connection (its ``:name`` parameters become ``$n``; the
``PREPARE`` travels in the same round trip as the first ``EXECUTE``) and later only
``EXECUTE``d, so PostgreSQL neither parses nor plans it again and nothing of SQLAlchemy's
compile machinery runs per call. The connection is psycopg2's asynchronous kind: every
statement is its own transaction (autocommit), so a write must be one statement, and no
thread waits for the server. Driver errors are raised as SQLAlchemy's (``OperationalError``
for a lost or unreachable server, which the API answers with 503).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import re
from collections.abc import Mapping
from typing import Any

import psycopg2
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.pg import wait_ready  # the event-loop poll loop shared with tiles and locate

# SQLAlchemy's own rule for ``:name`` in text(): not after ``:`` or a word character or
# backslash, and not before ``:`` (so ``::type`` casts stay).
_PARAM = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
_WORD = re.compile(r"^[A-Za-z0-9_.]+$")


@functools.lru_cache(maxsize=128)
def _row_type(cols: tuple[str, ...]) -> type:
    base = collections.namedtuple("Row", cols, rename=True)  # type: ignore[misc]

    class Row(base):  # type: ignore[misc, valid-type]
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(cols, self, strict=True))

    return Row


def numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with its ``:name`` parameters as ``$1 …`` and the names in that order."""
    order: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in order:
            order.append(m.group(1))
        return f"${order.index(m.group(1)) + 1}"

    return _PARAM.sub(number, sql).replace("\\:", ":"), tuple(order)


def _error(sql: str, params: Any, exc: psycopg2.Error, *, lost: bool) -> sa.exc.DBAPIError:
    """SQLAlchemy's error for ``exc``; a lost connection is an ``OperationalError``."""
    if lost or isinstance(exc, psycopg2.InterfaceError):
        return sa.exc.OperationalError(sql, params, exc, connection_invalidated=True)
    return sa.exc.DBAPIError.instance(sql, params, exc, psycopg2.Error)


class AsyncPreparedConnection:
    """One asynchronous driver connection, kept by its owner; use :meth:`open`."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._prepared: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._names = 0  # a failed first run may leave its name taken: never reuse one

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        application_name: str = "gridmap",
        settings: Mapping[str, str] | None = None,
    ) -> AsyncPreparedConnection:
        """Connect without blocking the loop (``OperationalError`` when the server is away).

        ``settings``: server settings of the session (name → value, checked: plain words).
        """
        settings = settings or {}
        for item in settings.items():
            if not all(_WORD.match(x) for x in item):
                raise ValueError(f"not a plain setting: {item!r}")
        options = " ".join(f"-c {k}={v}" for k, v in settings.items())
        try:
            raw = psycopg2.connect(
                dsn,
                async_=True,
                connect_timeout=5,
                application_name=application_name,
                **({"options": options} if options else {}),
            )
        except psycopg2.Error as exc:
            raise _error("connect", None, exc, lost=True) from exc
        try:
            await wait_ready(raw)
        except psycopg2.Error as exc:
            raw.close()
            raise _error("connect", None, exc, lost=True) from exc
        except BaseException:
            raw.close()
            raise
        return cls(raw)

    @property
    def closed(self) -> bool:
        return bool(self._raw.closed)

    async def fetch(self, statement: sa.TextClause | str, params: Mapping[str, Any]) -> list[Any]:
        """Run ``statement`` (one transaction) and return its rows (named tuples).

        The connection must not be used by anyone else until this returns. A task cancelled
        while the statement runs leaves the connection unusable: the caller closes it.
        """
        sql = statement.text if isinstance(statement, sa.TextClause) else statement
        entry = self._prepared.get(sql)
        prepare = ""
        if entry is None:
            body, order = numbered(sql)
            self._names += 1
            entry = (f"gm_stmt_{self._names}", order)
            if order:
                prepare = f"PREPARE {entry[0]} AS {body.replace('%', '%%')}; "
        name, order = entry
        args = [params[k] for k in order]
        # statements without parameters (DDL, several statements) run as they are
        call = f"EXECUTE {name} ({', '.join(['%s'] * len(args))})" if args else sql
        try:
            cur = self._raw.cursor()
            cur.execute(prepare + call, args or None)
            await wait_ready(self._raw)
            if prepare:
                self._prepared[sql] = entry
            if cur.description is None:
                return []
            row = _row_type(tuple(d.name for d in cur.description))
            return [row(*r) for r in cur.fetchall()]
        except psycopg2.Error as exc:
            raise _error(sql, params, exc, lost=self.closed) from exc

    def close(self) -> None:
        """Close the driver connection (a statement still running is abandoned)."""
        with contextlib.suppress(psycopg2.Error):
            self._raw.close()


#: What the synchronous intake code writes through (a session, or a connection).
Bind = Session | Connection
