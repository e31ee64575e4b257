"""The person's care team, their consent decisions and co-ordination tasks to FHIR (UK Core CareTeam,
Consent and Task). Written back through api.writes_sharing, which reads every element written here."""

from __future__ import annotations

from typing import Any

from ourplan.api import extensions as X
from ourplan.api.out_common import UK_CORE, concept, day, instant, meta_base, prune, reference, user_reference
from ourplan.coordination.models import Task
from ourplan.people.models import Consent
from ourplan.sharing.models import CareTeam, CareTeamMember

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"


def member_reference(m: CareTeamMember) -> dict[str, Any]:
    if m.related_person_id and m.related_person is not None:
        return reference("RelatedPerson", m.related_person, str(m.related_person))
    if m.staff_member_id and m.staff_member is not None:
        return reference("PractitionerRole", m.staff_member, m.name)
    assert m.organisation is not None
    return reference("Organization", m.organisation, str(m.organisation))


def care_team(t: CareTeam) -> dict[str, Any]:
    participants = []
    for m in t.members.all():  # prefetched by the resource table
        participants.append(prune({
            "role": [concept(X.CODE_SYSTEM + "care-team-role", m.role, m.get_role_display(), m.get_role_display())],
            "member": member_reference(m),
            # No onBehalfOf: FHIR allows it only for a Practitioner member (ctm-1), and a PractitionerRole
            # already names the organisation.
            "period": prune({"start": instant(m.joined_at), "end": instant(m.left_at) if m.left_at else None}),
        }))
    person = t.person
    return prune({
        "resourceType": "CareTeam",
        "id": str(t.public_id),
        "meta": meta_base(t, UK_CORE + "CareTeam"),
        "status": "active",
        "name": "Care team",
        "subject": reference("Patient", person),
        "participant": participants,
        "managingOrganization": [reference("Organization", person.practice, person.practice.name)]
        if person.practice is not None else [],
    })


def _grantee(c: Consent) -> dict[str, Any]:
    if c.related_person_id and c.related_person is not None:
        return reference("RelatedPerson", c.related_person, str(c.related_person))
    if c.staff_member_id and c.staff_member is not None:
        return reference("PractitionerRole", c.staff_member, str(c.staff_member))
    assert c.organisation is not None
    return reference("Organization", c.organisation, str(c.organisation))


def consent(c: Consent) -> dict[str, Any]:
    actions = [concept(CONSENT_ACTION, "access", "Access")]
    if c.can_contribute:
        actions.append(concept(CONSENT_ACTION, "correct", "Access and Correct"))
    provision: dict[str, Any] = prune({
        "type": "permit",
        "period": prune({"start": instant(c.starts_at), "end": instant(c.ends_at) if c.ends_at else None}),
        "actor": [{"role": concept(PARTICIPATION, "IRCP", "information recipient"), "reference": _grantee(c)}],
        "action": actions,
    })
    if not c.include_sensitive:
        # The sensitive sections (mental health, safeguarding) are held back unless the person shares them.
        provision["provision"] = [{"type": "deny", "securityLabel": [
            {"system": ACT_CODE, "code": "PSY", "display": "psychiatry disorder information sensitivity"}]}]
    person = c.person
    return prune({
        "resourceType": "Consent",
        "id": str(c.public_id),
        "meta": meta_base(c, UK_CORE + "Consent"),
        "extension": [X.ext(X.CONSENT_SENSITIVE, valueBoolean=True)] if c.include_sensitive else [],
        "status": c.status,
        "scope": concept(CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
        "category": [concept("http://loinc.org", "59284-0", "Patient Consent")],
        "patient": reference("Patient", person),
        "dateTime": instant(c.starts_at),
        "performer": [reference("Patient", person)] if not c.given_by else [{"display": c.given_by}],
        "organization": [reference("Organization", person.practice, person.practice.name)]
        if person.practice is not None else [],
        "policyRule": concept(ACT_CODE, "OPTIN", "opt-in"),
        "provision": provision,
    })


def _owner(t: Task) -> dict[str, Any] | None:
    if t.for_person:
        return reference("Patient", t.person)
    return member_reference(t.assignee) if t.assignee is not None else None


def task(t: Task) -> dict[str, Any]:
    restriction = {"period": {"end": day(t.due_date)}} if t.due_date else None
    return prune({
        "resourceType": "Task",
        "id": str(t.public_id),
        "meta": meta_base(t, UK_CORE + "Task"),
        "basedOn": [reference("CarePlan", t.plan)] if t.plan is not None else [],
        "status": t.status,
        "intent": "order",
        "code": concept(X.CODE_SYSTEM + "task-kind", t.kind, t.get_kind_display(), t.get_kind_display()),
        "description": t.title,
        "focus": reference("Goal", t.goal) if t.goal is not None else None,
        "for": reference("Patient", t.person),
        "authoredOn": instant(t.created_at),
        "lastModified": instant(t.updated_at),
        "requester": user_reference(t.created_by),
        "owner": _owner(t),
        "executionPeriod": {"end": instant(t.completed_at)} if t.completed_at else None,
        "restriction": restriction,
        "note": [{"text": t.description}] if t.description else [],
        "output": [{"type": {"text": "Outcome"}, "valueString": t.outcome}] if t.outcome else [],
    })
