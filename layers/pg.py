"""Non-blocking PostgreSQL queries on the event loop: see :mod:`gis.pg`."""

from gis.pg import AsyncPool, _wait, dsn_of  # noqa: F401
