"""Breakout groups, pure: planning who goes where, the round's clock, people's own picks.

- `plan`: the plan (`make_plan`) and every change to it, with the problems to show.
- `timer`: when the round ends, and when to warn that it is ending.
- `choosing`: a group picked in the chat ("group 2") or on the keypad ("2#").
- `record`: plans and rounds as JSON-safe records and back.
"""

from facilitation.breakouts.choosing import chosen_group, keypad_group
from facilitation.breakouts.plan import (
    MAX_GROUPS,
    MAX_NAME,
    Group,
    Member,
    Method,
    Mode,
    Plan,
    PlanError,
    Problem,
    ProblemCode,
    Request,
    Route,
    choose,
    make_plan,
    move,
    place_late,
    remove,
    rename,
    set_facilitator,
)
from facilitation.breakouts.record import (
    plan_from_record,
    plan_to_record,
    round_from_record,
    round_to_record,
)
from facilitation.breakouts.timer import (
    MAX_MINUTES,
    WARNINGS,
    Round,
    TimerError,
    due,
    extend,
    is_over,
    mark_warned,
    seconds_left,
    start,
)

__all__ = [
    "MAX_GROUPS",
    "MAX_MINUTES",
    "MAX_NAME",
    "WARNINGS",
    "Group",
    "Member",
    "Method",
    "Mode",
    "Plan",
    "PlanError",
    "Problem",
    "ProblemCode",
    "Request",
    "Round",
    "Route",
    "TimerError",
    "choose",
    "chosen_group",
    "due",
    "extend",
    "is_over",
    "keypad_group",
    "make_plan",
    "mark_warned",
    "move",
    "place_late",
    "plan_from_record",
    "plan_to_record",
    "remove",
    "rename",
    "round_from_record",
    "round_to_record",
    "seconds_left",
    "set_facilitator",
    "start",
]
