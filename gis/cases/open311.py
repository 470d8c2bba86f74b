"""Open311 GeoReport v2 on top of cases: services from the taxonomy, requests from cases.

Public answers carry no personal data: no reporter details, no sensitive categories, and
locations rounded to three decimals (about 100 m here). ``service_request_id`` is the
case number. Status: ``closed`` for finished cases (结案, 注销, 已合并), else ``open``;
``expected_datetime`` is the deadline and ``agency_responsible`` the department.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.cases.apikeys import check_api_key
from gis.cases.repository import create_case
from gis.cases.schemas import CaseIn
from gis.cases.workflow import CANCEL_REASONS, CLOSED_STATES
from gis.errors import InvalidInput, NotFound, Unprocessable

JURISDICTION = "630202"
DEFAULT_DAYS = 90
MAX_RECORDS = 1000
ROUND = 3  # decimals: ~111 m of latitude, ~89 m of longitude at 36.5°N

#: Extra fields some services ask for (Open311 attribute definitions).
ATTRIBUTES: dict[str, list[dict[str, Any]]] = {
    "0102": [
        {
            "code": "amount",
            "datatype": "singlevaluelist",
            "required": False,
            "description": "垃圾数量 (amount of garbage)",
            "values": [
                {"key": "small", "name": "少量 (a few bags)"},
                {"key": "medium", "name": "较多 (a cart load)"},
                {"key": "large", "name": "大量 (a truck load)"},
            ],
        }
    ],
    "0405": [
        {
            "code": "plate_number",
            "datatype": "string",
            "required": False,
            "description": "车牌号 (licence plate)",
        }
    ],
    "0407": [
        {
            "code": "plate_number",
            "datatype": "string",
            "required": False,
            "description": "车牌号 (licence plate)",
        }
    ],
    "0506": [
        {
            "code": "road_name",
            "datatype": "string",
            "required": True,
            "description": "所在道路 (road where the cover is missing)",
        }
    ],
    "0603": [
        {
            "code": "workers",
            "datatype": "number",
            "required": False,
            "description": "涉及人数 (number of workers involved)",
        }
    ],
}

_SERVICES = sa.text("""
    SELECT c.code, c.name, c.name_en, p.name AS group_name, c.sla_hours
    FROM categories c JOIN categories p ON p.code = c.parent_code
    WHERE c.level = 2 AND NOT c.sensitive AND NOT p.sensitive
    ORDER BY c.code
""")


@dataclass(frozen=True)
class Outsider:
    """An Open311 client, acting through its API key."""

    username: str | None
    role: str = "open311"
    grids: frozenset[str] = frozenset()
    department: str | None = None
    sees_personal: bool = False


def services(*, session: Session) -> list[dict[str, Any]]:
    """GeoReport ``services.json``: each public 小类 as a service."""
    rows = session.execute(_SERVICES).mappings().all()
    session.rollback()
    return [
        {
            "service_code": r["code"],
            "service_name": r["name"],
            "description": f"{r['name_en']}；处置时限 {r['sla_hours']} 小时",
            "metadata": r["code"] in ATTRIBUTES,
            "type": "realtime",
            "keywords": r["name_en"].lower(),
            "group": r["group_name"],
        }
        for r in rows
    ]


def _public_codes(session: Session) -> set[str]:
    return {r[0] for r in session.execute(_SERVICES)}


def service_definition(*, session: Session, code: str) -> dict[str, Any]:
    """GeoReport ``services/{code}.json``."""
    if code not in _public_codes(session):
        raise NotFound(f"没有该服务 (no such service): {code}", field="service_code")
    session.rollback()
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": a["code"],
                "datatype": a["datatype"],
                "required": a["required"],
                "datatype_description": a.get("datatype_description", ""),
                "order": i + 1,
                "description": a["description"],
                **({"values": a["values"]} if "values" in a else {}),
            }
            for i, a in enumerate(ATTRIBUTES.get(code, []))
        ],
    }


_REQ_SELECT = """
    SELECT c.case_no, c.state, c.cancel_reason, m.case_no AS merged_into, c.category_code,
           cat.name AS service_name, c.description, d.name AS agency, c.reported_at,
           c.updated_at, c.deadline_at, c.address, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat
    FROM cases c
    JOIN categories cat ON cat.code = c.category_code
    JOIN categories p ON p.code = cat.parent_code
    LEFT JOIN departments d ON d.code = c.department_code
    LEFT JOIN cases m ON m.id = c.merged_into
    WHERE NOT cat.sensitive AND NOT p.sensitive
"""


def _w3c(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if t else None


def _request(r: Any) -> dict[str, Any]:
    closed = r["state"] in CLOSED_STATES
    notes = None
    if r["state"] == "cancelled":
        notes = f"已注销：{CANCEL_REASONS.get(r['cancel_reason'] or '', '')}"
    elif r["state"] == "merged":
        notes = f"已合并到 {r['merged_into']} (merged)"
    return {
        "service_request_id": r["case_no"],
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": r["service_name"],
        "service_code": r["category_code"],
        "description": r["description"],
        "agency_responsible": r["agency"],
        "service_notice": None,
        "requested_datetime": _w3c(r["reported_at"]),
        "updated_datetime": _w3c(r["updated_at"]),
        "expected_datetime": _w3c(r["deadline_at"]),
        "address": r["address"],
        "address_id": None,
        "zipcode": None,
        "lat": round(r["lat"], ROUND),
        "long": round(r["lon"], ROUND),
        "media_url": None,
    }


def parse_w3c(value: str, field: str) -> datetime:
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{field} 不是 W3C 日期时间 (not a W3C datetime)", field=field) from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def list_requests(
    *,
    session: Session,
    ids: list[str] | None = None,
    service_codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: list[str] | None = None,
) -> list[dict[str, Any]]:
    """GeoReport ``requests.json`` GET: by ids, or filtered within 90 days (1000 at most)."""
    if ids:
        rows = (
            session.execute(
                sa.text(_REQ_SELECT + " AND c.case_no = ANY(:ids) ORDER BY c.reported_at DESC"),
                {"ids": ids[:MAX_RECORDS]},
            )
            .mappings()
            .all()
        )
        session.rollback()
        return [_request(r) for r in rows]
    end = end or datetime.now(UTC)
    start = start or end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise InvalidInput("start_date 晚于 end_date (start after end)", field="start_date")
    sql = _REQ_SELECT + " AND c.reported_at >= :start AND c.reported_at <= :end"
    params: dict[str, Any] = {"start": start, "end": end, "lim": MAX_RECORDS}
    if service_codes:
        sql += " AND c.category_code = ANY(:codes)"
        params["codes"] = service_codes
    if statuses:
        bad = [s for s in statuses if s not in ("open", "closed")]
        if bad:
            raise InvalidInput(f"status 只能是 open 或 closed: {bad[0]}", field="status")
        if statuses == ["open"]:
            sql += " AND c.state <> ALL(:closed)"
        elif statuses == ["closed"]:
            sql += " AND c.state = ANY(:closed)"
        params["closed"] = sorted(CLOSED_STATES)
    rows = (
        session.execute(sa.text(sql + " ORDER BY c.reported_at DESC LIMIT :lim"), params)
        .mappings()
        .all()
    )
    session.rollback()
    return [_request(r) for r in rows]


def get_request(*, session: Session, request_id: str) -> list[dict[str, Any]]:
    """GeoReport ``requests/{id}.json`` (a list of one)."""
    found = list_requests(session=session, ids=[request_id])
    if not found:
        raise NotFound(f"没有该请求 (no such service request): {request_id}", field="id")
    return found


def _geocode(session: Session, address: str) -> tuple[float, float]:
    """A point for an address: the community (or township) whose name the text contains."""
    row = session.execute(
        sa.text("""
            SELECT ST_X(p), ST_Y(p) FROM (
                SELECT coalesce(seat, ST_PointOnSurface(geom)) AS p, level, name
                FROM admin_units
                WHERE valid_to IS NULL AND level IN (4, 5) AND position(name IN :a) > 0
                ORDER BY level DESC, length(name) DESC LIMIT 1) s
        """),
        {"a": address},
    ).first()
    if row is None:
        raise InvalidInput(
            "无法根据地址定位，请提供 lat/long (address not recognised; send lat and long)",
            field="address_string",
        )
    return float(row[0]), float(row[1])


def _attributes(code: str, form: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in ATTRIBUTES.get(code, []):
        raw = form.get(f"attribute[{a['code']}]")
        if raw is None or raw == "":
            if a["required"]:
                raise InvalidInput(
                    f"缺少必填属性 (attribute required): {a['code']}", field=a["code"]
                )
            continue
        if a["datatype"] == "number":
            try:
                out[a["code"]] = float(raw)
            except ValueError as exc:
                raise InvalidInput(f"{a['code']} 须为数字 (number)", field=a["code"]) from exc
        elif a["datatype"] == "singlevaluelist":
            if raw not in {v["key"] for v in a["values"]}:
                raise InvalidInput(f"{a['code']} 取值无效 (bad value): {raw}", field=a["code"])
            out[a["code"]] = raw
        else:
            out[a["code"]] = raw[:200]
    return out


def _float(form: dict[str, str], name: str) -> float | None:
    raw = form.get(name)
    if raw in (None, ""):
        return None
    try:
        return float(raw)  # type: ignore[arg-type]
    except ValueError as exc:
        raise InvalidInput(f"{name} 须为数字 (must be a number)", field=name) from exc


def create_request(*, session: Session, form: dict[str, str]) -> list[dict[str, Any]]:
    """GeoReport ``requests.json`` POST (form fields as sent).

    Raises
    ------
    Forbidden
        Missing or invalid ``api_key``.
    InvalidInput
        Unknown jurisdiction or service, no location, missing required attribute …
    Unprocessable
        A point outside the district.
    """
    key_name = check_api_key(session=session, key=form.get("api_key"))
    session.rollback()
    jur = form.get("jurisdiction_id")
    if jur and jur not in (JURISDICTION, JURISDICTION + "000000"):
        raise InvalidInput(f"jurisdiction_id 应为 {JURISDICTION}: {jur}", field="jurisdiction_id")
    code = form.get("service_code") or ""
    if code not in _public_codes(session):
        raise InvalidInput(f"没有该服务 (no such service_code): {code!r}", field="service_code")
    lat, lon = _float(form, "lat"), _float(form, "long")
    address = (form.get("address_string") or "").strip() or None
    if lat is None or lon is None:
        if address is None:
            raise InvalidInput("须提供 lat/long 或 address_string (location required)", field="lat")
        lon, lat = _geocode(session, address)
    name = " ".join(x for x in (form.get("last_name"), form.get("first_name")) if x) or None
    try:
        case_in = CaseIn(
            lon=lon,
            lat=lat,
            category=code,
            description=(form.get("description") or "").strip() or " ",
            address=address,
            reporter_name=name,
            reporter_phone=form.get("phone") or None,
            attributes=_attributes(code, form),
        )
    except ValueError as exc:  # pydantic: bad phone and the like
        field = "phone" if "phone" in str(exc) else "description"
        raise InvalidInput(f"参数无效 (invalid parameter): {field}", field=field) from exc
    session.rollback()
    try:
        res = create_case(
            session=session,
            case_in=case_in,
            actor=Outsider(username=f"open311:{key_name}"),
            source="open311",
        )
    except Unprocessable as exc:
        raise InvalidInput(exc.message, field="lat") from exc
    return [
        {
            "service_request_id": res.case["case_no"],
            "service_notice": "已受理，将在工作时间内处理 (received)",
            "account_id": None,
        }
    ]
