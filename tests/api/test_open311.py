"""An Open311 GeoReport v2 round trip with a plain HTTP client (urllib), written from the spec."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gis.cases.settings import get_case_settings
from tests.gis.cases.livesrv import live_server

SEAT = (102.40041, 36.48023)


@pytest.fixture(scope="module")
def api_key(engine: Engine) -> Iterator[str]:
    """A valid key: an account API key when accounts exist, else an interim setting."""
    try:
        from gis.accounts.apikeys import create_api_key
    except ImportError:
        mp = pytest.MonkeyPatch()
        mp.setenv("GRIDMAP_OPEN311_API_KEYS", "sha256:" + "0" * 64 + ",k-open311-test")
        get_case_settings.cache_clear()
        yield "k-open311-test"
        mp.undo()
        get_case_settings.cache_clear()
        return
    with Session(engine) as s:
        _, key = create_api_key(session=s, name="open311-test", role="viewer")
        s.commit()
    yield key


@pytest.fixture(scope="module")
def base(engine: Engine, pg_url: str) -> Iterator[str]:
    with live_server(pg_url) as url:
        yield url + "/open311/v2"


def call(url: str, data: dict[str, str] | None = None) -> tuple[int, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body)  # POST form-urlencoded when data is given
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_round_trip(base: str, api_key: str) -> None:
    status, services = call(f"{base}/services.json?jurisdiction_id=630202")
    assert status == 200
    codes = {s["service_code"]: s for s in services}
    assert codes["0102"]["group"] == "市容环境" and codes["0102"]["metadata"] is True
    assert "0801" not in codes  # special populations are not a public service
    status, definition = call(f"{base}/services/0102.json")
    assert definition["attributes"][0]["code"] == "amount"

    status, created = call(
        f"{base}/requests.json",
        {
            "api_key": api_key,
            "jurisdiction_id": "630202",
            "service_code": "0102",
            "lat": str(SEAT[1]),
            "long": str(SEAT[0]),
            "description": "小区门口堆了很多垃圾",
            "first_name": "五",
            "last_name": "王",
            "phone": "13900002222",
            "attribute[amount]": "medium",
        },
    )
    assert status == 200, created
    rid = created[0]["service_request_id"]
    assert rid.startswith("630202-")

    status, one = call(f"{base}/requests/{rid}.json")
    assert status == 200 and len(one) == 1
    req = one[0]
    assert req["status"] == "open" and req["service_code"] == "0102"
    assert req["lat"] == round(SEAT[1], 3) and req["long"] == round(SEAT[0], 3)
    text = json.dumps(one, ensure_ascii=False)
    assert "13900002222" not in text and "王" not in text  # no personal data

    status, listed = call(f"{base}/requests.json?service_code=0102&status=open")
    assert rid in [r["service_request_id"] for r in listed]
    status, by_id = call(f"{base}/requests.json?service_request_id={rid}")
    assert [r["service_request_id"] for r in by_id] == [rid]
    status, closed = call(f"{base}/requests.json?service_code=0102&status=closed")
    assert rid not in [r["service_request_id"] for r in closed]


def test_address_only_is_placed_in_the_named_community(base: str, api_key: str) -> None:
    form = {"api_key": api_key, "service_code": "0104", "description": "路面脏"}
    status, _ = call(f"{base}/requests.json", {**form, "address_string": "火星某处"})
    assert status == 400
    status, created = call(f"{base}/requests.json", {**form, "address_string": "碾伯街道某路口"})
    assert status == 200, created


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"service_code": "0102", "lat": "36.48", "long": "102.40", "description": "x"}, 403),
        ({"api_key": "wrong", "service_code": "0102", "lat": "36.48", "long": "102.40"}, 403),
        ({"service_code": "9999", "lat": "36.48", "long": "102.40", "description": "x"}, 400),
        ({"service_code": "0102", "description": "x"}, 400),
        ({"service_code": "0102", "lat": "30", "long": "100", "description": "x"}, 400),
        ({"service_code": "0102", "lat": "36.48", "long": "102.40"}, 400),
        ({"service_code": "0506", "lat": "36.48", "long": "102.40", "description": "x"}, 400),
        ({"service_code": "0102", "lat": "36.48", "long": "102.40", "jurisdiction_id": "1"}, 400),
    ],
)
def test_errors_follow_the_spec(base: str, api_key: str, form: dict[str, str], code: int) -> None:
    if "api_key" not in form and code != 403:
        form = {**form, "api_key": api_key}
    status, body = call(f"{base}/requests.json", form)
    assert status == code
    assert isinstance(body, list) and body[0]["code"] == code and body[0]["description"]


def test_unknown_ids_are_404(base: str) -> None:
    assert call(f"{base}/requests/630202-19990101-0001.json")[0] == 404
    assert call(f"{base}/services/0801.json")[0] == 404
