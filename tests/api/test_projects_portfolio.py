"""Portfolio totals equal the sums over the register; the Gantt payload follows milestones."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from fastapi.testclient import TestClient

VIEWER = {"X-Gridmap-User": "v1", "X-Gridmap-Role": "viewer"}
BASE = "/api/v1/projects"


@pytest.mark.parametrize("as_of", ["2026-01-15", "2026-11-26", "2027-08-01"])
def test_portfolio_sums_equal_the_sum_of_projects(client: TestClient, as_of: str) -> None:
    projects = client.get(BASE, params={"as_of": as_of}, headers=VIEWER).json()["projects"]
    detail = [client.get(f"{BASE}/{p['id']}", params={"as_of": as_of}, headers=VIEWER).json()
              for p in projects]  # fmt: skip
    pf = client.get(f"{BASE}/portfolio", params={"as_of": as_of}, headers=VIEWER).json()
    t = pf["totals"]
    assert t["projects"] == len(projects)
    assert t["budget"] == pytest.approx(sum(p["budget_total"] for p in projects))
    assert t["spent"] == pytest.approx(sum(p["spent_to_date"] for p in projects))
    assert t["funded"] == pytest.approx(sum(a["amount"] for d in detail for a in d["funding"]))
    counts = Counter(p["status"] for p in projects)
    by_status = {s["status"]: s for s in pf["by_status"]}
    assert set(by_status) == {"not_started", "on_track", "at_risk", "late", "completed"}
    for s, row in by_status.items():
        assert row["projects"] == counts.get(s, 0)
        assert row["budget"] == pytest.approx(
            sum(p["budget_total"] for p in projects if p["status"] == s)
        )
    by_source: dict[str, float] = defaultdict(float)
    for d in detail:
        for a in d["funding"]:
            by_source[a["source"]] += a["amount"]
    for row in pf["by_funding_source"]:
        assert row["amount"] == pytest.approx(by_source.get(row["source"], 0.0))
    towns: dict[str, list[dict]] = defaultdict(list)  # type: ignore[type-arg]
    for p in projects:
        towns[p["township_code"]].append(p)
    assert {t["township_code"] for t in pf["by_township"]} == set(towns)
    for row in pf["by_township"]:
        mine = towns[row["township_code"]]
        assert row["projects"] == len(mine)
        assert row["budget"] == pytest.approx(sum(p["budget_total"] for p in mine))
        assert row["statuses"] == dict(Counter(p["status"] for p in mine))


def test_statuses_move_with_the_day(client: TestClient) -> None:
    early = client.get(f"{BASE}/portfolio", params={"as_of": "2025-01-01"}, headers=VIEWER).json()
    now = client.get(f"{BASE}/portfolio", params={"as_of": "2026-11-26"}, headers=VIEWER).json()
    n_early = {s["status"]: s["projects"] for s in early["by_status"]}
    n_now = {s["status"]: s["projects"] for s in now["by_status"]}
    # before any milestone: not started, or at risk where today's spending is already booked
    assert n_early["late"] == n_early["on_track"] == n_early["completed"] == 0
    assert n_early["not_started"] >= 5
    assert n_now["late"] >= 2 and n_now["at_risk"] >= 2 and n_now["not_started"] >= 2


def test_gantt_has_planned_and_actual_bars(client: TestClient) -> None:
    g = client.get(f"{BASE}/gantt", params={"as_of": "2026-11-26"}, headers=VIEWER).json()
    assert g["range"]["start"] <= "2025-09-01" and g["range"]["end"] >= "2027-06-30"
    by_name = {p["name"][:3]: p for p in g["projects"]}
    jhj = next(p for p in g["projects"] if p["name"].startswith("九哈家"))
    bars = {b["kind"]: b for b in jhj["bars"]}
    assert len(jhj["bars"]) == 8 and jhj["status"] == "late"
    assert bars["construction_start"]["done"] and bars["construction_start"]["actual"]["end"]
    # structure under way since the start; planned to end on 2026-10-31, now late
    assert bars["structure_complete"]["actual"] == {
        "start": bars["construction_start"]["actual"]["end"], "end": None, "open": True
    }  # fmt: skip
    assert (
        bars["structure_complete"]["late"]
        and bars["structure_complete"]["planned"]["end"] == "2026-10-31"
    )
    assert bars["acceptance"]["actual"] is None and not bars["acceptance"]["late"]
    for p in g["projects"]:
        for a, b in zip(p["bars"], p["bars"][1:], strict=False):
            if a["planned"] and b["planned"]:
                assert b["planned"]["start"] == a["planned"]["end"] <= b["planned"]["end"]
    assert by_name  # every project is in the payload
    group = client.get(
        f"{BASE}/gantt", params={"plan_group": "start_next_year"}, headers=VIEWER
    ).json()
    assert len(group["projects"]) == 5


def test_standards_are_served(client: TestClient) -> None:
    s = client.get(f"{BASE}/standards", headers=VIEWER).json()
    kinds = {r["kind"]: r for r in s["facility_standards"]}
    assert kinds["office_service_site"]["per_100_households_m2"] == 30.0
    assert sum(s["milestone_weights"].values()) == 100.0
