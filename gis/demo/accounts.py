"""Demo accounts, one per role, with random passwords shown once by ``gridmap demo load``.

Demo only: in real use create accounts with ``gridmap user add`` and never load the demo.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.accounts.users import UserIn, create_user

DEMO_COMMUNITY = "朝阳山社区"
DEMO_COMMUNITY_CODE = "630202001001"  # 朝阳山社区居委会, 碾伯街道 (NBS 2023)
DEMO_DEPARTMENT = "cityadmin"


def _community_code(conn: Connection) -> str | None:
    """朝阳山社区 by its code, else by name (the demo may be loaded with other data)."""
    return conn.execute(
        sa.text(
            "SELECT code FROM admin_units WHERE level = 5 AND valid_to IS NULL "
            "AND (code = :c OR name LIKE '朝阳山%') ORDER BY code <> :c, code LIMIT 1"
        ),
        {"c": DEMO_COMMUNITY_CODE},
    ).scalar()


def demo_users(conn: Connection) -> list[UserIn]:
    """The demo accounts: a field worker on the grids of 朝阳山社区, a handler of cityadmin."""
    community = (
        _community_code(conn)
        or conn.execute(
            sa.text("SELECT min(community_code) FROM grids WHERE valid_to IS NULL")
        ).scalar()
    )
    out = [
        UserIn("admin", "admin", display_name="系统管理员 (demo)"),
        UserIn("commander", "commander", display_name="指挥中心值班员 (demo)"),
        UserIn("supervisor", "supervisor", display_name="监督员 (demo)"),
        UserIn("planner", "planner", display_name="规划科 (demo)"),
        UserIn("viewer", "viewer", display_name="只读用户 (demo)"),
        UserIn(
            "handler",
            "handler",
            department=DEMO_DEPARTMENT,
            display_name="区城市管理局处置员 (demo)",
        ),
    ]
    if community:
        out.append(
            UserIn(
                "fieldstaff",
                "field_staff",
                grids=(str(community),),
                display_name=f"{DEMO_COMMUNITY}网格员 (demo)",
            )
        )
    return out


def load_accounts(conn: Connection, *, seed: int) -> list[str]:
    """Create the demo accounts; returns lines to show once (with their passwords).

    Passwords are random (not derived from ``seed``): knowing the seed must not give access.
    Accounts that already exist are left alone.
    """
    del seed
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    lines = [
        "示例账户 (demo accounts — demo only; passwords are shown this once, "
        "change them with `gridmap user passwd` or the API):"
    ]
    made = 0
    for user_in in demo_users(conn):
        exists = conn.execute(
            sa.text("SELECT 1 FROM users WHERE username = :u"), {"u": user_in.username}
        ).scalar()
        if exists:
            continue
        password = secrets.token_urlsafe(12)
        create_user(session=session, user_in=user_in, password=password, actor="demo-load")
        extra = user_in.department or (f"grids of {DEMO_COMMUNITY}" if user_in.grids else "")
        lines.append(f"  {user_in.username:<11} {user_in.role:<11} {password}  {extra}".rstrip())
        made += 1
    session.commit()  # releases the savepoint; the load's transaction commits it all
    session.close()
    return lines if made else []
