"""Read an import file into a table of rows with shapely geometries.

Formats: GeoPackage, Shapefile (zipped, or a ``.shp`` with its siblings), GeoJSON, CSV and
XLSX with lon/lat columns (or a WKT column). Shapefile text is decoded with the ``.cpg``
when there is one, else with the DBF language byte, else by trying UTF-8 then GBK.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely

from gis.errors import InvalidInput, TooLarge, Unprocessable
from gis.exchange.schema import LAT_ALIASES, LON_ALIASES, WKT_ALIASES
from gis.sniff import SHAPE, require_file_type

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
FORMATS = {
    ".gpkg": "gpkg",
    ".zip": "shp-zip",
    ".shp": "shp",
    ".geojson": "geojson",
    ".json": "geojson",
    ".csv": "csv",
    ".xlsx": "xlsx",
}
# What the first bytes of each format must show (the name alone is never trusted).
CONTENT = {
    "gpkg": ("application/geopackage+sqlite3",),
    "shp-zip": ("application/zip",),
    "xlsx": ("application/zip",),
    "shp": (SHAPE,),
    "geojson": ("application/json",),
    "csv": ("text/csv",),
}
_CPG = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "65001": "utf-8",
    "gbk": "gbk",
    "936": "gbk",
    "cp936": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
    "ansi 936": "gbk",
}
_LDID = {0x4D: "gbk", 0x7A: "gbk", 0x57: "latin-1"}


@dataclass
class SourceTable:
    """Rows read from a file, before validation."""

    frame: pd.DataFrame  # attribute columns + ``geometry`` (shapely or None)
    declared_crs: str | None  # e.g. "EPSG:4326", or None when the file does not say
    format: str
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def _unreadable(path: Path, exc: Exception) -> Unprocessable:
    msg = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return Unprocessable(
        f"无法读取文件 {path.name} (cannot read the file): {msg}", field="file", reason="unreadable"
    )


def detect_format(path: Path) -> str:
    """The format named by the file's extension, or :class:`InvalidInput`."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(
            f"不支持的文件格式 (unsupported file type) {path.suffix or path.name!r}; "
            f"accepted: {', '.join(sorted(FORMATS))}",
            field="file",
        )
    return fmt


def read_source(
    path: Path,
    *,
    source_layer: str | None = None,
    encoding: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> SourceTable:
    """Read ``path`` into a :class:`SourceTable`.

    Parameters
    ----------
    path
        The file: ``.gpkg``, ``.zip`` (a zipped Shapefile), ``.shp``, ``.geojson``/``.json``,
        ``.csv`` or ``.xlsx``.
    source_layer
        The layer inside a GeoPackage (or the ``.shp`` inside a zip) when there are several.
    encoding
        Force the text encoding of a Shapefile or CSV (``utf-8``, ``gbk``).
    max_bytes
        Files larger than this are refused before they are read.

    Raises
    ------
    InvalidInput
        Unknown file type or encoding; content that is not what the name says (the first
        bytes are sniffed: a PNG named ``.geojson`` is refused).
    TooLarge
        The file is larger than ``max_bytes``.
    Unprocessable
        The file is empty, damaged, truncated or missing a required part.

    Examples
    --------
    >>> t = read_source(Path("grids.geojson"))  # doctest: +SKIP
    >>> t.declared_crs, len(t.frame)  # doctest: +SKIP
    ('EPSG:4326', 12)
    """
    fmt = detect_format(path)
    if not path.exists():
        raise InvalidInput(f"文件不存在 (no such file): {path}", field="file")
    size = path.stat().st_size
    if size == 0:
        raise Unprocessable(f"文件为空 (the file is empty): {path.name}", field="file")
    if size > max_bytes:
        raise TooLarge(
            f"文件过大 (file too large): {size / 2**20:.1f} MB > {max_bytes / 2**20:.0f} MB; "
            "split it or raise the limit (--max-mb)",
            field="file",
        )
    require_file_type(path, CONTENT[fmt], field="file")
    if encoding is not None:
        encoding = _codec(encoding)
    if fmt == "csv":
        return _read_csv(path, encoding)
    if fmt == "xlsx":
        return _read_xlsx(path)
    if fmt == "shp-zip":
        with _unzipped(path, max_bytes) as folder:
            inner = _pick_in_zip(path, folder, source_layer)
            if inner.suffix.lower() == ".shp":
                return _read_shapefile(inner, encoding, fmt)
            return _read_ogr(inner, source_layer, None, FORMATS[inner.suffix.lower()])
    if fmt == "shp":
        return _read_shapefile(path, encoding, fmt)
    return _read_ogr(path, source_layer, None, fmt)


def _codec(name: str) -> str:
    key = name.strip().lower()
    if key in _CPG:
        return _CPG[key]
    raise InvalidInput(
        f"不支持的编码 (unsupported encoding) {name!r}; accepted: utf-8, gbk, gb18030",
        field="encoding",
    )


@contextmanager
def _unzipped(path: Path, max_bytes: int) -> Iterator[Path]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Unprocessable(
            f"压缩包损坏或被截断 (the zip file is damaged or truncated): {path.name}",
            field="file",
            reason="bad_zip",
        ) from exc
    with zf, tempfile.TemporaryDirectory(prefix="gridmap-import-") as tmp:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > 10 * max_bytes:
            raise TooLarge("压缩包解压后过大 (the zip expands to too much data)", field="file")
        for m in members:
            name = Path(m.filename).name
            if not name or name.startswith(".") or "__MACOSX" in m.filename:
                continue
            try:
                (Path(tmp) / name).write_bytes(zf.read(m))
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise Unprocessable(
                    f"压缩包损坏或被截断 (the zip file is damaged or truncated): {m.filename}",
                    field="file",
                    reason="bad_zip",
                ) from exc
        yield Path(tmp)


def _pick_in_zip(path: Path, folder: Path, source_layer: str | None) -> Path:
    found = sorted(
        p for p in folder.iterdir() if p.suffix.lower() in (".shp", ".gpkg", ".geojson", ".json")
    )
    if source_layer:
        found = [p for p in found if p.stem == source_layer] or found
    if not found:
        raise Unprocessable(
            f"压缩包中没有 .shp 文件 (no .shp in the zip): {path.name}",
            field="file",
            reason="no_shp",
        )
    if len(found) > 1:
        raise InvalidInput(
            "压缩包中有多个图层，请用 --source-layer 指定 (several layers in the zip; choose one): "
            + ", ".join(p.stem for p in found),
            field="source_layer",
        )
    return found[0]


def _shapefile_encoding(shp: Path) -> tuple[str, str]:
    """(codec, how it was decided) for the DBF beside ``shp``."""
    cpg = _sibling(shp, ".cpg")
    if cpg is not None:
        text = cpg.read_text(encoding="ascii", errors="ignore").strip()
        try:
            return _codec(text), f".cpg ({text})"
        except InvalidInput:
            pass
    dbf = _sibling(shp, ".dbf")
    raw = dbf.read_bytes() if dbf else b""
    if len(raw) > 32 and raw[29] in _LDID:
        return _LDID[raw[29]], f"DBF language byte 0x{raw[29]:02X}"
    try:
        raw[32:].decode("utf-8")
        return "utf-8", "text decodes as UTF-8 (no .cpg)"
    except UnicodeDecodeError:
        return "gbk", "text is not UTF-8, read as GBK (no .cpg)"


def _sibling(shp: Path, ext: str) -> Path | None:
    for cand in shp.parent.iterdir():
        if cand.stem == shp.stem and cand.suffix.lower() == ext:
            return cand
    return None


def _read_shapefile(shp: Path, encoding: str | None, fmt: str) -> SourceTable:
    missing = [e for e in (".shx", ".dbf") if _sibling(shp, e) is None]
    if missing:
        raise Unprocessable(
            f"Shapefile 缺少 {'/'.join(missing)} 文件 (the shapefile is missing its "
            f"{'/'.join(missing)} part)",
            field="file",
            reason="incomplete_shapefile",
        )
    how = "given"
    if encoding is None:
        encoding, how = _shapefile_encoding(shp)
    table = _read_ogr(shp, None, encoding, fmt)
    table.encoding = encoding
    table.notes.append(f"编码 (encoding): {encoding} — {how}")
    if _sibling(shp, ".prj") is None:
        table.declared_crs = None
        table.notes.append("缺少 .prj (no .prj): the file does not declare its CRS")
    return table


def _read_ogr(path: Path, layer: str | None, encoding: str | None, fmt: str) -> SourceTable:
    try:
        layers = pyogrio.list_layers(path)
        if layer is None and len(layers) > 1:
            raise InvalidInput(
                "文件中有多个图层，请用 --source-layer 指定 (several layers; choose one): "
                + ", ".join(str(n) for n in layers[:, 0]),
                field="source_layer",
            )
        kwargs: dict[str, Any] = {"layer": layer} if layer else {}
        if encoding:
            kwargs["encoding"] = encoding
        gdf = pyogrio.read_dataframe(path, **kwargs)
    except (InvalidInput, TooLarge):
        raise
    except Exception as exc:  # GDAL reports damaged files in many ways
        raise _unreadable(path, exc) from exc
    crs = None
    if gdf.crs is not None:
        epsg = gdf.crs.to_epsg(min_confidence=70)
        crs = f"EPSG:{epsg}" if epsg else gdf.crs.to_wkt()
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame["geometry"] = np.asarray(gdf.geometry.values, dtype=object)
    return SourceTable(frame=frame, declared_crs=crs, format=fmt, encoding=encoding)


def _read_csv(path: Path, encoding: str | None) -> SourceTable:
    raw = path.read_bytes()
    tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in tried:
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Unprocessable(
            f"无法识别 CSV 编码 (cannot decode the CSV as {', '.join(tried)})", field="encoding"
        )
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, sep=sep, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _unreadable(path, exc) from exc
    return _with_points(frame, "csv", "utf-8" if enc == "utf-8-sig" else enc)


def _read_xlsx(path: Path) -> SourceTable:
    try:
        frame = pd.read_excel(path, dtype=str, engine="openpyxl", keep_default_na=False)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for damaged files
        raise _unreadable(path, exc) from exc
    return _with_points(frame, "xlsx", None)


def _find(headers: list[str], aliases: tuple[str, ...]) -> str | None:
    norm = {h.strip().lower(): h for h in headers}
    for a in aliases:
        if a.lower() in norm:
            return norm[a.lower()]
    return None


def _with_points(frame: pd.DataFrame, fmt: str, encoding: str | None) -> SourceTable:
    """Build geometries from lon/lat columns (or a WKT column) of a spreadsheet."""
    frame.columns = [str(c).strip() for c in frame.columns]
    headers = list(frame.columns)
    if not headers or len(frame) == 0:
        raise Unprocessable("表格没有数据行 (the table has no data rows)", field="file")
    lon, lat, wkt = _find(headers, LON_ALIASES), _find(headers, LAT_ALIASES), None
    notes: list[str] = []
    if lon and lat:
        x = pd.to_numeric(frame[lon].str.strip(), errors="coerce")
        y = pd.to_numeric(frame[lat].str.strip(), errors="coerce")
        ok = x.notna() & y.notna()
        geoms = np.full(len(frame), None, dtype=object)
        geoms[ok.to_numpy()] = shapely.points(x[ok].to_numpy(), y[ok].to_numpy())
        frame = frame.drop(columns=[lon, lat])
        notes.append(f"坐标列 (coordinate columns): {lon}, {lat}")
    elif (wkt := _find(headers, WKT_ALIASES)) is not None:
        geoms = shapely.from_wkt(frame[wkt].replace("", None).to_numpy(), on_invalid="ignore")
        frame = frame.drop(columns=[wkt])
        notes.append(f"几何列 (WKT column): {wkt}")
    else:
        raise Unprocessable(
            "找不到经纬度列 (no lon/lat columns): name them 经度/纬度, lon/lat or "
            f"longitude/latitude, or give a WKT column; headers: {', '.join(headers[:12])}",
            field="file",
            reason="no_coordinates",
        )
    frame = frame.copy()
    frame["geometry"] = geoms
    return SourceTable(frame=frame, declared_crs=None, format=fmt, encoding=encoding, notes=notes)
