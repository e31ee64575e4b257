"""Sensitive sections (mental health and the like) over the API, decided exactly as on the website:
clinical.sensitivity says which rows are sensitive, people.access.people_with_sensitive_for says whose
sensitive rows a user may see. A row that is sensitive for someone the caller may not see it for is left
out everywhere (read 404, search, _include, $everything, export), as if it did not exist.

System clients (backend services bound to a practice) see the practice's record as the practice does,
sensitive sections included: they act for the practice's direct care, like the GP system they sync."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet

from ourplan.api.access import visible_people
from ourplan.api.auth import Caller
from ourplan.clinical.models import Condition, Observation
from ourplan.clinical.sensitivity import (
    sensitive_condition_q,
    sensitive_goal_q,
    sensitive_observation_q,
    sensitive_questionnaire_q,
)
from ourplan.people.access import people_with_sensitive_for
from ourplan.people.models import Person
from ourplan.planning.models import Goal

# Per resource type: (model, ORM path to the person, the Q matching its sensitive rows).
_RULES: dict[str, tuple[str, str, Callable[[], Q]]] = {
    "Observation": ("clinical.Observation", "person", sensitive_observation_q),
    "Condition": ("clinical.Condition", "person", sensitive_condition_q),
    "Goal": ("planning.Goal", "plan__person", sensitive_goal_q),
    "QuestionnaireResponse": ("recall.QuestionnaireResponse", "person", sensitive_questionnaire_q),
    # A task for a sensitive goal says what the goal is about.
    "Task": ("coordination.Task", "person", lambda: sensitive_goal_q("goal__")),
    # So does a referral made for one ("Talking therapy for low mood"). A referral names its goal by public
    # id (support.Referral.goal_public_id), not by foreign key.
    "ServiceRequest": ("support.Referral", "person", lambda: Q(
        goal_public_id__in=Goal.objects.filter(sensitive_goal_q()).values("public_id"))),
}


def sensitive_people_for(caller: Caller) -> QuerySet[Person] | None:
    """The people whose sensitive rows the caller may see; None means all the caller may see at all."""
    if caller.context == "system":
        return None
    people = people_with_sensitive_for(caller.user)
    if caller.context == "patient":
        return people.filter(pk=caller.token.patient_id) if caller.token.patient_id else Person.objects.none()
    return people


def without_hidden(name: str, qs: QuerySet[Any], caller: Caller, sees_sensitive: bool | None = None
                   ) -> QuerySet[Any]:
    """`qs` less the sensitive rows of people whose sensitive sections the caller may not see. When the
    rows are one person's and the caller's grant for them is known, `sees_sensitive` saves the subquery."""
    rule = _RULES.get(name)
    if rule is None or sees_sensitive is True:
        return qs
    _, path, sensitive = rule
    if sees_sensitive is False:
        return qs.exclude(sensitive())
    allowed = sensitive_people_for(caller)
    if allowed is None:
        return qs
    return qs.exclude(sensitive() & ~Q(**{f"{path}__in": allowed}))


def visible_sensitive(name: str, model: type[Any], path: str = "person") -> Callable[[Caller], QuerySet[Any]]:
    """`visible` for a type with sensitive rows: the people the caller may see, less hidden sensitive rows."""

    def visible(caller: Caller) -> QuerySet[Any]:
        qs = model._default_manager.filter(**{f"{path}__in": visible_people(caller)})
        return without_hidden(name, qs, caller)

    return visible


def visible_clinical(name: str) -> Callable[[Caller], QuerySet[Any]]:
    return visible_sensitive(name, Condition if name == "Condition" else Observation)


def is_hidden(name: str, model: type[Any], pk: Any, sees_sensitive: bool) -> bool:
    """For one row of a person whose grant is known: is it a sensitive row they may not see?"""
    rule = _RULES.get(name)
    if rule is None or sees_sensitive:
        return False
    return bool(model._default_manager.filter(pk=pk).filter(rule[2]()).exists())


def hidden_writes_q(caller: Caller) -> Q:
    """API writes (api.WriteRecord, served as Provenance) of sensitive rows the caller may not see: a
    Provenance names its target (`Goal/<id>/_history/2`), which would tell them the sensitive goal exists."""
    allowed = sensitive_people_for(caller)
    q = Q(pk__in=[])
    if allowed is None:
        return q
    for name, (label, path, sensitive) in _RULES.items():
        rows = apps.get_model(label)._default_manager.filter(sensitive()).exclude(**{f"{path}__in": allowed})
        q |= Q(resource_type=name, resource_id__in=rows.values("public_id"))
    return q


def is_hidden_write(resource_type: str, resource_id: Any, sees_sensitive: bool) -> bool:
    """hidden_writes_q for one write of a person whose grant is known."""
    rule = _RULES.get(resource_type)
    if rule is None or sees_sensitive:
        return False
    return bool(apps.get_model(rule[0])._default_manager.filter(public_id=resource_id).filter(rule[2]()).exists())
