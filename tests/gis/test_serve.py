"""``gridmap serve``: one listening socket whose connections have Nagle's algorithm off.

uvicorn's multi-worker socket is created with ``proto`` 0, so the asyncio event loop leaves
``TCP_NODELAY`` off on accepted connections and keep-alive responses wait for the client's
delayed ACK (~40 ms each). The socket ``gridmap serve`` passes to its workers must not.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from gis.cli.main import listen_socket

ROOT = Path(__file__).resolve().parents[2]


def _accepted_nodelay(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection accepted by a plain asyncio server on ``listener``."""
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()  # type: ignore[attr-defined]

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    # the standard loop, not uvloop (which sets the option itself), in a thread of its own:
    # an earlier test may have left this thread's event loop marked as running
    probe = threading.Thread(target=lambda: asyncio.run(main()))
    probe.start()
    probe.join(timeout=30)
    assert seen, "no connection was accepted"
    return seen[0]


def test_listen_socket_gives_accepted_connections_tcp_nodelay() -> None:
    sock = listen_socket("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    assert _accepted_nodelay(sock) != 0


def test_a_socket_made_like_uvicorns_does_not() -> None:
    """The contrast that makes the test above meaningful (uvicorn 0.54 ``bind_socket``)."""
    sock = socket.socket(family=socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    assert sock.proto == 0
    assert _accepted_nodelay(sock) == 0


def test_serve_with_two_workers_answers(pg_url: str) -> None:
    """``gridmap serve --workers 2 --loop asyncio`` starts, answers keep-alive requests, stops."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    env = {
        **os.environ,
        "GRIDMAP_DATABASE_URL": pg_url,
        "GRIDMAP_ENV": "test",
        "GRIDMAP_LOG_LEVEL": "WARNING",
    }
    args = ["serve", "--port", str(port), "--workers", "2", "--loop", "asyncio"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gis.cli.main", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/ogc/conformance")
                first = conn.getresponse()
                first.read()
                break
            except OSError:
                assert proc.poll() is None, "gridmap serve exited"
                assert time.monotonic() < deadline, "gridmap serve did not answer in 90 s"
                time.sleep(0.3)
        assert first.status == 200
        for _ in range(3):  # the same connection, kept alive
            conn.request("GET", "/ogc/conformance")
            again = conn.getresponse()
            assert again.status == 200 and b"conformsTo" in again.read()
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
