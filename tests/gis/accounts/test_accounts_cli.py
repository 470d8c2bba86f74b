"""``gridmap user …`` and ``gridmap apikey …`` as real processes; the demo accounts."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.accounts.apikeys import verify_api_key
from gis.accounts.passwords import verify_password

ROOT = Path(__file__).resolve().parents[3]


def gridmap(*args: str, url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDMAP_")}
    env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "gis.cli.main", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_user_and_key_commands(pg_url: str, engine: sa.Engine) -> None:
    name = f"cli{uuid.uuid4().hex[:6]}"
    with engine.connect() as conn:
        community = conn.execute(sa.text("SELECT min(community_code) FROM grids")).scalar_one()
    r = gridmap(
        "user",
        "add",
        name,
        "--role",
        "field_staff",
        "--grid",
        community,
        "--password-stdin",
        url=pg_url,
        stdin="a long cli password\n",
    )
    assert r.returncode == 0, r.stderr
    r = gridmap(
        "user",
        "add",
        name + "x",
        "--role",
        "field_staff",
        "--password-stdin",
        url=pg_url,
        stdin="a long cli password\n",
    )
    assert r.returncode != 0 and "grid" in r.stderr
    listing = gridmap("user", "list", url=pg_url)
    assert any(
        line.split()[:3] == [name, "field_staff", "active"] for line in listing.stdout.splitlines()
    )
    assert gridmap("user", "disable", name, url=pg_url).returncode == 0
    with Session(engine) as s:
        row = s.execute(
            sa.text("SELECT active, password_hash FROM users WHERE username = :u"), {"u": name}
        ).one()
        assert row.active is False and verify_password(row.password_hash, "a long cli password")
        who = (
            s.execute(
                sa.text("SELECT DISTINCT actor FROM audit_log WHERE object_id = :u"), {"u": name}
            )
            .scalars()
            .all()
        )
        assert len(who) == 1 and who[0].startswith("cli:")

    r = gridmap("apikey", "create", name, url=pg_url)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()  # the key alone on stdout, the rest on stderr
    with Session(engine) as s:
        assert verify_api_key(session=s, key=key) is not None
    assert gridmap("apikey", "revoke", name, url=pg_url).returncode == 0
    with Session(engine) as s:
        assert verify_api_key(session=s, key=key) is None


def test_demo_accounts_once_per_role(db: Session) -> None:
    from gis.demo.accounts import load_accounts

    db.execute(sa.text("DELETE FROM users"))
    conn = db.connection()
    lines = load_accounts(conn, seed=1)
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert {r[1] for r in rows.values()} == {
        "admin",
        "commander",
        "supervisor",
        "field_staff",
        "handler",
        "planner",
        "viewer",
    }
    grids, community = db.execute(
        sa.text(
            "SELECT u.grids, (SELECT array_agg(g.code ORDER BY g.code) FROM grids g "
            " JOIN admin_units a ON a.code = g.community_code AND a.name LIKE '朝阳山%'"
            " WHERE g.valid_to IS NULL) "
            "FROM users u WHERE username = 'fieldstaff'"
        )
    ).one()
    assert sorted(grids) == community and community
    assert (
        db.execute(sa.text("SELECT department FROM users WHERE username = 'handler'")).scalar_one()
        == "cityadmin"
    )
    stored = db.execute(
        sa.text("SELECT password_hash FROM users WHERE username = 'viewer'")
    ).scalar_one()
    assert verify_password(stored, rows["viewer"][2])
    assert load_accounts(conn, seed=1) == []  # shown once: a second load prints nothing
