"""The closed loop of a case (GB/T 30428-style): states, actions and who may take them.

Pure rules, no database: :func:`check` says whether ``role`` may take ``action`` on a case
in ``state`` and which state follows. The repository (:mod:`gis.cases.transitions`) applies
the result and writes the history row.

States: reported (上报) → registered (立案) or cancelled (注销) → dispatched (派遣) →
processing (处置) → responded (反馈) → closed (结案) after a passed check (核查), or back
to dispatched (返工) after a failed one. Extension (延期) is requested by the handler and
approved by the commander; suspension (缓办) pauses the clock until resumed.

Examples
--------
>>> check(action="register", state="reported", role="commander").to_state
'registered'
>>> check(action="verify_pass", state="responded", role="supervisor").to_state
'closed'
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.errors import Conflict, Forbidden, InvalidInput
from gis.models.cases import CASE_STATES

__all__ = [
    "ACTIONS",
    "CANCEL_REASONS",
    "CLOSED_STATES",
    "CLOCK_STATES",
    "OPEN_STATES",
    "STATES",
    "Rule",
    "check",
]

#: The states and their Chinese names (defined with the table).
STATES: dict[str, str] = CASE_STATES
#: States in which the case is finished (Open311 ``closed``).
CLOSED_STATES = frozenset({"cancelled", "closed", "merged"})
OPEN_STATES = frozenset(STATES) - CLOSED_STATES
#: States in which the deadline clock runs (a case here past its deadline is overdue).
CLOCK_STATES = frozenset({"dispatched", "processing"})
CANCEL_REASONS: dict[str, str] = {
    "invalid": "无效上报",
    "duplicate": "重复上报",
    "out_of_remit": "不属于受理范围",
}

#: Sentinel for actions that keep the state (extension) or restore it (resume).
SAME = "="
RESTORE = "<"


@dataclass(frozen=True)
class Rule:
    """One action: the states it starts from, the state it leads to, who may take it."""

    action: str
    label: str
    from_states: frozenset[str]
    to_state: str
    roles: frozenset[str]


def _rule(action: str, label: str, frm: set[str], to: str, roles: set[str]) -> Rule:
    return Rule(action, label, frozenset(frm), to, frozenset(roles) | {"admin"})


ACTIONS: dict[str, Rule] = {
    r.action: r
    for r in (
        _rule("register", "立案", {"reported"}, "registered", {"commander"}),
        _rule("cancel", "注销", {"reported", "registered"}, "cancelled", {"commander"}),
        _rule("dispatch", "派遣", {"registered"}, "dispatched", {"commander"}),
        _rule("accept", "开始处置", {"dispatched"}, "processing", {"handler", "field_staff"}),
        _rule("respond", "处置反馈", {"processing"}, "responded", {"handler", "field_staff"}),
        _rule("verify_pass", "核查通过", {"responded"}, "closed", {"supervisor"}),
        _rule("verify_fail", "核查不通过（返工）", {"responded"}, "dispatched", {"supervisor"}),
        _rule(
            "request_extension",
            "申请延期",
            {"dispatched", "processing"},
            SAME,
            {"handler", "field_staff"},
        ),
        _rule("approve_extension", "批准延期", {"dispatched", "processing"}, SAME, {"commander"}),
        _rule("reject_extension", "驳回延期", {"dispatched", "processing"}, SAME, {"commander"}),
        _rule("suspend", "缓办", {"dispatched", "processing"}, "suspended", {"commander"}),
        _rule("resume", "恢复办理", {"suspended"}, RESTORE, {"commander"}),
        _rule(
            "merge",
            "合并",
            {"reported", "registered", "dispatched", "processing", "suspended"},
            "merged",
            {"commander"},
        ),
    )
}
#: Actions the handling side takes; they are limited to the case's department or assignee.
HANDLER_ACTIONS = frozenset({"accept", "respond", "request_extension"})


def check(*, action: str, state: str, role: str, resume_state: str | None = None) -> Rule:
    """The rule for ``action`` if ``role`` may take it on a case in ``state``.

    Returns the rule with ``to_state`` resolved (``SAME`` → ``state``, ``RESTORE`` →
    ``resume_state``).

    Raises
    ------
    InvalidInput
        Unknown action.
    Forbidden
        The role may not take this action.
    Conflict
        The action is not allowed from the current state.
    """
    rule = ACTIONS.get(action)
    if rule is None:
        raise InvalidInput(
            f"未知操作 (unknown action): {action!r}; 可选 (one of): {', '.join(ACTIONS)}",
            field="action",
        )
    if role not in rule.roles:
        raise Forbidden(
            f"角色 {role} 不能执行「{rule.label}」(role may not {action})", field="action"
        )
    if state not in rule.from_states:
        raise Conflict(
            f"案卷处于「{STATES.get(state, state)}」状态，不能执行「{rule.label}」"
            f" (cannot {action} a case in state {state})",
            field="action",
            state=state,
        )
    to = rule.to_state
    if to == SAME:
        to = state
    elif to == RESTORE:
        to = resume_state or "dispatched"
    return Rule(rule.action, rule.label, rule.from_states, to, rule.roles)
