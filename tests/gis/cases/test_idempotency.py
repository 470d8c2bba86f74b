"""Exactly-once intake under concurrency: identical reports at the same moment make one case."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gis.cases.repository import CreateResult, create_case
from gis.cases.schemas import CaseIn


@dataclass(frozen=True)
class Who:
    username: str | None = "wg_race"
    role: str = "field_staff"
    grids: frozenset[str] = field(default_factory=frozenset)
    department: str | None = None
    sees_personal: bool = True


def _race(engine: Engine, case_in: CaseIn, n: int) -> list[CreateResult | BaseException]:
    barrier = threading.Barrier(n)
    out: list[CreateResult | BaseException] = [RuntimeError("not run")] * n

    def run(i: int) -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                out[i] = create_case(session=session, case_in=case_in, actor=Who())
            except BaseException as exc:  # noqa: BLE001 — reported by the assertion
                out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_identical_reports_at_once_make_one_case(engine: Engine) -> None:
    for _ in range(3):  # a few rounds: the race must be lost every time, not by luck
        cid = uuid.uuid4()
        case_in = CaseIn(
            client_id=cid, lon=102.4012, lat=36.4805, category="0104", description="并发重发"
        )
        results = _race(engine, case_in, 4)
        assert all(isinstance(r, CreateResult) for r in results), results
        nos = {r.case["case_no"] for r in results}  # type: ignore[union-attr]
        assert len(nos) == 1
        assert sum(r.created for r in results) == 1  # type: ignore[union-attr]
        with engine.connect() as conn:
            n = conn.execute(
                sa.text("SELECT count(*) FROM cases WHERE client_id = :c"), {"c": cid}
            ).scalar_one()
            events = conn.execute(
                sa.text(
                    "SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                    "WHERE c.client_id = :c"
                ),
                {"c": cid},
            ).scalar_one()
        assert n == 1 and events == 1


def test_different_reports_at_once_get_distinct_numbers(engine: Engine) -> None:
    barrier = threading.Barrier(6)
    nos: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        with Session(engine) as session:
            barrier.wait()
            r = create_case(
                session=session,
                case_in=CaseIn(
                    client_id=uuid.uuid4(),
                    lon=102.4012,
                    lat=36.4805,
                    category="0104",
                    description="并发不同",
                ),
                actor=Who(),
            )
            with lock:
                nos.append(r.case["case_no"])

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(nos) == 6 and len(set(nos)) == 6
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in nos)
    assert seqs == list(range(seqs[0], seqs[0] + 6))  # consecutive: no gaps, no repeats


def test_numbers_past_9999_keep_all_digits(engine: Engine) -> None:
    from datetime import UTC, datetime

    from gis.cases.numbering import day_of

    day = day_of(datetime.now(UTC))
    with Session(engine) as s:  # make sure today's sequence exists, then move it near 9999
        create_case(
            session=s,
            case_in=CaseIn(
                client_id=uuid.uuid4(), lon=102.4012, lat=36.4805, category="0104", description="n"
            ),
            actor=Who(),
        )
    with engine.begin() as conn:
        seq = f"case_no_seq_{day}"
        conn.execute(
            sa.text("SELECT setval(CAST(:s AS regclass), greatest(last_value, 9998)) FROM " + seq),
            {"s": seq},
        )
    nos = []
    with Session(engine) as s:
        for _ in range(3):
            nos.append(
                create_case(
                    session=s,
                    case_in=CaseIn(
                        client_id=uuid.uuid4(),
                        lon=102.4012,
                        lat=36.4805,
                        category="0104",
                        description="第一万号之后",
                    ),
                    actor=Who(),
                ).case["case_no"]
            )
    seqs = [int(n.rsplit("-", 1)[1]) for n in nos]
    assert seqs == list(range(seqs[0], seqs[0] + 3)) and seqs[-1] >= 10000
    assert len(nos[-1].rsplit("-", 1)[1]) == len(str(seqs[-1]))
