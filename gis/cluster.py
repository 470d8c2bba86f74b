"""The app-owned local PostGIS cluster (the embedded default).

gridmap starts its own PostgreSQL server with its data directory inside the project
(``var/pg``), listening on loopback only. PostgreSQL refuses to run as root, so when we are
root every server command runs as the unprivileged ``postgres`` user through ``runuser``.

Superuser work (creating the role, the database and the extension) goes through the Unix
socket, whose directory only the server's owner may enter; the application connects over
TCP with a generated password stored in ``credentials.json`` (mode 0600).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gis.errors import SetupError

PG_VERSIONS = ("15", "16", "17", "14")
APP_ROLE = "gridmap"
APP_DB = "gridmap"
DEFAULT_PORT = 55432
INSTALL_HINT = "apt-get install postgresql-15-postgis-3"

FALLBACK_ROOT = Path("/var/lib/gridmap")
Progress = Callable[[str], None]


def _reachable(user: str, path: Path) -> bool:
    """Whether ``user`` can reach ``path`` (its nearest existing ancestor is searchable)."""
    probe = path
    while not probe.exists():
        probe = probe.parent
    r = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(probe)], capture_output=True)
    return r.returncode == 0


def _noop(_: str) -> None:
    return None


def find_pg_bin() -> Path:
    """The ``bin`` directory of an installed PostgreSQL that has PostGIS.

    Raises
    ------
    SetupError
        If PostgreSQL or PostGIS is missing, with the command that installs it.
    """
    found_pg = False
    for ver in PG_VERSIONS:
        bindir = Path(f"/usr/lib/postgresql/{ver}/bin")
        if not (bindir / "pg_ctl").exists():
            continue
        found_pg = True
        if Path(f"/usr/share/postgresql/{ver}/extension/postgis.control").exists():
            return bindir
    if found_pg:
        raise SetupError(f"PostGIS 未安装 (PostGIS is not installed): {INSTALL_HINT}")
    raise SetupError(f"PostgreSQL 未安装 (PostgreSQL is not installed): {INSTALL_HINT}")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """An unused TCP port on loopback chosen by the kernel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_user() -> str | None:
    """The OS user the server must run as: ``postgres`` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise SetupError(
            f"以 root 运行需要系统用户 postgres (running as root needs the 'postgres' user): "
            f"{INSTALL_HINT}"
        ) from exc
    return "postgres"


@dataclass
class LocalCluster:
    """A PostgreSQL + PostGIS cluster living in ``root``.

    Examples
    --------
    >>> cluster = LocalCluster(Path("var/pg"))  # doctest: +SKIP
    >>> url = cluster.ensure()                   # init on first use, start, return the DSN
    """

    root: Path
    port: int | None = None

    def __post_init__(self) -> None:
        self.root = Path(self.root).absolute()
        if self.root.is_symlink():
            self.root = self.root.resolve()
            return
        user = _server_user()
        if user and not _reachable(user, self.root):
            # e.g. a checkout under /root: the server's user cannot enter it, so the data
            # lives under /var/lib/gridmap and var/pg links there.
            alt = FALLBACK_ROOT / hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
            alt.mkdir(parents=True, exist_ok=True)
            os.chmod(FALLBACK_ROOT, 0o755)
            self.root.parent.mkdir(parents=True, exist_ok=True)
            if not self.root.exists():
                self.root.symlink_to(alt)
            self.root = alt

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def credentials_file(self) -> Path:
        return self.root / "credentials.json"

    # ---- state -----------------------------------------------------------------
    def exists(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists() and self.credentials_file.exists()

    def _credentials(self) -> dict[str, str | int]:
        try:
            return dict(json.loads(self.credentials_file.read_text()))
        except FileNotFoundError as exc:
            raise SetupError(
                f"本地数据库尚未初始化 (no local cluster at {self.root}): run `gridmap db start`"
            ) from exc

    def url(self) -> str:
        """The application's DSN (``postgresql://gridmap:…@127.0.0.1:PORT/gridmap``)."""
        c = self._credentials()
        return f"postgresql://{APP_ROLE}:{c['password']}@127.0.0.1:{c['port']}/{APP_DB}"

    def admin_params(self, dbname: str = "postgres") -> dict[str, str | int]:
        """psycopg2 connection parameters for the superuser, over the Unix socket."""
        c = self._credentials()
        return {
            "host": str(self.socket_dir),
            "port": c["port"],
            "user": "postgres",
            "dbname": dbname,
        }

    def is_running(self) -> bool:
        if not self.exists():
            return False
        r = self._pg("pg_ctl", "status", "-D", str(self.data_dir), check=False)
        return r.returncode == 0

    # ---- commands ----------------------------------------------------------------
    def _pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(find_pg_bin() / tool), *args]
        user = _server_user()
        if user:
            cmd = ["runuser", "-u", user, "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if check and r.returncode != 0:
            raise SetupError(
                f"{tool} 失败 (failed): {(r.stderr or r.stdout).strip()[-800:]}"
                f" — see {self.log_file}"
            )
        return r

    def _prepare_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        user = _server_user()
        if user:
            pw = pwd.getpwnam(user)
            for p in (self.root, self.socket_dir):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            if (
                subprocess.run(
                    ["runuser", "-u", user, "--", "test", "-w", str(self.root)], capture_output=True
                ).returncode
                != 0
            ):
                raise SetupError(
                    f"系统用户 {user} 无法访问 {self.root} (a parent directory is not "
                    f"searchable by '{user}'): move the project or set GRIDMAP_VAR_DIR "
                    f"to a directory under /var or /srv"
                )
        os.chmod(self.socket_dir, 0o700)

    def init(self, progress: Progress = _noop) -> None:
        """Create the cluster, the application role and database, and PostGIS."""
        if self.exists():
            return
        find_pg_bin()
        if self.data_dir.exists():  # a half-made earlier attempt
            shutil.rmtree(self.data_dir)
        self._prepare_dirs()
        port = self.port or (DEFAULT_PORT if port_is_free(DEFAULT_PORT) else free_port())
        progress(f"初始化数据库集群 (initdb) → {self.data_dir}")
        self._pg(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        )
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a") as f:
            f.write(
                "\n# gridmap: loopback only, durable (never fsync=off)\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {port}\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "unix_socket_permissions = 0700\n"
                "max_connections = 200\n"
                "shared_buffers = 512MB\n"
                "work_mem = 32MB\n"
                "maintenance_work_mem = 256MB\n"
                "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
                "jit = off\n"
                "logging_collector = off\n"
            )
        password = secrets.token_urlsafe(24)
        self.credentials_file.write_text(json.dumps({"port": port, "password": password}))
        os.chmod(self.credentials_file, 0o600)
        self.start(progress)
        progress("创建角色、数据库与 PostGIS 扩展 (role, database, postgis)")
        import psycopg2

        conn = psycopg2.connect(**self.admin_params())  # type: ignore[arg-type]
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD %s", (password,))
            cur.execute(f"CREATE DATABASE {APP_DB} OWNER {APP_ROLE}")
        conn.close()
        conn = psycopg2.connect(**self.admin_params(APP_DB))  # type: ignore[arg-type]
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            cur.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        conn.close()

    def start(self, progress: Progress = _noop) -> None:
        """Start the server if it is not running (waits until it accepts connections)."""
        if self.is_running():
            return
        port = int(self._credentials()["port"])
        if not port_is_free(port):
            raise SetupError(
                f"端口 {port} 已被占用 (port {port} is in use by another program): stop it, or "
                f"remove {self.root} to let gridmap choose a free port"
            )
        self._prepare_dirs()
        progress(f"启动 PostgreSQL (127.0.0.1:{port})")
        log = str(self.log_file)
        if _server_user():
            self.log_file.touch()
            pw = pwd.getpwnam("postgres")
            os.chown(self.log_file, pw.pw_uid, pw.pw_gid)
        self._pg("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir), "-l", log)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg2

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg2.connect(**self.admin_params(), connect_timeout=2).close()  # type: ignore[arg-type]
                return
            except psycopg2.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise SetupError(f"PostgreSQL 未就绪 (not ready): {exc}") from exc
                time.sleep(0.2)

    def stop(self, mode: str = "fast") -> None:
        if self.is_running():
            self._pg("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self.data_dir))

    def destroy(self) -> None:
        """Stop the server and delete the cluster directory."""
        with contextlib.suppress(SetupError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def ensure(self, progress: Progress = _noop) -> str:
        """Initialise on first use, start if stopped; return the application DSN."""
        if not self.exists():
            self.init(progress)
        else:
            self.start(progress)
        return self.url()
