"""What each importable layer looks like: fields, header aliases, geometry kind, codes.

One :class:`LayerSchema` per layer. Header matching is case-insensitive and accepts the
common Chinese headers (经度/纬度, 代码, 名称 …) and the 10-character names a Shapefile
export writes (``comm_code``, ``floor_area`` …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gis.errors import InvalidInput
from gis.models.facilities import FACILITY_KINDS, FACILITY_STATUSES

DISTRICT_CODE = "630202000000"
BOUNDARY_LAYERS = frozenset({"townships", "communities", "grids"})

_TOWNSHIP_RE = re.compile(r"^630202\d{3}000$")
_COMMUNITY_RE = re.compile(r"^630202\d{6}$")
_GRID_RE = re.compile(r"^630202\d{9}$")


@dataclass(frozen=True)
class Field:
    """One attribute of an importable layer."""

    name: str
    kind: str = "text"  # text | int | number | datetime | code
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: dict[str, str] | None = None  # stored value → Chinese label (both accepted)


@dataclass(frozen=True)
class LayerSchema:
    """An importable layer."""

    id: str
    title: str
    geometry: str  # polygon | point
    fields: tuple[Field, ...]
    code_field: str | None = None
    shp_names: dict[str, str] = field(default_factory=dict)  # column → ≤10-char name

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


_CODE = ("代码", "编码", "编号", "区划代码", "统计用区划代码")
_NAME = ("名称", "name_zh")
_HH = ("户数", "households", "hh")
_POP = ("人口", "人口数", "常住人口")
_SRC = ("边界来源", "bnd_source", "boundary_s")
_COMMUNITY = ("社区代码", "所属社区", "社区编码", "comm_code", "community_")

BOUNDARY_SOURCES = {"official": "正式", "illustrative": "示意"}
GRID_KINDS = {"basic": "基础网格", "dedicated": "专属网格"}
CASE_STATES_IMPORT = {"reported": "上报", "closed": "结案", "cancelled": "注销"}

SCHEMAS: dict[str, LayerSchema] = {
    "townships": LayerSchema(
        id="townships",
        title="乡镇(街道)",
        geometry="polygon",
        code_field="code",
        fields=(
            Field("code", "code", True, _CODE + ("乡镇代码",)),
            Field("name", "text", True, _NAME + ("乡镇名称", "乡镇")),
            Field("unit_type", "text", False, ("类型", "类别")),
            Field("boundary_source", "text", False, _SRC, BOUNDARY_SOURCES),
        ),
        shp_names={"boundary_source": "bnd_source", "parent_code": "parent"},
    ),
    "communities": LayerSchema(
        id="communities",
        title="社区(村)",
        geometry="polygon",
        code_field="code",
        fields=(
            Field("code", "code", True, _CODE + ("社区代码",)),
            Field("name", "text", True, _NAME + ("社区名称", "村名")),
            Field("parent_code", "code", False, ("乡镇代码", "上级代码", "parent")),
            Field("unit_type", "text", False, ("类型", "类别")),
            Field("households", "int", False, _HH),
            Field("population", "int", False, _POP),
            Field("boundary_source", "text", False, _SRC, BOUNDARY_SOURCES),
        ),
        shp_names={"boundary_source": "bnd_source", "parent_code": "parent"},
    ),
    "grids": LayerSchema(
        id="grids",
        title="网格",
        geometry="polygon",
        code_field="code",
        fields=(
            Field("code", "code", True, _CODE + ("网格编码", "网格代码", "网格编号")),
            Field("name", "text", True, _NAME + ("网格名称",)),
            Field("community_code", "code", False, _COMMUNITY),
            Field("kind", "text", False, ("网格类型", "类型"), GRID_KINDS),
            Field("households", "int", False, _HH),
            Field("population", "int", False, _POP),
            Field("boundary_source", "text", False, _SRC, BOUNDARY_SOURCES),
        ),
        shp_names={"community_code": "comm_code", "boundary_source": "bnd_source"},
    ),
    "facilities": LayerSchema(
        id="facilities",
        title="设施",
        geometry="point",
        fields=(
            Field("name", "text", True, _NAME + ("设施名称",)),
            Field("kind", "text", True, ("设施类型", "类型"), FACILITY_KINDS),
            Field("status", "text", False, ("状态",), FACILITY_STATUSES),
            Field("community_code", "code", False, _COMMUNITY),
            Field("floor_area_m2", "number", False, ("建筑面积", "面积", "floor_area")),
        ),
        shp_names={"community_code": "comm_code", "floor_area_m2": "floor_area"},
    ),
    "projects": LayerSchema(
        id="projects",
        title="建设项目",
        geometry="point",
        fields=(
            Field("name", "text", True, _NAME + ("项目名称",)),
            Field("facility_kind", "text", True, ("设施类型", "类型", "fac_kind"), FACILITY_KINDS),
            Field("community_code", "code", False, _COMMUNITY),
            Field("planned_floor_area", "number", False, ("规划面积", "建筑面积", "plan_area")),
            Field("responsible_unit", "text", False, ("责任单位", "resp_unit")),
            Field("budget_total", "number", False, ("总投资", "预算", "budget")),
            Field("spent_to_date", "number", False, ("已完成投资", "spent")),
            Field("plan_group", "text", False, ("计划分组",)),
        ),
        shp_names={
            "community_code": "comm_code",
            "facility_kind": "fac_kind",
            "planned_floor_area": "plan_area",
            "responsible_unit": "resp_unit",
            "budget_total": "budget",
            "spent_to_date": "spent",
        },
    ),
    "cases": LayerSchema(
        id="cases",
        title="历史案卷",
        geometry="point",
        code_field="case_no",
        fields=(
            Field("case_no", "text", True, ("案卷号", "案件编号", "案卷编号", "编号")),
            Field("category_code", "text", True, ("小类代码", "类别代码", "小类", "category")),
            Field("description", "text", True, ("问题描述", "描述", "案件描述")),
            Field("address", "text", False, ("地址", "发生地址")),
            Field("reported_at", "datetime", True, ("上报时间", "发现时间", "reported")),
            Field("closed_at", "datetime", False, ("结案时间", "closed")),
            Field("state", "text", False, ("状态",), CASE_STATES_IMPORT),
        ),
        shp_names={"category_code": "category", "reported_at": "reported", "closed_at": "closed"},
    ),
}

LON_ALIASES = ("lon", "lng", "long", "longitude", "x", "经度", "东经", "经度(°)")
LAT_ALIASES = ("lat", "latitude", "y", "纬度", "北纬", "纬度(°)")
WKT_ALIASES = ("wkt", "geometry", "geom", "几何", "the_geom")


def get_schema(layer: str) -> LayerSchema:
    """The schema of ``layer`` or :class:`InvalidInput` naming the accepted layers."""
    try:
        return SCHEMAS[layer]
    except KeyError:
        raise InvalidInput(
            f"不支持的图层 (unknown layer): {layer!r}; accepted: {', '.join(SCHEMAS)}",
            field="layer",
        ) from None


def _norm(header: str) -> str:
    return str(header).strip().lower().replace(" ", "").replace("（", "(").replace("）", ")")


def match_columns(schema: LayerSchema, headers: list[str]) -> dict[str, str]:
    """Map file headers to field names: ``{file header: field name}``.

    An exact field name wins over an alias; the first header that matches a field takes it.
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for exact in (True, False):
        for h in headers:
            if h in out:
                continue
            key = _norm(h)
            for f in schema.fields:
                if f.name in taken:
                    continue
                names = (f.name,) if exact else tuple(_norm(a) for a in f.aliases)
                if key in names:
                    out[h] = f.name
                    taken.add(f.name)
                    break
    return out


def code_problem(layer: str, value: str) -> str | None:
    """Why ``value`` is not a well-formed code of ``layer`` (None when it is)."""
    if layer == "townships" and not _TOWNSHIP_RE.match(value):
        return "乡镇代码应为 12 位 630202XXX000 (township code must be 630202XXX000)"
    if layer == "communities" and (not _COMMUNITY_RE.match(value) or value.endswith("000")):
        return "社区代码应为 12 位 630202 开头且末三位非 000 (community code: 12 digits)"
    if layer == "grids" and not _GRID_RE.match(value):
        return "网格编码应为 15 位 630202 开头 (grid code must be 15 digits starting 630202)"
    if layer == "cases" and not (1 <= len(value) <= 40):
        return "案卷号长度应为 1–40 (case number length 1–40)"
    return None


def parent_of(layer: str, code: str) -> str:
    """The parent code implied by a well-formed code."""
    if layer == "townships":
        return DISTRICT_CODE
    if layer == "communities":
        return code[:9] + "000"
    return code[:12]
