"""The database half of a restore: ``pg_restore`` into ``psql``, in one transaction.

``pg_restore`` turns the custom-format dump into SQL (without the extension entries, which
the prelude creates when needed); ``psql --single-transaction`` runs the prelude, that SQL
and the checks of every row count and geometry digest against the manifest. Any error or
mismatch rolls everything back.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any, BinaryIO

from psycopg2 import sql

from gis.errors import SetupError
from gis.ops import inventory
from gis.ops.archive import Archive
from gis.ops.manifest import DUMP_NAME
from gis.ops.pgtarget import PgTarget, pg_tool

CHUNK = 1 << 20
_EXTENSION_ENTRY = re.compile(r"^\s*\d+;\s+\d+\s+\d+\s+(EXTENSION\s|COMMENT\s+-\s+EXTENSION\s)")
_TABLE_DATA_ENTRY = re.compile(r"^\s*\d+;\s+\d+\s+\d+\s+TABLE DATA\s+(\S+)\s+(\S+)\s")


def _feed(archive: Archive, sink: BinaryIO) -> None:
    try:
        with archive.open_member(DUMP_NAME) as src:
            shutil.copyfileobj(src, sink, CHUNK)
    except (OSError, ValueError):
        pass  # the reader stopped early; its exit status tells why
    finally:
        with contextlib.suppress(OSError):
            sink.close()


def _toc_without_extensions(archive: Archive, workdir: Path, *, skip: set[str]) -> Path:
    """The dump's table of contents minus extension entries (made by the restore itself).

    ``skip`` names extension configuration tables (``schema.table``) whose rows this role
    may not write: a non-superuser cannot add rows to PostGIS' ``spatial_ref_sys``.
    """
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [str(pg_tool("pg_restore")), "-l"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
        )
        assert proc.stdin is not None and proc.stdout is not None
        feeder = threading.Thread(target=_feed, args=(archive, proc.stdin), daemon=True)
        feeder.start()
        out = proc.stdout.read()
        rc = proc.wait()
        feeder.join()
        if rc != 0:
            err.seek(0)
            raise SetupError(
                f"pg_restore 无法读取转储 (cannot read the dump): {err.read().decode()[-600:]}"
            )
    lines = []
    for ln in out.decode().splitlines():
        if _EXTENSION_ENTRY.match(ln):
            continue
        m = _TABLE_DATA_ENTRY.match(ln)
        if m and f"{m.group(1)}.{m.group(2)}" in skip:
            continue
        lines.append(ln)
    toc = workdir / "toc.list"
    toc.write_text("\n".join(lines) + "\n")
    return toc


def _prelude(
    cur: Any,
    manifest_exts: dict[str, str],
    exts: dict[str, str],
    info: dict[str, Any],
    *,
    drop: list[str],
) -> str:
    out = ["SET client_min_messages = warning;"]
    if "postgis" not in exts:
        out.append("CREATE EXTENSION IF NOT EXISTS postgis;")
    creatable = inventory.creatable_extensions(cur, superuser=info["superuser"])
    for name in sorted(set(manifest_exts) - {"postgis"} - set(exts)):
        if name in creatable:  # the schema may need it (an index's operator class …)
            out.append(f"CREATE EXTENSION IF NOT EXISTS {sql.Identifier(name).as_string(cur)};")
    for rel in drop:  # --force: the old contents go in the same transaction
        out.append(f"DROP TABLE IF EXISTS {inventory.ident(rel).as_string(cur)} CASCADE;")
    return "\n".join(out) + "\n"


def _postlude(cur: Any, archive: Archive) -> str:
    m = archive.manifest
    out = ["SELECT pg_catalog.set_config('search_path', 'public', false);"]

    def check(condition_sql: str, message: str) -> None:
        msg = sql.Literal(message).as_string(cur)
        out.append(
            f"DO $$ BEGIN IF NOT ({condition_sql}) THEN RAISE EXCEPTION '%', {msg}; END IF; END $$;"
        )

    for table, n in sorted(m.row_counts.items()):
        q = sql.SQL("(SELECT count(*) FROM {}) = {}").format(inventory.ident(table), sql.Literal(n))
        check(q.as_string(cur), f"row count of {table} differs from the manifest ({n})")
    for key, d in sorted(m.geometry_digests.items()):
        table, _, column = key.rpartition(".")
        q = sql.SQL("(SELECT ({})::text FROM ({}) s(n, d)) = {}").format(
            sql.SQL("n || ':' || d"),
            inventory.digest_sql(table, column),
            sql.Literal(f"{d['count']}:{d['digest']}"),
        )
        check(q.as_string(cur), f"geometries of {key} differ from the manifest")
    return "\n".join(out) + "\n"


def run_restore(
    archive: Archive,
    target: PgTarget,
    cur: Any,
    info: dict[str, Any],
    exts: dict[str, str],
    *,
    force: bool,
    existing: list[str],
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="gridmap-restore-"))
    try:
        os.chmod(workdir, 0o755)  # psql may run as 'postgres'
        cur.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_extension e "
            "JOIN pg_class c ON c.oid = ANY(e.extconfig) "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT has_table_privilege(c.oid, 'INSERT')"
        )
        skip = {r[0] for r in cur.fetchall()}
        if "postgis" not in exts and not info["superuser"]:
            skip.add("public.spatial_ref_sys")
        toc = _toc_without_extensions(archive, workdir, skip=skip)
        cur.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND (n.nspname || '.' || "
            "c.relname) = ANY(%s)",
            (existing,),
        )
        drop = [r[0] for r in cur.fetchall()] if force else []
        pre = workdir / "pre.sql"
        pre.write_text(_prelude(cur, archive.manifest.extensions, exts, info, drop=drop))
        post = workdir / "post.sql"
        post.write_text(_postlude(cur, archive))
        for p in (toc, pre, post):
            os.chmod(p, 0o644)
        restore_args = ["-L", str(toc), "-f", "-"]
        if force:
            restore_args += ["--clean", "--if-exists"]
        if not info["superuser"]:
            restore_args += ["--no-owner", "--no-privileges"]
        _pipeline(archive, target, info, restore_args, pre, post)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _pipeline(
    archive: Archive,
    target: PgTarget,
    info: dict[str, Any],
    restore_args: list[str],
    pre: Path,
    post: Path,
) -> None:
    """``pg_restore -f -`` piped into ``psql --single-transaction`` (pre, dump, checks)."""
    with tempfile.TemporaryFile() as err1, tempfile.TemporaryFile() as err2:
        p1 = subprocess.Popen(
            [str(pg_tool("pg_restore")), *restore_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err1,
        )
        p2 = subprocess.Popen(
            target.command(
                "psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-f",
                str(pre),
                "-f",
                "-",
                "-f",
                str(post),
                *target.conn_args(),
                server_major=info["major"],
            ),
            stdin=p1.stdout,
            stdout=subprocess.DEVNULL,
            stderr=err2,
            env=target.env(),
            cwd="/",
        )
        assert p1.stdout is not None and p1.stdin is not None
        p1.stdout.close()
        feeder = threading.Thread(target=_feed, args=(archive, p1.stdin), daemon=True)
        feeder.start()
        rc2 = p2.wait()
        rc1 = p1.wait()
        feeder.join()
        if rc1 != 0 or rc2 != 0:
            msgs = []
            for f in (err1, err2):
                f.seek(0)
                msgs.append(f.read().decode(errors="replace").strip())
            detail = " | ".join(m for m in msgs if m)[-900:]
            raise SetupError(
                f"恢复失败, 已回滚, 数据库未改变 (the restore failed and was rolled back; the "
                f"database is unchanged): {detail}"
            )
