"""The demo's 18 months of care planning history: consistent (every stage after the one before), with the
gaps real practices have, deterministic, and enough for the dashboards to show plausible figures. One
figure is re-derived here in plain Python over the rows, and its drill-down must list exactly those people."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ourplan.core.models import User
from ourplan.core.roles import is_staff_member
from ourplan.demo.rng import DEMO_SOURCE
from ourplan.insight.fidelity import FIGURES, PREPARATION_LEAD_DAYS
from ourplan.insight.models import CommissionerAccess
from ourplan.insight.scope import default_period, staff_scope
from ourplan.people.models import Organisation, Person
from ourplan.planning import snapshot
from ourplan.planning.models import CarePlan, Goal
from ourplan.recall.models import STAGES, CarePlanningCycle, QuestionnaireResponse
from ourplan.review.gas import t_score_decimal
from ourplan.review.models import OfferStatus, PlanReview

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(people: int = 400, *, reset: bool = False) -> None:
    call_command("seed-demo", people=people, seed=5, reset=reset, today=timezone.localdate(),
                 allow_without_debug=True, stdout=StringIO())


# The history leaves people with a login alone (Margaret's story is seeded by hand, through the app's actions).
HISTORY = {"person__user__isnull": True}


def history_digest() -> str:
    rows = [repr(r) for r in CarePlanningCycle.objects.filter(**HISTORY).order_by("public_id").values_list(
        "public_id", "status", *(f"{s}_at" for s in STAGES), "review_due")]
    rows += [repr(r) for r in Goal.objects.filter(plan__person__user__isnull=True).order_by("public_id").values_list(
        "public_id", "person_words", "clinical_translation", "lifecycle_status")]
    rows += [repr(r) for r in PlanReview.objects.filter(**HISTORY).order_by("public_id").values_list(
        "public_id", "held_at", "t_score")]
    return json.dumps(rows)


def test_every_stage_follows_the_one_before_and_rounds_close_properly():
    seed()
    cycles = list(CarePlanningCycle.objects.filter(**HISTORY).select_related("person"))
    assert len(cycles) > 50
    for c in cycles:
        times = [c.stage_at(s) for s in STAGES if c.stage_at(s) is not None]
        assert times == sorted(times), c.public_id
        assert c.invited_at is not None and times[0] == c.invited_at
        assert c.stage_at("plan_shared") is None or c.plan_agreed_at is not None
        if c.status == CarePlanningCycle.Status.OPEN:
            assert c.closed_at is None and c.conversation_held_at is None
        else:
            assert c.closed_at is not None and c.closed_at >= times[-1] - timedelta(seconds=1)
        if c.plan_agreed_at:
            assert c.status == CarePlanningCycle.Status.COMPLETED and c.review_due > c.plan_agreed_at.date()
        assert c.person.practice_id == c.practice_id and max(times) <= timezone.now()


def test_the_history_has_the_gaps_real_practices_have():
    seed()
    held = CarePlanningCycle.objects.filter(conversation_held_at__isnull=False, **HISTORY)
    assert held.filter(preparation_sent_at__isnull=True).exists()  # never prepared
    assert CarePlanningCycle.objects.filter(preparation_sent_at__isnull=False, agenda_received_at__isnull=True
                                            ).exists()  # no agenda back
    assert OfferStatus.objects.filter(code="declined").exists() and OfferStatus.objects.filter(code="offered").exists()
    assert CarePlanningCycle.objects.filter(status="open").exists()  # rounds in progress now
    words = set(Goal.objects.values_list("person_words", flat=True))
    assert "HbA1c < 58 mmol/mol" in words or "BP < 140/90 mmHg" in words  # clinician-led goals
    assert Goal.objects.exclude(clinical_translation="").exists()
    assert QuestionnaireResponse.objects.filter(questionnaire="collaborate", band="top-box").exists()
    assert QuestionnaireResponse.objects.filter(questionnaire="collaborate", band="not top-box").exists()
    assert PlanReview.objects.filter(kind="formal", completed=True).exists()
    # The featured person's story is written by hand: the history leaves her alone.
    margaret = Person.objects.get(user__username="person")
    assert not margaret.cycles.filter(invited_at__lt=timezone.now() - timedelta(days=1)).exists()
    assert not PlanReview.objects.filter(person=margaret).exists()


def test_every_figure_is_plausible_neither_empty_nor_perfect():
    seed()
    clinician = User.objects.get(username="clinician")
    request = RequestFactory().get("/")
    request.user = clinician
    scope = staff_scope(request)
    today = timezone.localdate()
    period = default_period(today)
    for figure in FIGURES:
        counted, out_of = figure.counts(scope.people, period, today)[scope.chosen.pk]
        assert out_of >= 10, figure.key
        assert 0.05 < counted / out_of < 0.97, (figure.key, counted, out_of)


def test_a_figure_re_derived_in_plain_python_matches_the_dashboard_and_its_drill_downs(client):
    seed()
    clinician = User.objects.get(username="clinician")
    practice = Organisation.objects.get(source_system=DEMO_SOURCE, kind=Organisation.Kind.GP_PRACTICE)
    period = default_period(timezone.localdate())
    counted, act = set(), set()
    # Everyone at the practice, Margaret included: the figure counts every round, whoever seeded it.
    for c in CarePlanningCycle.objects.filter(person__practice=practice).select_related("person"):
        held = c.conversation_held_at
        if held is None or not period.start_at <= held < period.end_at:
            continue
        sent = c.preparation_sent_at
        ok = sent is not None and (held - sent) >= timedelta(days=PREPARATION_LEAD_DAYS)
        (counted if ok else act).add(str(c.person.public_id))
    assert counted and act
    client.force_login(clinician)
    body = client.get(reverse("insight:fidelity")).content.decode()
    row = re.search(r"Results sent at least 7 days before the conversation</th>(.*?)</tr>", body, re.S).group(1)
    assert f"</span>{len(counted):,}</td>" in row and f"</span>{len(counted) + len(act):,}</td>" in row
    for which, expected in (("counted", counted), ("act", act)):
        shown: list[str] = []
        page = 1
        while True:
            html = client.get(reverse("insight:figure_people", kwargs={"key": "prepared"}),
                              {"list": which, "page": page}).content.decode()
            shown += re.findall(r'data-testid="person-row">.*?/staff/people/([0-9a-f-]{36})/', html, re.S)
            if "nhsuk-pagination__link--next" not in html:
                break
            page += 1
        assert sorted(shown) == sorted(expected) and len(shown) == len(set(shown))


def test_plan_versions_are_what_the_planning_app_would_have_written():
    seed()
    plans = list(CarePlan.objects.filter(**HISTORY))
    assert len(plans) > 20
    for plan in plans:
        versions = list(plan.versions.order_by("number"))
        assert [v.number for v in versions] == list(range(1, plan.version + 1))
        assert [v.at for v in versions] == sorted(v.at for v in versions)
        assert versions[-1].snapshot == json.loads(json.dumps(snapshot.build(plan)))
    for review in PlanReview.objects.filter(t_score__isnull=False, **HISTORY).prefetch_related("attainments"):
        pairs = [(a.level, a.weight) for a in review.attainments.all()]
        assert review.t_score == t_score_decimal(pairs)


def test_the_same_seed_gives_the_same_history_and_reset_replaces_it():
    seed(200)
    first = history_digest()
    seed(200, reset=True)
    assert history_digest() == first


def test_the_commissioner_login_sees_the_demo_practice_and_is_not_staff(client):
    seed(200)
    user = User.objects.get(username="commissioner")
    assert user.check_password(settings.OURPLAN_DEMO_PASSWORD) and not is_staff_member(user)
    access = CommissionerAccess.objects.get(user=user)
    assert access.active and list(access.organisations.values_list("source_system", flat=True)) == [DEMO_SOURCE]
    client.force_login(user)
    assert client.get(reverse("insight:c_fidelity")).status_code == 200
    assert client.get(reverse("people:register")).status_code == 404
