"""The authorization matrix: every URL pattern in the site, against every persona, for one person's record
(Margaret's) and the objects in it. The list of URLs comes from the URL configuration, so a new view with
no rule here fails `test_every_url_pattern_has_a_rule`. For each (URL, persona):

- a persona the rule allows gets the page (or a redirect, a refused form, "method not allowed"), never
  "not found";
- anyone else gets exactly what a missing record gets: 404 (anonymous: the login page), and nothing of
  Margaret's in the response;
- the request writes exactly one access audit event (the read, search, download or refusal), or none for
  pages that touch nobody's record. Changes a request makes are audited separately by the actions.

Each request runs in a savepoint that is rolled back, so one persona's POST cannot change what the next
persona meets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from ourplan.coordination.actions import do_create_task
from ourplan.core.models import AuditEvent
from ourplan.fhir.models import HeldResource
from ourplan.people.models import Consent
from ourplan.planning import actions as plans
from ourplan.planning.models import BudgetItem, Decision, DecisionAid
from ourplan.preparation.models import BatchJob
from ourplan.recall.models import Appointment, AppointmentKind, AppointmentSlot
from ourplan.support.models import Referral, Service, SupportAlert
from tests.sharing_support import care_team, carer_member, plan_with_sensitive_part, staff_of

PERSONAS = ("clinician", "admin", "clinic_nurse", "outsider", "person", "other_person", "carer", "carer_expired",
            "carer_withdrawn", "commissioner", "anonymous")
LOGGED_IN = frozenset(PERSONAS) - {"anonymous"}
DIRECT = frozenset({"clinician", "admin"})  # staff at Margaret's practice: direct care
SENSITIVE = frozenset({"clinician"})  # clinical work at the practice (review mode)
SHARED_STAFF = DIRECT | {"clinic_nurse"}  # plus her care team member from the hospital clinic (consent)
STAFF = SHARED_STAFF | {"outsider"}  # any staff member, anywhere
CLINICAL_STAFF = frozenset({"clinician", "clinic_nurse", "outsider"})
ADMIN = frozenset({"admin"})
MINE = frozenset({"person", "carer"})  # Margaret herself and her carer with consent in force
SELF = frozenset({"person"})
OWN_RECORD = frozenset({"person", "other_person"})  # pages about "my own record": each sees only their own
ALL = frozenset(PERSONAS)
# People who may never see anything of Margaret's, on any page.
# Commissioners see aggregates only: no person's details, anywhere.
NEVER_MARGARET = frozenset({"outsider", "other_person", "carer_expired", "carer_withdrawn", "commissioner",
                            "anonymous"})
GP_STAFF = DIRECT | {"outsider"}  # staff of a GP practice (insight is per practice)
COMMISSIONER = frozenset({"commissioner"})


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    events: int = 1  # access audit events for an allowed request (0: the page touches nobody's record)
    kwargs: dict[str, str] = field(default_factory=dict)  # URL parameter -> world object name
    about_margaret: bool = True  # False: the page is about the viewer's own record or no one's
    # A page about "my own record" (under /my/ with no id): others are sent home (302, no event) or told
    # "not found" (404, one refusal event), depending on whether the page has somewhere useful to send them.
    own: bool = False


def R(allowed: frozenset[str], events: int = 1, about_margaret: bool = True, **kwargs: str) -> Rule:
    return Rule(allowed, events, kwargs, about_margaret)


def OWN(allowed: frozenset[str] = OWN_RECORD, **kwargs: str) -> Rule:
    return Rule(allowed, 1, kwargs, False, own=True)


RULES: dict[str, Rule] = {
    # site
    "home": R(ALL, 0, False), "healthz": R(ALL, 0, False),
    # people
    "people:register": R(STAFF, about_margaret=False), "people:person_detail": R(SHARED_STAFF),
    "people:my_home": OWN(LOGGED_IN - COMMISSIONER), "people:shared_person": R(MINE),
    # recall
    "recall:worklist": R(STAFF, about_margaret=False), "recall:invite_selected": R(STAFF, 0, False),
    "recall:invite_all_confirm": R(STAFF, 0, False), "recall:invite_all": R(STAFF, 0, False),
    "recall:gather_score": R(STAFF, 0, False, key="phq9"), "recall:diary": R(STAFF, about_margaret=False),
    "recall:new_slots": R(STAFF, 0, False), "recall:appointment_status": R(DIRECT, public_id="appointment"),
    "recall:staff_calendar": R(DIRECT, public_id="staff_member"), "recall:book": R(DIRECT),
    "recall:person_calendar": R(DIRECT), "recall:gather": R(DIRECT), "recall:gather_complete": R(DIRECT),
    # preparation
    "preparation:my_pack": OWN(), "preparation:my_letter": OWN(SELF),
    "preparation:shared_pack": R(MINE), "preparation:shared_letter": R(MINE),
    "preparation:person": R(DIRECT), "preparation:send": R(DIRECT), "preparation:staff_letter": R(DIRECT),
    "preparation:paper_reply": R(DIRECT), "preparation:overview": R(STAFF, about_margaret=False),
    "preparation:start_job": R(STAFF, 0, False, kind="send-packs"), "preparation:job": R(DIRECT, 0, public_id="job"),
    "preparation:job_run_again": R(DIRECT, 0, public_id="job"), "preparation:job_pdf": R(DIRECT, public_id="job"),
    "preparation:prompt_sheet": R(CLINICAL_STAFF, 0, False), "preparation:readability": R(STAFF, 0, False),
    # planning, staff side
    "planning:workspace": R(DIRECT), "planning:agenda": R(DIRECT), "planning:notes": R(DIRECT),
    "planning:plan": R(SHARED_STAFF), "planning:start": R(DIRECT), "planning:agree": R(DIRECT),
    "planning:history": R(DIRECT), "planning:about": R(DIRECT), "planning:goal_new": R(DIRECT),
    "planning:goal_edit": R(DIRECT, goal_id="goal"), "planning:action_new": R(DIRECT, goal_id="goal"),
    "planning:action_edit": R(DIRECT, action_id="action"), "planning:action_mark": R(DIRECT, action_id="action"),
    "planning:contingency_new": R(DIRECT), "planning:contingency_edit": R(DIRECT, item_id="contingency"),
    "planning:decision_new": R(DIRECT), "planning:decision_edit": R(DIRECT, decision_id="decision"),
    "planning:budget": R(DIRECT), "planning:budget_item_new": R(DIRECT),
    "planning:budget_item_remove": R(DIRECT, item_id="budget_item"), "planning:pdf": R(SHARED_STAFF),
    "planning:aids": R(STAFF, 0, False), "planning:aid_new": R(STAFF, 0, False),
    "planning:aid_edit": R(STAFF, 0, False, aid_id="aid"),
    "planning:aid_approve": R(CLINICAL_STAFF, 0, False, aid_id="aid"),
    # planning, the person's side
    # Margaret's carer may read her plan but not change it: her consent does not let them contribute.
    "planning:my_plan": OWN(), "planning:shared_plan": R(MINE),
    "planning:my_history": R(SELF), "planning:my_about": R(SELF), "planning:my_goal_new": R(SELF),
    "planning:my_goal_edit": R(SELF, goal_id="goal"), "planning:my_action_new": R(SELF, goal_id="goal"),
    "planning:my_action_edit": R(SELF, action_id="action"), "planning:my_action_mark": R(SELF, action_id="action"),
    "planning:my_pdf": R(MINE),
    # support
    "support:services": R(STAFF, 0, False), "support:service_new": R(STAFF, 0, False),
    "support:service_edit": R(STAFF, 0, False, public_id="service"), "support:person_support": R(DIRECT),
    "support:referral_create": R(DIRECT), "support:referrals": R(STAFF, about_margaret=False),
    "support:referral_update": R(DIRECT, public_id="referral"), "support:alert_ack": R(DIRECT, public_id="alert"),
    "support:unmet_need_create": R(STAFF, 0, False), "support:my_support": OWN(),
    "support:shared_support": R(MINE), "support:goal_checkin": R(SELF, goal_id="goal"),
    "support:goal_rhythm": R(SELF, goal_id="goal"), "support:my_readings": OWN(),
    "support:shared_readings": R(MINE),
    # FHIR imports (admin queue)
    "fhir:held_queue": R(ADMIN, about_margaret=False), "fhir:held_retry": R(ADMIN, 0, False),
    "fhir:held_discard": R(ADMIN, 0, False, public_id="held"),
    # sharing
    "sharing:staff_team": R(SHARED_STAFF), "sharing:staff_add_member": R(DIRECT),
    "sharing:staff_remove_member": R(DIRECT, member_id="member"), "sharing:staff_record_share": R(DIRECT),
    "sharing:staff_withdraw": R(DIRECT, consent_id="consent"), "sharing:sensitive_notes": R(DIRECT),
    "sharing:emergency_access": R(CLINICAL_STAFF, 0, False), "sharing:audit_search": R(ADMIN, about_margaret=False),
    "sharing:my_team": OWN(), "sharing:my_share": OWN(), "sharing:my_withdraw": R(SELF, consent_id="consent"),
    "sharing:my_seen": OWN(),
    # co-ordination
    "coordination:worklist": R(STAFF, about_margaret=False), "coordination:task": R(DIRECT, task_id="task"),
    "coordination:person_tasks": R(SHARED_STAFF), "coordination:my_task_done": R(DIRECT | {"carer"}, task_id="task"),
    # review: scoring goals needs the sensitive sections (goals may be sensitive); admin staff see the tab
    "review:home": R(DIRECT), "review:offer": R(DIRECT), "review:panel": R(DIRECT), "review:start": R(SENSITIVE),
    "review:mode": R(SENSITIVE, review_id="review"), "review:score": R(SENSITIVE, review_id="review", goal_id="goal"),
    "review:clear": R(SENSITIVE, review_id="review", goal_id="goal"),
    "review:complete": R(SENSITIVE, review_id="review"),
    "review:shared_measures": R(MINE), "review:shared_how": R(MINE),
    # answering a mood questionnaire for someone needs their consent to contribute AND to see sensitive parts
    "review:shared_measure": R(SELF, key="phq2"),
    "review:my_measures": OWN(), "review:my_measure": OWN(key="phq2"), "review:my_how": OWN(),
    "review:my_collaborate_offer": OWN(),
    # insight: practice dashboards for GP practice staff; drill-downs and exports list people (audited)
    "insight:index": R(STAFF, 0, False), "insight:fidelity": R(GP_STAFF, 0, False),
    "insight:outcomes": R(GP_STAFF, 0, False),
    "insight:figure_people": R(GP_STAFF, about_margaret=False, key="had"),
    "insight:gap_people": R(GP_STAFF, about_margaret=False, key="invite_to_conversation"),
    "insight:figure_people_export": R(GP_STAFF, about_margaret=False, key="had", fmt="csv"),
    "insight:gap_people_export": R(GP_STAFF, about_margaret=False, key="invite_to_conversation", fmt="csv"),
    "insight:export": R(GP_STAFF, about_margaret=False, dashboard="fidelity", fmt="csv"),
    "insight:report": R(GP_STAFF, about_margaret=False),
    # commissioners: the same dashboards across their practices, aggregates only
    "insight:c_index": R(COMMISSIONER, 0, False), "insight:c_fidelity": R(COMMISSIONER, 0, False),
    "insight:c_outcomes": R(COMMISSIONER, 0, False), "insight:c_report": R(COMMISSIONER, about_margaret=False),
    "insight:c_export": R(COMMISSIONER, about_margaret=False, dashboard="fidelity", fmt="csv"),
}
# The FHIR API has its own authorization tests (bearer tokens, not sessions): tests/test_fhir_api_access.py.
# allauth's own pages (login, MFA, password reset) are public or guarded by allauth itself.
SKIPPED_PREFIXES = ("api:", "account_", "mfa_", "socialaccount_")


def _walk(patterns: list[Any], prefix: str = "", ns: str | None = None) -> list[tuple[str, str]]:
    found = []
    for p in patterns:
        if isinstance(p, URLResolver):
            found += _walk(p.url_patterns, prefix + str(p.pattern), p.namespace or ns)
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}" if ns and p.name else (p.name or f"<unnamed {prefix}{p.pattern}>")
            found.append((name, prefix + str(p.pattern)))
    return found


def url_names() -> list[str]:
    names = {name for name, route in _walk(get_resolver().url_patterns)
             if not name.startswith(SKIPPED_PREFIXES) and not route.startswith("accounts/")}
    return sorted(names)


def test_every_url_pattern_has_a_rule():
    missing = [n for n in url_names() if n not in RULES]
    assert not missing, f"URL patterns with no authorization rule: {missing}"


@pytest.fixture
def world(person, clinician, practice_admin, other_clinician, other_person, carer, carer_expired, carer_withdrawn,
          practice):
    plan = plan_with_sensitive_part(person, clinician)
    team = care_team(person, clinician)
    member = carer_member(person, carer, clinician)
    task = do_create_task(clinician, person, title="Pick up the new walking shoes", assignee=member,
                          action=plan.carer_action)
    aid = DecisionAid.objects.filter(retired=False).first() or DecisionAid.objects.create(
        title="Test aid", question="Which?", options=[{"name": "A"}, {"name": "B"}])
    decision = plans.do_add_decision(clinician, plan.plan, {"question": "Start a statin?", "aid": aid})
    budget = plans.do_set_budget(clinician, plan.plan, None, {"funding_source": "nhs",
                                                             "indicative_allocation": Decimal("1000")})
    item = BudgetItem.objects.create(budget=budget, description="Gym", amount=Decimal("100"))
    service = Service.objects.create(name="Walking group", description="Walks", category_codes="physical-activity")
    referral = Referral.objects.create(person=person, service=service, reason="Wants to walk more")
    alert = SupportAlert.objects.create(person=person, level="amber", trigger="peak-flow", message="Amber")
    slot = AppointmentSlot.objects.create(practice=practice, staff=staff_of(clinician),
                                          start=timezone.now() + timedelta(days=3), kind=AppointmentKind.CONVERSATION)
    from ourplan.recall.cycle import do_start_cycle

    cycle = do_start_cycle(clinician, person)
    appointment = Appointment.objects.create(cycle=cycle, person=person, slot=slot, kind=slot.kind, length_minutes=20)
    from tests.prep_support import sent_by_portal

    sent_by_portal(clinician, person)  # a preparation pack, so there is a letter to download
    job = BatchJob.objects.create(kind=BatchJob.Kind.PRINT_LETTERS, practice=practice, requested_by=clinician,
                                  status="done", params={"people": [str(person.public_id)]})
    from ourplan.preparation.jobs import output_path

    output_path(job).parent.mkdir(parents=True, exist_ok=True)
    output_path(job).write_bytes(b"%PDF-1.4 test")
    job.output_file = output_path(job).name
    job.save()
    held = HeldResource.objects.create(resource_type="Observation", source_system="test", source_id="h1",
                                       resource={"resourceType": "Observation"}, waiting_for="Patient/x",
                                       reason="Unknown patient")
    consent = Consent.objects.get(person=person, related_person__user=carer, status="active")
    from ourplan.review.actions import do_start_review

    review = do_start_review(clinician, person, "formal")
    from ourplan.insight.models import CommissionerAccess
    from tests import factories as f

    commissioner = f.user("icb.morgan", "Chris", "Morgan")
    CommissionerAccess.objects.create(user=commissioner).organisations.add(practice)
    users = {"commissioner": commissioner, "clinician": clinician, "admin": practice_admin,
             "clinic_nurse": team.clinic_nurse, "outsider": other_clinician, "person": person.user,
             "other_person": other_person.user,
             "carer": carer, "carer_expired": carer_expired, "carer_withdrawn": carer_withdrawn}
    objects = {
        "person": person.public_id, "goal": plan.open_goal.public_id,
        "action": plan.open_goal.actions.first().public_id, "contingency": plan.plan.contingencies.first().public_id,
        "decision": Decision.objects.get(pk=decision.pk).public_id,
        "budget_item": item.public_id, "aid": aid.public_id, "member": member.public_id, "consent": consent.public_id,
        "task": task.public_id, "service": service.public_id, "referral": referral.public_id, "alert": alert.public_id,
        "appointment": appointment.public_id, "staff_member": str(staff_of(clinician).public_id),
        "job": job.public_id, "held": held.public_id, "review": review.public_id,
    }
    return {"users": users, "objects": objects, "person": person}


def _url(name: str, rule: Rule, objects: dict[str, Any]) -> str:
    params: dict[str, Any] = {}
    route = dict(_walk(get_resolver().url_patterns))[name]
    for param in ("public_id", "goal_id", "action_id", "item_id", "decision_id", "aid_id", "member_id", "consent_id",
                  "task_id", "review_id", "key", "kind", "fmt", "dashboard"):
        if f":{param}>" in route or f"<{param}>" in route:
            source = rule.kwargs.get(param, "person" if param == "public_id" else param)
            params[param] = objects.get(source, source)
    return reverse(name, kwargs=params)


def _client(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _request(client: Client, url: str) -> Any:
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


@pytest.mark.parametrize("name", sorted(RULES))
def test_authorization_matrix(name, world):
    # A rule for a page that no longer exists is stale: remove it (the matrix must match the URL configuration).
    assert name in url_names(), f"{name} has a rule but is not in the URL configuration"
    rule = RULES[name]
    person = world["person"]
    url = _url(name, rule, world["objects"])
    unexpected = []
    for persona in PERSONAS:
        user = world["users"].get(persona)
        client = _client(user)
        with transaction.atomic():
            before = AuditEvent.objects.filter(detail__path=url).count()
            response = _request(client, url)
            events = AuditEvent.objects.filter(detail__path=url).count() - before
            transaction.set_rollback(True)
        status = response.status_code
        body = response.content.decode(errors="replace") if not response.streaming else ""
        if rule.own and persona not in rule.allowed and persona != "anonymous":
            if not ((status == 302 and events == 0) or (status == 404 and events == 1)):
                unexpected.append(f"{persona}: own-record page answered {status} with {events} events "
                                  "(expected 302 and none, or 404 and one refusal)")
        elif persona in rule.allowed:
            if status == 404:
                unexpected.append(f"{persona}: allowed but got 404")
            if events != rule.events:
                unexpected.append(f"{persona}: allowed, {events} access audit events (expected {rule.events})")
        else:
            if persona == "anonymous":
                if not (status == 302 and "/accounts/login/" in response["Location"]):
                    unexpected.append(f"anonymous: got {status}, expected a redirect to log in")
            elif status != 404:
                unexpected.append(f"{persona}: got {status}, expected 404 (unexpected allow)")
            if events != 1:
                unexpected.append(f"{persona}: denied with {events} audit events (expected exactly 1)")
        shows_margaret = person.nhs_number in body or "Thompson" in body
        if shows_margaret and (persona in NEVER_MARGARET or (persona not in rule.allowed and rule.about_margaret)):
            unexpected.append(f"{persona}: the response shows Margaret's details")
    assert not unexpected, f"{name} {url}:\n  " + "\n  ".join(unexpected)
