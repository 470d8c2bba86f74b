"""Inputs of the case workflow, validated before anything is written."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
AttrValue = str | int | float | bool


class CaseIn(BaseModel):
    """A report from the field (or from an outside channel)."""

    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID | None = Field(
        default=None, description="客户端生成的 UUID；重发时返回同一案卷 (idempotency key)"
    )
    lon: float = Field(description="经度 (longitude)")
    lat: float = Field(description="纬度 (latitude)")
    crs: str = Field(default="wgs84", description="wgs84 (default), gcj02, bd09, epsg:NNNN")
    category: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] = Field(
        description="小类代码 (sub-category code, 4 digits)"
    )
    description: Text
    address: Short | None = None
    reporter_name: Short | None = None
    reporter_phone: Annotated[str, StringConstraints(pattern=r"^[0-9+\- ]{5,20}$")] | None = None
    attributes: dict[str, AttrValue] = Field(
        default_factory=dict, description="附加字段，特殊人群等敏感类别为个人信息 (extra fields)"
    )
    reported_at: datetime | None = Field(
        default=None, description="离线上报时的现场时间 (device time of an offline report)"
    )


class ActionIn(BaseModel):
    """One workflow action on a case."""

    model_config = ConfigDict(extra="forbid")

    action: Literal[
        "register",
        "cancel",
        "dispatch",
        "accept",
        "respond",
        "verify_pass",
        "verify_fail",
        "request_extension",
        "approve_extension",
        "reject_extension",
        "suspend",
        "resume",
        "merge",
    ]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    reason: Literal["invalid", "duplicate", "out_of_remit"] | None = Field(
        default=None, description="注销原因 (cancel reason)"
    )
    department: str | None = Field(default=None, description="派遣部门代码 (dispatch)")
    assignee: str | None = Field(default=None, description="派遣网格员用户名 (dispatch)")
    hours: Decimal | None = Field(
        default=None, gt=0, le=2000, description="延期工作小时 (extension hours)"
    )
    into: str | None = Field(default=None, description="合并到的案卷编号 (merge survivor)")
    lon: float | None = Field(
        default=None, ge=-180, le=180, description="操作位置经度 (where the action happened)"
    )
    lat: float | None = Field(default=None, ge=-90, le=90, description="操作位置纬度")
