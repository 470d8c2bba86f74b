"""Shared pieces of layer specs: case states, open-case counts, colour ramps."""

from __future__ import annotations

from layers.spec import LegendEntry

# Case states that count as open (the aggregates in migration 0002 use the same list).
OPEN_STATES = ("reported", "registered", "dispatched", "processing", "responded", "suspended")
OPEN_STATES_SQL = "(" + ", ".join(f"'{s}'" for s in OPEN_STATES) + ")"

STATE_NAMES_SQL = (
    "CASE {col} WHEN 'reported' THEN '上报' WHEN 'registered' THEN '立案' "
    "WHEN 'cancelled' THEN '注销' WHEN 'dispatched' THEN '派遣' WHEN 'processing' THEN '处置中' "
    "WHEN 'responded' THEN '已反馈' WHEN 'closed' THEN '结案' WHEN 'suspended' THEN '缓办' "
    "WHEN 'merged' THEN '已合并' END"
)

# Open-case ramp used by townships, communities and grids (fill colour by open cases).
OPEN_CASE_STEPS = (
    (0, "#edf8e9"),
    (5, "#bae4b3"),
    (20, "#fdae6b"),
    (50, "#e6550d"),
    (100, "#a63603"),
)


def open_case_legend() -> tuple[LegendEntry, ...]:
    out = []
    for i, (lo, color) in enumerate(OPEN_CASE_STEPS):
        hi = OPEN_CASE_STEPS[i + 1][0] - 1 if i + 1 < len(OPEN_CASE_STEPS) else None
        label = f"在办案卷 {lo}–{hi}" if hi is not None else f"在办案卷 ≥{lo}"
        out.append(LegendEntry(label=label, color=color, value=str(lo)))
    return tuple(out)


def case_counts_join(alias: str) -> str:
    """``LEFT JOIN`` of a unit's case counts as ``k.n``/``k.n_open``, looked up per unit (an
    index probe) rather than by aggregating the counts of the whole district for every tile."""
    return (
        "LEFT JOIN LATERAL (SELECT n, n_open FROM layer_case_counts c "
        f"WHERE c.unit_code = {alias}.code OFFSET 0) k ON true"
    )


ILLUSTRATIVE_NOTE = "示意边界，非法定界线 (illustrative boundaries, not official)"
