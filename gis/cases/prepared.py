"""A database connection that runs ``text()`` statements as server-side prepared statements.

The intake workers keep one each. A statement is ``PREPARE``d on first use (its ``:name``
parameters become ``$n``) and later only ``EXECUTE``d, so PostgreSQL neither parses nor
plans it again, and nothing of SQLAlchemy's compile machinery runs per call. A transaction
starts with the first statement (``BEGIN`` travels in the same round trip) and ends with
:meth:`commit` or :meth:`rollback`. It offers the part of the SQLAlchemy connection API that
the intake code uses (``execute`` → ``one``/``first``/``scalar``/``scalar_one``/``all``/
``mappings``, ``commit``, ``rollback``); driver errors are raised as SQLAlchemy's
(``OperationalError`` for a lost server, …) so the API maps them as usual.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

import psycopg2
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

# SQLAlchemy's own rule for ``:name`` in text(): not after ``:`` or a word character or
# backslash, and not before ``:`` (so ``::type`` casts stay).
_PARAM = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


@functools.lru_cache(maxsize=128)
def _row_type(cols: tuple[str, ...]) -> type:
    base = collections.namedtuple("Row", cols, rename=True)  # type: ignore[misc]

    class Row(base):  # type: ignore[misc, valid-type]
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(cols, self, strict=True))

    return Row


class _Mappings:
    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def first(self) -> dict[str, Any] | None:
        return self._rows[0]._mapping if self._rows else None

    def all(self) -> list[dict[str, Any]]:
        return [r._mapping for r in self._rows]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.all())


class Result:
    """The rows of one statement (already fetched)."""

    def __init__(self, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        row = _row_type(cols) if cols else tuple
        self._rows = [row(*r) for r in rows] if cols else []

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise sa.exc.NoResultFound if not self._rows else sa.exc.MultipleResultsFound
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def mappings(self) -> _Mappings:
        return _Mappings(self._rows)


class PreparedConnection:
    """One driver connection of ``engine``'s database, kept by its owner (not pooled)."""

    def __init__(self, engine: Engine) -> None:
        proxied = engine.raw_connection()
        raw: Any = proxied.driver_connection
        self._raw = raw
        proxied.detach()  # ours for good: never handed to anyone else
        self._raw.autocommit = True  # BEGIN/COMMIT are sent by us
        self._prepared: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._in_tx = False

    @property
    def closed(self) -> bool:
        return bool(self._raw.closed)

    def _prepare(self, cur: Any, sql: str) -> tuple[str, tuple[str, ...]]:
        order: list[str] = []

        def number(m: re.Match[str]) -> str:
            if m.group(1) not in order:
                order.append(m.group(1))
            return f"${order.index(m.group(1)) + 1}"

        body = _PARAM.sub(number, sql).replace("\\:", ":")
        name = f"gm_stmt_{len(self._prepared) + 1}"
        if order:  # statements without parameters (DDL, several statements) run as they are
            cur.execute(f"PREPARE {name} AS {body}")
        entry = self._prepared[sql] = (name, tuple(order))
        return entry

    def execute(self, statement: Any, params: Mapping[str, Any] | None = None) -> Result:
        """Run a ``text()`` statement (or SQL string) with ``params``; starts a transaction."""
        sql = statement.text if isinstance(statement, sa.TextClause) else str(statement)
        begin = "" if self._in_tx else "BEGIN; "
        try:
            with self._raw.cursor() as cur:
                name, order = self._prepared.get(sql) or self._prepare(cur, sql)
                self._in_tx = True  # from here on a failure leaves a transaction to roll back
                if order:
                    args = [(params or {})[k] for k in order]
                    cur.execute(f"{begin}EXECUTE {name} ({', '.join(['%s'] * len(args))})", args)
                else:
                    cur.execute(begin + sql)
                if cur.description is None:
                    return Result((), [])
                return Result(tuple(d.name for d in cur.description), cur.fetchall())
        except psycopg2.Error as exc:
            raise self._error(sql, params, exc) from exc

    def _error(self, sql: str, params: Any, exc: psycopg2.Error) -> sa.exc.DBAPIError:
        """SQLAlchemy's error for ``exc``; a lost connection is an ``OperationalError``."""
        if self.closed or isinstance(exc, psycopg2.InterfaceError):
            return sa.exc.OperationalError(sql, params, exc, connection_invalidated=True)
        return sa.exc.DBAPIError.instance(sql, params, exc, psycopg2.Error)

    def _end(self, verb: str) -> None:
        if not self._in_tx:
            return
        self._in_tx = False
        try:
            with self._raw.cursor() as cur:
                cur.execute(verb)
        except psycopg2.Error as exc:
            raise self._error(verb, None, exc) from exc

    def commit(self) -> None:
        """Commit the open transaction (if any)."""
        self._end("COMMIT")

    def rollback(self) -> None:
        """Roll the open transaction back (if any); a lost connection is not an error here."""
        try:
            self._end("ROLLBACK")
        except sa.exc.DBAPIError:
            if not self.closed:
                raise

    def close(self) -> None:
        """Close the driver connection."""
        with contextlib.suppress(psycopg2.Error):
            self._raw.close()


#: What the intake code writes through (``PreparedConnection`` duck-types the other two).
Bind = Session | Connection | PreparedConnection
