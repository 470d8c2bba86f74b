"""Routes: data exchange — admin uploads (imports) and layer exports (downloads)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from api.deps import SessionDep
from api.security import PrincipalDep, allow
from gis.errors import InvalidInput, TooLarge
from gis.exchange.export import (
    ExportQuery,
    export_layer,
    parse_bbox,
    parse_datetime,
)
from gis.exchange.importer import ImportRequest, run_import
from gis.exchange.readers import DEFAULT_MAX_BYTES, FORMATS
from gis.exchange.runs import list_imports
from layers import cql

router = APIRouter(prefix="/exchange", tags=["exchange"])
CHUNK = 1 << 20


async def _spool(upload: UploadFile, folder: Path) -> Path:
    """Copy the upload to ``folder`` under a fixed name, refusing more than the limit."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(
            f"不支持的文件格式 (unsupported file type) {suffix or upload.filename!r}; "
            f"accepted: {', '.join(sorted(FORMATS))}",
            field="file",
        )
    path = folder / f"upload{suffix}"
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > DEFAULT_MAX_BYTES:
                raise TooLarge(
                    f"文件过大 (file too large): more than {DEFAULT_MAX_BYTES // 2**20} MB",
                    field="file",
                )
            out.write(chunk)
    return path


@router.post("/imports", dependencies=[Depends(allow("admin"))])
async def post_import(
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description=".gpkg .zip .shp .geojson .csv .xlsx")],
    layer: Annotated[
        str, Form(description="townships communities grids facilities projects cases")
    ],
    crs: Annotated[str | None, Form(description="wgs84 cgcs2000 gcj02 bd09 epsg:4543 …")] = None,
    dry_run: Annotated[bool, Form()] = True,
    source_layer: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    valid_from: Annotated[date | None, Form()] = None,
) -> JSONResponse:
    """Check (``dry_run``, the default) or import an uploaded file; 422 with the report if any row fails."""
    with tempfile.TemporaryDirectory(prefix="gridmap-upload-") as tmp:
        path = await _spool(file, Path(tmp))
        request = ImportRequest(
            layer=layer,
            path=path,
            file_name=Path(file.filename or path.name).name,
            crs=crs or None,
            source_layer=source_layer or None,
            encoding=encoding or None,
            dry_run=dry_run,
            valid_from=valid_from,
            actor=principal.username or "admin",
            actor_role=principal.role,
            client=principal.client,
        )
        report = run_import(session=session, request=request)
    body: dict[str, Any] = report.to_dict()
    if report.ok:
        return JSONResponse(body, status_code=201 if report.committed else 200)
    return JSONResponse(
        {
            "error": "unprocessable",
            "field": "file",
            "message": f"{len(report.errors)} 行有错误，未写入 (rows with errors; nothing written)",
            "detail": body,
        },
        status_code=422,
    )


@router.get("/imports", dependencies=[Depends(allow("admin"))])
def get_imports(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[dict[str, Any]]:
    """The latest committed imports."""
    return list_imports(session=session, limit=limit)


@router.get(
    "/export/{layer}",
    dependencies=[
        Depends(allow("commander", "supervisor", "field_staff", "handler", "planner", "viewer"))
    ],
)
def get_export(
    layer: str,
    session: SessionDep,
    principal: PrincipalDep,
    format: Annotated[str, Query(description="gpkg | shp | geojson | csv | xlsx")] = "geojson",
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy")] = None,
    datetime: Annotated[str | None, Query(description="instant or a/b (.. open)")] = None,
    community: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    filter_: Annotated[
        str | None,
        Query(alias="filter", max_length=4000, description="CQL2 over the layer's queryables"),
    ] = None,
    filter_lang: Annotated[
        str | None, Query(alias="filter-lang", description="cql2-text (default) | cql2-json")
    ] = None,
) -> Response:
    """Download a layer as a file; personal fields only for roles that may see them.

    ``filter`` is CQL2 over the queryables of the layer's map collection (``/ogc/collections/
    {id}/queryables``: townships, communities, grids, facilities, construction_sites for
    ``projects``, incidents for ``cases``), as on the OGC items.
    """
    start, end = parse_datetime(datetime)
    row_filter = cql.export_filter(layer, filter_, filter_lang, personal=principal.sees_personal)
    result = export_layer(
        session=session,
        query=ExportQuery(
            layer=layer,
            format=format,
            bbox=parse_bbox(bbox),
            start=start,
            end=end,
            community=community,
            sees_personal=principal.sees_personal,
            filter=row_filter,
        ),
    )
    return Response(
        result.content,
        media_type=result.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{result.filename}"',
            "X-Feature-Count": str(result.count),
        },
    )
