"""QuestionnaireResponse, Questionnaire, Appointment, ServiceRequest, HealthcareService, Communication,
AuditEvent and Provenance in the resource table."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from ourplan.api import extensions as X
from ourplan.api import out_audit, out_messaging, out_recall, out_support, writes_directory, writes_questionnaire
from ourplan.api.access import visible_people
from ourplan.api.auth import Caller
from ourplan.api.models import WriteRecord
from ourplan.api.resource_type import CREATE_ONLY, Link, ResourceType, choice_q, everyone, of_people
from ourplan.api.search import SearchParam, as_uuid, common_params, date_q, reference_q, string_q, token
from ourplan.api.sensitivity import hidden_writes_q, is_hidden_write, visible_sensitive
from ourplan.api.types_people import patient_param
from ourplan.api.types_sharing import record_keepers
from ourplan.core.models import AccessBasis, AuditAction, AuditEvent
from ourplan.messaging.models import Communication
from ourplan.people.access import Grant, people_for
from ourplan.people.models import Person
from ourplan.recall.models import Appointment, AppointmentKind, QuestionnaireResponse
from ourplan.support.models import Referral, Service
from ourplan.support.referrals import FHIR_STATUS


def _questionnaire_q(value: str) -> Q:
    """A canonical URL (with or without |version), "Questionnaire/<key>" or the key."""
    key = value.split("|")[0].rstrip("/").rsplit("/", 1)[-1]
    return Q(questionnaire=key)


def _instrument_match(attribute: str) -> Any:
    def match(row: out_recall.Instrument, value: str) -> bool:
        wanted = value.split("|")[0] if attribute == "url" else value
        got = getattr(row, attribute)
        return bool(got == wanted or (attribute == "name" and str(got).lower().startswith(wanted.lower())))
    return match


def _questionnaire_code(row: out_recall.Instrument, value: str) -> bool:
    system, code = token(value)
    panel = out_recall.PANEL_CODES.get(row.key)
    return panel is not None and system in (None, X.LOINC) and panel[0] == code


def _static_id(row: out_recall.Instrument, value: str) -> bool:
    return row.key == value


def _referral_status(value: str) -> Q:
    """FHIR status codes map to Ourplan's statuses (active covers sent, accepted and attended)."""
    system, code = token(value)
    if system not in (None, "", "http://hl7.org/fhir/request-status"):
        return Q(pk__in=[])
    return Q(status__in=[ours for ours, fhir in FHIR_STATUS.items() if fhir == code])


def _referral_intent(value: str) -> Q:
    _, code = token(value)
    kinds = {"order": Referral.Kind.REFERRAL, "proposal": Referral.Kind.SIGNPOSTING}
    return Q(kind=kinds[code]) if code in kinds else Q(pk__in=[])


def _communication_status(value: str) -> Q:
    _, code = token(value)
    return Q(status__in=[ours for ours, fhir in out_messaging.STATUS.items() if fhir == code])


def _audit_people(caller: Caller) -> QuerySet[Person]:
    """Whose audit trail the caller may read: the person their own, staff at the practice (and system
    clients) their patients'. Not carers or other teams: who looked at a record is for the person and
    those responsible for the record."""
    people = visible_people(caller)
    if caller.context == "system":
        return people
    return people.filter(pk__in=people_for(caller.user, (AccessBasis.SELF, AccessBasis.DIRECT_CARE)))


def _audit_events(caller: Caller) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(person_id_ref__in=_audit_people(caller).values("public_id"))


def _provenance(caller: Caller) -> QuerySet[WriteRecord]:
    mine = Q(person_id_ref__in=visible_people(caller).values("public_id"))
    # Writes to directory data (a HealthcareService) belong to no person: staff and system clients see them.
    directory = Q(person_id_ref__isnull=True) if caller.context != "patient" else Q(pk__in=[])
    return WriteRecord.objects.filter(mine | directory).exclude(hidden_writes_q(caller))


def _provenance_permits(caller: Caller, row: WriteRecord, grant: Grant) -> bool:
    """The row-level form of the sensitive rule in _provenance."""
    return not is_hidden_write(row.resource_type, row.resource_id, grant.sees_sensitive)


def _target_q(value: str) -> Q:
    parts = [p for p in value.split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) < 2 or as_uuid(parts[-1]) is None:
        return Q(pk__in=[])
    return Q(resource_type=parts[-2], resource_id=as_uuid(parts[-1]))


def _audit_action(value: str) -> Q:
    _, code = token(value)
    actions = [a for a, c in out_audit.ACTION.items() if c == code]
    return Q(action__in=actions) if actions else Q(pk__in=[])


TYPES = (
    ResourceType(
        "QuestionnaireResponse", QuestionnaireResponse, out_recall.questionnaire_response,
        visible_sensitive("QuestionnaireResponse", QuestionnaireResponse), "person",
        common_params([
            patient_param("person__public_id", "Whose answers: Patient/<id>"),
            patient_param("person__public_id", "Whose answers: Patient/<id>", name="subject"),
            SearchParam("questionnaire", "reference", "The questionnaire: its canonical URL or Questionnaire/<id>",
                        _questionnaire_q),
            SearchParam("authored", "date", "When it was answered (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("authored_at", "authored")),
            SearchParam("status", "token", "completed (every stored response)",
                        lambda v: Q() if token(v)[1] == "completed" else Q(pk__in=[])),
        ]),
        sorts={"_lastUpdated": "updated_at", "authored": "authored_at"},
        profile=out_recall.UK_CORE + "QuestionnaireResponse",
        select_related=("person", "recorded_by__practitioner"),
        interactions=CREATE_ONLY, writer=writes_questionnaire.QUESTIONNAIRE_RESPONSE,
        links=(Link("patient", "Patient", "person"), Link("subject", "Patient", "person"),
               Link("questionnaire", "Questionnaire", "questionnaire", by_public_id=True)),
    ),
    ResourceType(
        "Questionnaire", QuestionnaireResponse, out_recall.questionnaire,
        lambda caller: QuestionnaireResponse.objects.none(), None,
        {p.name: p for p in (
            SearchParam("_id", "token", "The questionnaire's key (phq9, gad7, ...)", lambda v: Q(),
                        match=_static_id),
            SearchParam("url", "uri", "Its canonical URL", lambda v: Q(), match=_instrument_match("url")),
            SearchParam("name", "string", "Its name (starts with, any case)", lambda v: Q(),
                        match=_instrument_match("name")),
            SearchParam("code", "token", "The instrument's LOINC panel code", lambda v: Q(), match=_questionnaire_code),
        )},
        profile=out_recall.UK_CORE + "Questionnaire", static=out_recall.instruments,
        documentation="Generated from the instruments Ourplan scores (clinical.questionnaires); read-only.",
    ),
    ResourceType(
        "Appointment", Appointment, out_recall.appointment, of_people(Appointment), "person",
        common_params([
            patient_param("person__public_id", "Whose appointment: Patient/<id>"),
            SearchParam("actor", "reference", "A participant: Patient/<id> or PractitionerRole/<id>",
                        lambda v: reference_q("person__public_id", "Patient")(v)
                        | reference_q("slot__staff__public_id", "PractitionerRole")(v)),
            SearchParam("status", "token", "booked, fulfilled, noshow, cancelled",
                        choice_q("status", Appointment.Status.values, "http://hl7.org/fhir/appointmentstatus")),
            SearchParam("date", "date", "When it starts (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("slot__start", "date")),
            SearchParam("appointment-type", "token", "information-gathering, conversation, review",
                        choice_q("kind", AppointmentKind.values, X.APPOINTMENT_KIND)),
        ]),
        sorts={"_lastUpdated": "updated_at", "date": "slot__start"},
        profile=out_recall.UK_CORE + "Appointment",
        select_related=("person", "slot__staff__practitioner", "slot__staff__organisation"),
        links=(Link("patient", "Patient", "person"),),
    ),
    ResourceType(
        "ServiceRequest", Referral, out_support.service_request, visible_sensitive("ServiceRequest", Referral),
        "person",
        common_params([
            patient_param("person__public_id", "Whose referral: Patient/<id>"),
            patient_param("person__public_id", "Whose referral: Patient/<id>", name="subject"),
            SearchParam("status", "token", "active, revoked, completed", _referral_status),
            SearchParam("intent", "token", "order (a referral) or proposal (signposting)", _referral_intent),
            SearchParam("authored", "date", "When it was made (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("sent_at", "authored")),
            SearchParam("performer", "reference", "The service: HealthcareService/<id>",
                        reference_q("service__public_id", "HealthcareService")),
        ]),
        sorts={"_lastUpdated": "updated_at", "authored": "sent_at"},
        profile=out_support.UK_CORE + "ServiceRequest", interactions=CREATE_ONLY,
        writer=writes_directory.SERVICE_REQUEST,
        select_related=("person", "service", "created_by__practitioner"),
        links=(Link("patient", "Patient", "person"), Link("subject", "Patient", "person"),
               Link("performer", "HealthcareService", "service"),
               Link("supporting-info", "Goal", "goal_public_id", by_public_id=True)),
    ),
    ResourceType(
        "HealthcareService", Service, out_support.healthcare_service, everyone(Service), None,
        common_params([
            SearchParam("name", "string", "Name (starts with, any case)", string_q("name")),
            SearchParam("active", "token", "true or false",
                        lambda v: Q(active=v == "true") if v in ("true", "false") else Q(pk__in=[])),
            SearchParam("organization", "reference", "Who runs it: Organization/<id>",
                        reference_q("maintained_by__public_id", "Organization")),
            SearchParam("service-category", "token", "A directory category (physical-activity, ...)",
                        lambda v: Q(category_codes__contains=token(v)[1]) if token(v)[1] else Q(pk__in=[])),
        ]),
        sorts={"_lastUpdated": "updated_at", "name": "name"},
        profile=out_support.UK_CORE + "HealthcareService", select_related=("maintained_by",),
        interactions=CREATE_ONLY, writer=writes_directory.HEALTHCARE_SERVICE,
        links=(Link("organization", "Organization", "maintained_by"),),
    ),
    ResourceType(
        "Communication", Communication, out_messaging.communication, of_people(Communication), "person",
        common_params([
            patient_param("person__public_id", "Who it was about: Patient/<id>"),
            patient_param("person__public_id", "Who it was about: Patient/<id>", name="subject"),
            SearchParam("status", "token", "preparation, completed, not-done, stopped", _communication_status),
            SearchParam("category", "token", "invitation, preparation, reminder, notice",
                        choice_q("kind", Communication.Kind.values, X.COMMUNICATION_KIND)),
            SearchParam("sent", "date", "When it was sent (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("sent_at", "sent")),
        ]),
        sorts={"_lastUpdated": "updated_at", "sent": "sent_at"},
        profile=out_messaging.UK_CORE + "Communication", select_related=("person",),
        links=(Link("patient", "Patient", "person"), Link("subject", "Patient", "person")),
    ),
    ResourceType(
        "AuditEvent", AuditEvent, out_audit.audit_event, _audit_events, None,
        {p.name: p for p in (
            SearchParam("_id", "token", "The event's id", lambda v: Q(public_id=as_uuid(v)) if as_uuid(v) else
                        Q(pk__in=[])),
            SearchParam("patient", "reference", "Whose record: Patient/<id>",
                        reference_q("person_id_ref", "Patient")),
            SearchParam("date", "date", "When (prefixes eq, ne, lt, le, gt, ge)", date_q("at", "date")),
            SearchParam("action", "token", "C, R, U, D or E", _audit_action),
            SearchParam("subtype", "token", "Ourplan's action: read, search, create, update, import, denied, ...",
                        choice_q("action", AuditAction.values, out_audit.OURPLAN_ACTION)),
        )},
        sorts={"date": "at"}, interactions=("read", "search-type"), person_ref="person_id_ref",
        permits=record_keepers,
        select_related=("actor__practitioner",),
        documentation="Read-only. A person sees the events about their own record; practice staff and system "
                      "clients those about their patients.",
    ),
    ResourceType(
        "Provenance", WriteRecord, out_audit.provenance, _provenance, None,
        {p.name: p for p in (
            SearchParam("_id", "token", "The record's id", lambda v: Q(public_id=as_uuid(v)) if as_uuid(v) else
                        Q(pk__in=[])),
            SearchParam("patient", "reference", "Whose record was written: Patient/<id>",
                        reference_q("person_id_ref", "Patient")),
            SearchParam("target", "reference", "What was written: <Type>/<id>", _target_q),
            SearchParam("recorded", "date", "When (prefixes eq, ne, lt, le, gt, ge)", date_q("recorded", "recorded")),
        )},
        sorts={"recorded": "recorded"}, interactions=("read", "search-type"), person_ref="person_id_ref",
        permits=_provenance_permits, profile=out_audit.UK_CORE + "Provenance",
        select_related=("agent_user__practitioner", "organisation"),
        documentation="Read-only: one per resource version written over the API (decision 0009).",
    ),
)
