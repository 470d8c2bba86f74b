"""The tile service: layer lists, the versioned cache, ETags, rendering off the event loop."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from gis.errors import Forbidden, InvalidInput
from gis.pg import AsyncPool, dsn_of
from layers import registry
from layers.cache import Entry, TileCache
from layers.mvt import check_tile, prepared, render_tile, tile_statement
from layers.spec import LayerSpec
from layers.versions import SharedVersionRead, VersionReader

MAX_LAYERS = 10


@dataclass(frozen=True)
class TileResult:
    """An encoded tile (``b""`` when empty) and its ETag; ``not_modified`` for a 304."""

    data: bytes
    etag: str
    not_modified: bool = False
    cached: bool = False


def parse_layers(text: str, *, role: str, field: str = "layers") -> list[LayerSpec]:
    """``"grids,incidents"`` → specs, refusing unknown, repeated or forbidden layers."""
    names = [n.strip() for n in text.split(",")]
    if not text or any(not n for n in names):
        raise InvalidInput("图层列表为空或格式错误 (empty layer name in the list)", field=field)
    if len(names) > MAX_LAYERS:
        raise InvalidInput(f"一次最多 {MAX_LAYERS} 个图层 (too many layers)", field=field)
    if len(set(names)) != len(names):
        raise InvalidInput("图层重复 (a layer is named twice)", field=field)
    specs = [registry.get(n, field=field) for n in names]
    for s in specs:
        check_access(s, role=role, field=field)
    return specs


def check_access(spec: LayerSpec, *, role: str, field: str = "collectionId") -> None:
    if spec.roles is not None and role != "admin" and role not in spec.roles:
        raise Forbidden(
            f"无权查看图层 (layer not available to role {role}): {spec.id}", field=field
        )


def _etag(key: tuple[object, ...], versions: tuple[int, ...]) -> str:
    digest = hashlib.blake2b(repr((key, versions)).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


class TileService:
    """Serves tiles from the cache while the data versions they were built on are current.

    Statements run on the event loop (``gis.pg``): a tile is one statement that reads the
    data versions and every layer from one snapshot. A cached entry is only served after a
    version read that started after the request arrived (:class:`SharedVersionRead`).
    """

    def __init__(self, *, engine: Engine, cache_bytes: int, pool_size: int = 10) -> None:
        self.engine = engine
        self.cache = TileCache(cache_bytes)
        self.gzip_cache = TileCache(cache_bytes // 4)  # by ETag: each tile compressed once
        self.versions = VersionReader(engine)  # for synchronous callers (feature pages)
        limit = max(16, 2 * pool_size)  # connections are kept: a new one plans slowly
        self.pool = AsyncPool(dsn_of(engine.url), idle=limit, limit=limit)
        self.shared_versions = SharedVersionRead(dsn_of(engine.url))

    def layer_versions(self, specs: list[LayerSpec]) -> tuple[int, ...]:
        """The data versions the given layers depend on (one small query)."""
        return _pick(self.versions.read(), specs)

    def render(self, *, specs: list[LayerSpec], z: int, x: int, y: int, personal: bool) -> bytes:
        with self.engine.connect() as conn:
            return render_tile(conn=conn, specs=specs, z=z, x=x, y=y, personal=personal)

    async def tile(
        self,
        *,
        specs: list[LayerSpec],
        z: int,
        x: int,
        y: int,
        personal: bool,
        if_none_match: str | None = None,
        fields: tuple[str, str, str] = ("z", "x", "y"),
    ) -> TileResult:
        """The tile ``z/x/y`` of ``specs`` for a caller (personal or not).

        With a cached copy or an ``If-None-Match``, the versions are read first (a read that
        began after the request arrived) and a current copy is served, or a 304 given; else
        the tile is built with its versions from the same snapshot and cached under them.
        """
        check_tile(z, x, y, fields=fields)
        key = (tuple(s.id for s in specs), z, x, y, personal)
        if if_none_match or self.cache.contains(key):
            versions = _pick(await self.shared_versions.read(), specs)
            etag = _etag(key, versions)
            if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
                return TileResult(b"", etag, not_modified=True)
            hit = self.cache.get(key, versions)
            if hit is not None:
                return TileResult(hit.data, hit.etag, cached=True)
        else:
            self.cache.miss()
        sql, params = tile_statement(specs, z=z, x=x, y=y, personal=personal)
        current, data = await self.pool.fetchone(prepared(sql, params), params)
        versions = _pick({str(k): int(v) for k, v in (current or {}).items()}, specs)
        etag = _etag(key, versions)
        data = bytes(data or b"")
        self.cache.put(key, Entry(versions, data, etag))
        return TileResult(data, etag)

    def gzipped(self, result: TileResult) -> bytes:
        """The tile's bytes gzip-compressed, compressed once per ETag (per content)."""
        entry = self.gzip_cache.get(result.etag, ())
        if entry is None:
            entry = Entry((), gzip.compress(result.data, compresslevel=6, mtime=0), result.etag)
            self.gzip_cache.put(result.etag, entry)
        return entry.data

    def close(self) -> None:
        self.versions.close()
        self.shared_versions.close()
        self.pool.close()


def _pick(current: dict[str, int], specs: list[LayerSpec]) -> tuple[int, ...]:
    return tuple(current.get(src, 0) for s in specs for src in s.sources)
