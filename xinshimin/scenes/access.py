"""Who may do what in the scenes area: plain functions, one question each (see accounts.access).

``actor=None`` is the system (the demo, imports): it may do everything a service allows it to.
"""

from __future__ import annotations

from typing import Any

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role

from .models import ApplicationCheck, Objection, Scene

# The department that receives the final list (and records outcomes), by scene kind.
RECEIVING_DEPARTMENT = {Scene.Kind.SCHOOL: "education", Scene.Kind.HOUSING: "housing"}


def receiving_department_codes(scene: Scene) -> set[str]:
    """Departments that receive the final list and record outcomes: education for school places, housing
    for the subsidy, the responsible departments of other scenes."""
    code = RECEIVING_DEPARTMENT.get(scene.kind)  # type: ignore[call-overload]
    if code:
        return {code}
    return set(scene.departments.values_list("code", flat=True))


def may_receive_final_list(actor: Any, scene: Scene) -> bool:
    if is_role(actor, Role.CENTRE_ADMIN, Role.AUDITOR):
        return True
    return (
        is_role(actor, Role.REVIEWER)
        and actor.department is not None
        and actor.department.code in receiving_department_codes(scene)
    )


def may_decide_check(actor: Any, check: ApplicationCheck) -> bool:
    if actor is None or is_role(actor, Role.CENTRE_ADMIN):
        return True
    return is_role(actor, Role.REVIEWER) and actor.department_id == check.department_id


def may_decide_objection(actor: Any, objection: Objection) -> bool:
    if actor is None or is_role(actor, Role.CENTRE_ADMIN):
        return True
    return is_role(actor, Role.REVIEWER) and actor.department_id == objection.department_id
