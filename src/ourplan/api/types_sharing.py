"""CareTeam, Consent and Task in the resource table (written through api.writes_sharing)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from ourplan.api import out_sharing, writes_sharing
from ourplan.api.access import visible_people
from ourplan.api.auth import Caller
from ourplan.api.resource_type import READ_INTERACTIONS, WRITE_INTERACTIONS, Link, ResourceType, choice_q, of_people
from ourplan.api.search import SearchParam, common_params, date_q, reference_q
from ourplan.api.sensitivity import visible_sensitive
from ourplan.api.types_people import patient_param
from ourplan.coordination.access import assigned_to_q, may_see
from ourplan.coordination.models import Task
from ourplan.core.models import AccessBasis
from ourplan.people.access import Grant, people_for
from ourplan.people.models import Consent
from ourplan.sharing.models import CareTeam, CareTeamMember

RECORD_KEEPERS = (AccessBasis.SELF, AccessBasis.DIRECT_CARE, AccessBasis.SYSTEM)


def record_keepers(caller: Caller, row: object, grant: Grant) -> bool:
    """The row-level form of the rule in _consents (and the audit trail's): the person, their practice and
    system clients."""
    return grant.basis in RECORD_KEEPERS


MEMBER = ("staff_member__practitioner", "staff_member__organisation", "organisation", "related_person")


def _consents(caller: Caller) -> QuerySet[Consent]:
    """The person's sharing decisions: for the person, their practice and system clients (not for those
    they share with, who see only that they may see the record)."""
    people = visible_people(caller)
    if caller.context != "system":
        people = people.filter(pk__in=people_for(caller.user, (AccessBasis.SELF, AccessBasis.DIRECT_CARE)))
    return Consent.objects.filter(person__in=people)


def _prepare_teams(caller: Caller, qs: QuerySet[CareTeam], sees_sensitive: bool | None) -> QuerySet[CareTeam]:
    members = CareTeamMember.objects.select_related(*MEMBER).order_by("joined_at", "id")
    return qs.select_related("person__practice").prefetch_related(Prefetch("members", queryset=members))


def _team_member(value: str) -> Q:
    return (reference_q("members__staff_member__public_id", "PractitionerRole")(value)
            | reference_q("members__related_person__public_id", "RelatedPerson")(value)
            | reference_q("members__organisation__public_id", "Organization")(value))



def _visible_tasks(caller: Caller) -> QuerySet[Task]:
    """Tasks as the website shows them (coordination.access): all of them for the practice (and system
    clients), the person's own tasks and the steps of their plan for the person, and only the tasks given to
    them for a carer or a care-team member from another organisation."""
    tasks = visible_sensitive("Task", Task)(caller)
    if caller.context == "system":
        return tasks
    user = caller.token.user
    direct = people_for(user, bases={AccessBasis.DIRECT_CARE, AccessBasis.EMERGENCY})
    own = Q(person__user=user) & (Q(for_person=True) | Q(action__isnull=False))
    return tasks.filter(Q(person__in=direct) | own | assigned_to_q(user))


def _task_permits(caller: Caller, task: Task, given: Grant) -> bool:
    return caller.context == "system" or may_see(caller.token.user, task, given)

TYPES = (
    ResourceType(
        "CareTeam", CareTeam, out_sharing.care_team, of_people(CareTeam), "person",
        common_params([
            patient_param("person__public_id", "Whose team: Patient/<id>"),
            patient_param("person__public_id", "Whose team: Patient/<id>", name="subject"),
            SearchParam("participant", "reference", "A member: PractitionerRole/<id>, Organization/<id> or "
                        "RelatedPerson/<id>", _team_member),
        ]),
        sorts={"_lastUpdated": "updated_at"}, profile=out_sharing.UK_CORE + "CareTeam",
        links=(Link("patient", "Patient", "person"), Link("subject", "Patient", "person")),
        prepare=_prepare_teams, interactions=READ_INTERACTIONS + WRITE_INTERACTIONS, writer=writes_sharing.CARE_TEAM,
    ),
    ResourceType(
        "Consent", Consent, out_sharing.consent, _consents, "person",
        common_params([
            patient_param("person__public_id", "Whose decision: Patient/<id>"),
            SearchParam("status", "token", "active or inactive (withdrawn)",
                        choice_q("status", Consent.Status.values, "http://hl7.org/fhir/consent-state-codes")),
            SearchParam("date", "date", "When it starts (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("starts_at", "date")),
        ]),
        sorts={"_lastUpdated": "updated_at", "date": "starts_at"}, profile=out_sharing.UK_CORE + "Consent",
        permits=record_keepers, interactions=READ_INTERACTIONS + WRITE_INTERACTIONS, writer=writes_sharing.CONSENT,
        select_related=("person__practice", "related_person", "staff_member__practitioner",
                        "staff_member__organisation", "organisation"),
        links=(Link("patient", "Patient", "person"),),
    ),
    ResourceType(
        "Task", Task, out_sharing.task, _visible_tasks, "person",
        common_params([
            patient_param("person__public_id", "Whose task: Patient/<id>"),
            patient_param("person__public_id", "Whose task: Patient/<id>", name="for"),
            SearchParam("status", "token", "requested, in-progress, completed, cancelled",
                        choice_q("status", Task.Status.values, "http://hl7.org/fhir/task-status")),
            SearchParam("focus", "reference", "The goal it is for: Goal/<id>", reference_q("goal__public_id", "Goal")),
            SearchParam("based-on", "reference", "The plan: CarePlan/<id>",
                        reference_q("plan__public_id", "CarePlan")),
            SearchParam("owner", "reference", "Who does it: PractitionerRole/<id>, Organization/<id>, "
                        "RelatedPerson/<id> or Patient/<id>",
                        lambda v: reference_q("assignee__staff_member__public_id", "PractitionerRole")(v)
                        | reference_q("assignee__organisation__public_id", "Organization")(v)
                        | reference_q("assignee__related_person__public_id", "RelatedPerson")(v)
                        | (reference_q("person__public_id", "Patient")(v) & Q(for_person=True))),
            SearchParam("authored-on", "date", "When it was made (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("created_at", "authored-on")),
            SearchParam("period", "date", "When it is due (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("due_date", "period", date_only=True)),
        ]),
        sorts={"_lastUpdated": "updated_at", "authored-on": "created_at", "period": "due_date"},
        profile=out_sharing.UK_CORE + "Task", interactions=READ_INTERACTIONS + WRITE_INTERACTIONS,
        writer=writes_sharing.TASK, permits=_task_permits,
        select_related=("person", "plan", "goal", "created_by__practitioner",
                        *(f"assignee__{m}" for m in MEMBER)),
        links=(Link("patient", "Patient", "person"), Link("for", "Patient", "person"),
               Link("focus", "Goal", "goal"), Link("based-on", "CarePlan", "plan")),
    ),
)
