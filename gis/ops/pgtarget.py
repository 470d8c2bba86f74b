"""How the client tools (``pg_dump``, ``pg_restore``, ``psql``) reach one database.

Two ways: the app-owned local cluster, reached as the superuser over its Unix socket (the
client tools run as ``postgres`` when we are root, as the server does), or a
``DATABASE_URL``, reached over TCP as the role in the URL with ``PGPASSWORD``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg2

from gis.cluster import APP_DB, LocalCluster
from gis.errors import SetupError, Unavailable
from gis.settings import Settings

PG_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class PgTarget:
    """Connection parameters for one database, for psycopg2 and the libpq tools."""

    host: str
    port: int
    user: str
    dbname: str
    password: str | None = field(default=None, repr=False)
    run_as: str | None = None  # OS user the client tools run as (socket access)
    local_cluster: Path | None = None  # data directory when it is the app-owned cluster

    @classmethod
    def from_url(cls, url: str) -> PgTarget:
        """From ``postgresql://user:pass@host:port/db`` (``+psycopg2`` accepted)."""
        parts = urlsplit(url.replace("+psycopg2", "", 1))
        if parts.scheme not in ("postgres", "postgresql") or not parts.path.strip("/"):
            raise SetupError(f"无法解析数据库地址 (cannot parse the database URL): {mask_url(url)}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=unquote(parts.username or os.environ.get("USER", "postgres")),
            dbname=unquote(parts.path.strip("/")),
            password=unquote(parts.password) if parts.password else None,
        )

    @classmethod
    def from_cluster(cls, cluster: LocalCluster, dbname: str = APP_DB) -> PgTarget:
        """The app-owned cluster's database as the superuser over the Unix socket."""
        p = cluster.admin_params(dbname)
        return cls(
            host=str(p["host"]),
            port=int(p["port"]),
            user=str(p["user"]),
            dbname=dbname,
            run_as="postgres" if os.geteuid() == 0 else None,
            local_cluster=cluster.data_dir,
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, start: bool = True) -> PgTarget:
        """``DATABASE_URL`` if set, else the local cluster (started when ``start``)."""
        if settings.database_url:
            return cls.from_url(settings.database_url)
        cluster = LocalCluster(settings.pg_dir)
        if start:
            cluster.ensure()
        return cls.from_cluster(cluster)

    def describe(self) -> str:
        """``user@host:port/db`` without the password."""
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"

    def connect(self, **extra: Any) -> Any:
        """A psycopg2 connection (a clear :class:`Unavailable` when it cannot connect)."""
        try:
            return psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                dbname=self.dbname,
                password=self.password,
                connect_timeout=10,
                application_name="gridmap-ops",
                **extra,
            )
        except psycopg2.OperationalError as exc:
            raise Unavailable(
                f"无法连接数据库 (cannot reach the database {self.describe()}): "
                f"{str(exc).strip()[:300]}"
            ) from exc

    def conn_args(self) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", self.user, "-d", self.dbname]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["PGCONNECT_TIMEOUT"] = "10"
        env["PGAPPNAME"] = "gridmap-ops"
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def command(self, tool: str, *args: str, server_major: int | None = None) -> list[str]:
        """The argv for ``tool`` (prefixed with ``runuser`` when it must run as postgres)."""
        argv = [str(pg_tool(tool, server_major)), *args]
        if self.run_as:
            argv = ["runuser", "-u", self.run_as, "--", *argv]
        return argv

    def run(
        self, tool: str, *args: str, server_major: int | None = None, **kw: Any
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            self.command(tool, *args, server_major=server_major),
            env=self.env(),
            cwd="/",
            **kw,
        )


def installed_majors() -> list[int]:
    """Installed PostgreSQL client major versions, newest first."""
    found = []
    for d in PG_ROOT.glob("*/bin/pg_dump"):
        try:
            found.append(int(d.parent.parent.name))
        except ValueError:
            continue
    return sorted(found, reverse=True)


def pg_tool(tool: str, server_major: int | None = None) -> Path:
    """The client binary able to talk to a server of ``server_major`` (oldest that fits).

    Raises
    ------
    SetupError
        No installed client is at least as new as the server.
    """
    majors = installed_majors()
    fit = [m for m in majors if server_major is None or m >= server_major]
    if not fit:
        raise SetupError(
            f"没有可用的 PostgreSQL {server_major or ''} 客户端 (no {tool} for server version "
            f"{server_major}; installed: {majors or 'none'}): "
            f"apt-get install postgresql-client-{server_major or 15}"
        )
    chosen = min(fit) if server_major is not None else max(fit)
    return PG_ROOT / str(chosen) / "bin" / tool


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()
    return url
