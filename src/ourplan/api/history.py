"""Instance history (`GET [type]/[id]/_history`) and earlier versions for vread.

Which versions Ourplan can give (docs/fhir-api.md, "History"):
- every version written over the API: the resource exactly as it read after that write (api.WriteRecord);
- for CarePlan and Goal, every version of the plan since it started, rebuilt from the plan's PlanVersion
  snapshots (the website writes one on every change), so changes made on the website are there too;
- always the current version.
Other versions (a Patient changed on the website, say) are not kept as resources: the audit trail says
who changed what and when, but not the earlier content. History lists what there is, newest first.

Earlier versions of a person's records are given only to callers who see that person's sensitive
sections (people.access, api.access.grant): everyone else gets the current version alone, which is
redacted for them like any read. A stored version is the resource as its writer (who saw everything) read
it, and a rebuilt plan version quotes the goals it had then; redacting old versions goal by goal would
have to judge each against today's sensitivity rules (a goal's measure or register can make it sensitive
later), so they are not served at all. This is the website's rule too: plan history quotes every change,
so it needs sensitive access (docs/decisions/0008-sharing-model.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime

from ourplan.api import out_planning
from ourplan.api.access import grant
from ourplan.api.auth import Caller
from ourplan.api.models import WriteRecord
from ourplan.api.out_common import instant
from ourplan.api.resource_type import ResourceType
from ourplan.people.models import StaffMember
from ourplan.planning.models import CarePlan, Goal, GoalAction, PlanVersion
from ourplan.planning.snapshot import ACTION_FIELDS, GOAL_FIELDS, PLAN_FIELDS

MAX_VERSIONS = 500


@dataclass(frozen=True)
class Version:
    version: str
    resource: dict[str, Any]
    at: datetime
    created: bool


def _value(model: type[Any], name: str, raw: Any) -> Any:
    """A snapshot value (JSON) back to the model field's Python type."""
    field = model._meta.get_field(name)
    kind = field.get_internal_type()
    if raw is None or raw == "":
        return raw
    if kind == "DateField":
        return parse_date(raw) if isinstance(raw, str) else raw
    if kind == "DateTimeField":
        return parse_datetime(raw) if isinstance(raw, str) else raw
    if kind == "DecimalField":
        return Decimal(str(raw))
    return raw


def _goal_from(snapshot: dict[str, Any], current: Goal, plan: CarePlan, at: datetime) -> Goal:
    values = {name: _value(Goal, name, snapshot.get(name)) for name in GOAL_FIELDS if name in snapshot}
    values.setdefault("sensitive", getattr(current, "sensitive", False))
    goal = Goal(plan=plan, public_id=current.public_id, created_at=current.created_at, updated_at=at,
                version=int(snapshot.get("version", 1)), target_value=_value(Goal, "target_value",
                                                                            snapshot.get("target_value")),
                **values)
    goal._api_actions = [  # type: ignore[attr-defined]
        GoalAction(goal=goal, public_id=a["public_id"], version=int(a.get("version", 1)),
                   **{n: _value(GoalAction, n, a.get(n)) for n in ACTION_FIELDS if n in a})
        for a in snapshot.get("actions", [])
    ]
    return goal


def _plan_from(pv: PlanVersion, current: CarePlan, visible_goals: set[str]) -> CarePlan:
    snap = pv.snapshot
    fields = {n: _value(CarePlan, n, snap["plan"].get(n)) for n in PLAN_FIELDS if n in snap.get("plan", {})}
    reviewer_pk = snap.get("plan", {}).get("review_responsible")
    plan = CarePlan(pk=current.pk, person=current.person, public_id=current.public_id, created_at=current.created_at,
                    updated_at=pv.at, version=pv.number, agreed_with=current.agreed_with,
                    review_responsible=StaffMember.objects.filter(pk=reviewer_pk).first() if reviewer_pk else None,
                    **fields, **snap.get("about", {}))
    plan._api_goals = [_goal_from(g, Goal(public_id=g["public_id"], created_at=pv.at), plan, pv.at)  # type: ignore
                       for g in snap.get("goals", []) if g["public_id"] in visible_goals]
    plan._api_referrals = []  # type: ignore[attr-defined]
    plan._api_tasks = []  # type: ignore[attr-defined]
    return plan


def _from_snapshots(rt: ResourceType, obj: Any) -> dict[str, Version]:
    out: dict[str, Version] = {}
    if rt.name == "CarePlan":
        visible = {str(g.public_id) for g in out_planning.goals_of(obj)}
        for pv in PlanVersion.objects.filter(plan=obj).order_by("number")[:MAX_VERSIONS]:
            out[str(pv.number)] = Version(str(pv.number), out_planning.care_plan(_plan_from(pv, obj, visible)),
                                          pv.at, pv.number == 1)
    elif rt.name == "Goal":
        for pv in PlanVersion.objects.filter(plan_id=obj.plan_id).order_by("number")[:MAX_VERSIONS]:
            found = next((g for g in pv.snapshot.get("goals", []) if g["public_id"] == str(obj.public_id)), None)
            if found is None or str(found.get("version", 1)) in out:
                continue
            goal = _goal_from(found, obj, obj.plan, pv.at)
            out[str(goal.version)] = Version(str(goal.version), out_planning.goal(goal), pv.at, goal.version == 1)
    return out


def shows_earlier(caller: Caller, rt: ResourceType, obj: Any) -> bool:
    """Whether the caller may be given earlier versions of `obj`: directory data (no person) always; a
    person's record only with sensitive access to that person (see the module docstring)."""
    person = rt.person_of(obj) if rt.static is None else None
    return person is None or grant(caller, person).sees_sensitive


def versions(caller: Caller, rt: ResourceType, obj: Any) -> list[Version]:
    """Every version Ourplan can give this caller, newest first. `obj` is the row as the caller reads it
    (api.interactions.visible_object), so the current version is already redacted for them."""
    found: dict[str, Version] = {}
    if shows_earlier(caller, rt, obj):
        found = _from_snapshots(rt, obj)
        written = WriteRecord.objects.none() if rt.static is not None else WriteRecord.objects.filter(
            resource_type=rt.name, resource_id=obj.public_id)  # generated types (Questionnaire) are never written
        for w in written.order_by("version"):
            found[str(w.version)] = Version(str(w.version), w.resource, w.recorded, w.activity == "create")
    current = rt.serialize(obj)
    updated = getattr(obj, "updated_at", None) or datetime.now().astimezone()
    found[current["meta"]["versionId"]] = Version(current["meta"]["versionId"], current, updated,
                                                  current["meta"]["versionId"] == "1")
    return sorted(found.values(), key=lambda v: int(v.version) if v.version.isdigit() else 0, reverse=True)


def version(caller: Caller, rt: ResourceType, obj: Any, wanted: str) -> Version | None:
    return next((v for v in versions(caller, rt, obj) if v.version == wanted), None)


def bundle(caller: Caller, rt: ResourceType, obj: Any, base: str) -> dict[str, Any]:
    entries = []
    for v in versions(caller, rt, obj):
        entries.append({
            "fullUrl": f"{base}{rt.name}/{obj.public_id}",
            "resource": v.resource,
            "request": {"method": "POST" if v.created else "PUT",
                        "url": rt.name if v.created else f"{rt.name}/{obj.public_id}"},
            "response": {"status": "201 Created" if v.created else "200 OK", "etag": f'W/"{v.version}"',
                         "lastModified": instant(v.at)},
        })
    return {"resourceType": "Bundle", "type": "history", "total": len(entries),
            "link": [{"relation": "self", "url": f"{base}{rt.name}/{obj.public_id}/_history"}], "entry": entries}
