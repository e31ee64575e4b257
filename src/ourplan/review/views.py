"""Review pages. Thin: every person is fetched through people.access.get_person_for (it audits, and 404s a
refusal), changes go through review.actions, reads through review.progress.

Staff (direct care only): the person's Review tab (start a review, the offer status, past reviews and
questionnaire scores), review mode (score each goal, running T-score, complete), and a small panel for the
person's overview page. The person and their carer (consent): questionnaires before a review ("Get ready"),
collaboRATE after the conversation (the person only), and "How I'm doing"."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ourplan.clinical.questionnaires import COLLABORATE, GAD7, PHQ2, PHQ9, SEMCD6, score, suggests_phq9
from ourplan.clinical.sensitivity import SENSITIVE_QUESTIONNAIRES
from ourplan.core.decorators import refuse, staff_required
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis, User
from ourplan.core.roles import clinical_org_ids
from ourplan.people.access import PersonAccess, get_person_for, own_person, people_for
from ourplan.people.models import Person
from ourplan.planning.actions import PlanConflict
from ourplan.planning.models import Goal
from ourplan.recall.models import QuestionnaireResponse
from ourplan.review import actions, gas, progress
from ourplan.review.forms import CompleteReviewForm, MeasureForm, OfferForm, ScoreForm, StartReviewForm
from ourplan.review.models import GoalAttainment, OfferCode, OfferStatus, PlanReview, ReviewKind

STAFF_BASES = {AccessBasis.DIRECT_CARE}
PERSON_BASES = {AccessBasis.SELF, AccessBasis.CONSENT}
# What the person may complete before a review, in the order offered: the short mood check first.
BEFORE_REVIEW = (PHQ2.key, PHQ9.key, GAD7.key, SEMCD6.key)
ONLINE = (*BEFORE_REVIEW, COLLABORATE.key)
# Plain words for each questionnaire on the person's pages (the validated items themselves are unchanged).
INTRO: dict[str, tuple[str, str]] = {
    PHQ2.key: ("Your mood: 2 questions", "Two quick questions about how you have been feeling."),
    PHQ9.key: ("Your mood: 9 questions", "Nine questions about how you have been feeling."),
    GAD7.key: ("Worry and anxiety: 7 questions", "Seven questions about worry and feeling anxious."),
    SEMCD6.key: ("Managing your health: 6 questions",
                 "Six questions about how sure you feel that you can manage your health."),
    COLLABORATE.key: ("Your care planning conversation: 3 questions",
                      "Three questions about how much you were involved in your last care planning talk."),
}


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# ---- staff: the Review tab -------------------------------------------------------------------------------


def _staff(request: HttpRequest, public_id: UUID, entity_type: str = "PlanReview") -> PersonAccess:
    return get_person_for(request, public_id, bases=STAFF_BASES, entity_type=entity_type)


def _clinical(request: HttpRequest, public_id: UUID, entity_type: str = "PlanReview") -> PersonAccess:
    """Review mode scores and changes every goal: clinical work, for clinical staff at the person's practice
    (practice admin staff are refused like anyone else)."""
    clinical = clinical_org_ids(request.user)
    return get_person_for(request, public_id, bases=STAFF_BASES, entity_type=entity_type, require_sensitive=True,
                          allow=lambda grant: grant.basis != AccessBasis.DIRECT_CARE or bool(clinical))


def _home_context(access: PersonAccess, clinical: bool = True, **extra: Any) -> dict[str, Any]:
    person = access.person
    return {
        "person": person, "nav": "register", "page_title": f"Review: {person.display_name}",
        "plan": actions.planning.current_plan(person), "in_progress": actions.review_in_progress(person),
        "reviews": list(PlanReview.objects.filter(person=person, completed=True).select_related("held_by")[:20]),
        "offer": actions.current_offer(person),
        "offers": list(OfferStatus.objects.filter(person=person).select_related("recorded_by")[:10]),
        "responses": progress.staff_responses(person, sensitive=access.sees_sensitive),
        "may_review": access.sees_sensitive and clinical,
        "start_form": StartReviewForm(initial={"kind": ReviewKind.FORMAL}), "offer_form": OfferForm(),
        "kinds": ReviewKind.choices, "offer_codes": OfferCode.choices, "describe": gas.describe, **extra,
    }


@staff_required
def review_home(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _staff(request, public_id)
    return render(request, "review/home.jinja", _home_context(access, bool(clinical_org_ids(request.user))))


@staff_required
@require_POST
def start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _clinical(request, public_id)
    form = StartReviewForm(request.POST)
    if form.is_valid():
        try:
            review = actions.do_start_review(_user(request), access.person, form.cleaned_data["kind"])
        except ActionError as exc:
            form.add_error("kind", exc.message)
        else:
            return redirect("review:mode", public_id, review.public_id)
    return render(request, "review/home.jinja", _home_context(access, start_form=form), status=400)


@staff_required
@require_POST
def offer(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _staff(request, public_id, "OfferStatus")
    form = OfferForm(request.POST)
    if form.is_valid():
        try:
            actions.do_record_offer(_user(request), access.person, form.cleaned_data["code"],
                                    note=form.cleaned_data["note"])
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Offer status recorded")
            return redirect(reverse("review:home", args=[public_id]) + "#offer")
    clinical = bool(clinical_org_ids(request.user))
    return render(request, "review/home.jinja", _home_context(access, clinical, offer_form=form), status=400)


@staff_required
def staff_panel(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Offer status, the last review and the latest questionnaire scores, loaded into the person's overview."""
    access = _staff(request, public_id)
    person = access.person
    last = PlanReview.objects.filter(person=person, completed=True).first()
    return render(request, "review/_staff_panel.jinja", {
        "person": person, "offer": actions.current_offer(person), "last_review": last,
        "in_progress": actions.review_in_progress(person),
        "latest": progress.latest_responses(person, sensitive=access.sees_sensitive),
        "describe": gas.describe,
    })


# ---- staff: review mode ----------------------------------------------------------------------------------


def _review_for(person: Person, review_id: UUID) -> PlanReview:
    review = PlanReview.objects.filter(person=person, public_id=review_id).select_related("plan", "held_by").first()
    if review is None:
        raise Http404("Not found")
    return review


def _goal_for(review: PlanReview, goal_id: UUID) -> Goal:
    goal = Goal.objects.filter(plan_id=review.plan_id, public_id=goal_id).first()
    if goal is None:
        raise Http404("Not found")
    return goal


def _row(goal: Goal, attainment: GoalAttainment | None, form: ScoreForm | None = None) -> dict[str, Any]:
    if form is None:
        initial: dict[str, Any] = {"weight": 1, "decision": "kept", "version": None}
        if attainment is not None:
            initial = {"level": str(attainment.level), "weight": attainment.weight,
                       "decision": attainment.decision, "note": attainment.note, "version": attainment.version}
        form = ScoreForm(initial=initial)
    levels = [(level, gas.LEVEL_LABELS[level], getattr(goal, gas.LEVEL_FIELDS[level])) for level in gas.LEVELS]
    return {"goal": goal, "attainment": attainment, "form": form, "levels": levels}


def _rows(review: PlanReview) -> list[dict[str, Any]]:
    scored = {a.goal_id: a for a in review.attainments.select_related("goal")}
    if review.completed:
        return [_row(a.goal, a) for a in scored.values()]
    return [_row(g, scored.get(g.pk)) for g in actions.reviewable_goals(review.plan)]


def _mode_context(request: HttpRequest, person: Person, review: PlanReview, **extra: Any) -> dict[str, Any]:
    plan = review.plan
    formal = review.kind == "formal"
    complete_form = extra.pop("complete_form", None) or CompleteReviewForm(
        practice_id=person.practice_id, formal=formal, initial={
            "version": review.version, "plan_version": plan.version, "summary": review.summary,
            "agreed_by_name": plan.agreed_by_name or person.display_name,
            "agreed_by_role": plan.agreed_by_role or "The person", "review_date": None,
            "reviewer": plan.review_responsible_id, "share_with_person": plan.shared_with_person})
    return {
        "person": person, "nav": "register", "review": review, "plan": plan, "formal": formal,
        "page_title": f"Review mode: {person.display_name}", "rows": _rows(review),
        "t": actions.running_t(review), "describe": gas.describe, "complete_form": complete_form,
        "changed_goals": [a.goal for a in review.attainments.select_related("goal") if a.decision == "changed"],
        **extra,
    }


@staff_required
def mode(request: HttpRequest, public_id: UUID, review_id: UUID) -> HttpResponse:
    access = _clinical(request, public_id)
    review = _review_for(access.person, review_id)
    return render(request, "review/mode.jinja", _mode_context(request, access.person, review))


def _score_response(request: HttpRequest, person: Person, review: PlanReview, row: dict[str, Any],
                    status: int = 200, conflict: bool = False) -> HttpResponse:
    """htmx: the goal's card (with any errors or the conflict) and the running score out-of-band, always as 200
    because htmx swaps nothing on an error status. A plain post: a redirect, or the page with this card's
    errors in place."""
    review.refresh_from_db()
    if _htmx(request):
        return render(request, "review/_goal_score.jinja", {
            "person": person, "review": review, "row": row, "t": actions.running_t(review),
            "describe": gas.describe, "oob": True, "conflict": conflict})
    if status == 200:
        return redirect(reverse("review:mode", args=[person.public_id, review.public_id])
                        + f"#goal-{row['goal'].public_id}")
    context = _mode_context(request, person, review, conflict_goal=row["goal"].pk if conflict else None)
    context["rows"] = [row if r["goal"].pk == row["goal"].pk else r for r in context["rows"]]
    return render(request, "review/mode.jinja", context, status=status)


@staff_required
@require_POST
def score_goal(request: HttpRequest, public_id: UUID, review_id: UUID, goal_id: UUID) -> HttpResponse:
    access = _clinical(request, public_id, "GoalAttainment")
    review = _review_for(access.person, review_id)
    goal = _goal_for(review, goal_id)
    form = ScoreForm(request.POST)
    if not form.is_valid():
        attainment = GoalAttainment.objects.filter(review=review, goal=goal).first()
        return _score_response(request, access.person, review, _row(goal, attainment, form), status=400)
    d = form.cleaned_data
    try:
        row = actions.do_score_goal(_user(request), review, goal, level=d["level"], weight=d["weight"],
                                    decision=d["decision"], note=d["note"], expected_version=d["version"])
    except EditConflict:
        current = GoalAttainment.objects.filter(review=review, goal=goal).first()
        return _score_response(request, access.person, review, _row(goal, current), status=409, conflict=True)
    except ActionError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        attainment = GoalAttainment.objects.filter(review=review, goal=goal).first()
        return _score_response(request, access.person, review, _row(goal, attainment, form), status=400)
    return _score_response(request, access.person, review, _row(goal, row))


@staff_required
@require_POST
def clear_score(request: HttpRequest, public_id: UUID, review_id: UUID, goal_id: UUID) -> HttpResponse:
    access = _clinical(request, public_id, "GoalAttainment")
    review = _review_for(access.person, review_id)
    goal = _goal_for(review, goal_id)
    raw = request.POST.get("version", "")
    conflict = False
    try:
        actions.do_clear_score(_user(request), review, goal, int(raw) if raw.isdigit() else 0)
    except EditConflict:
        conflict = True
    except ActionError as exc:
        messages.error(request, exc.message)
    current = GoalAttainment.objects.filter(review=review, goal=goal).first()
    return _score_response(request, access.person, review, _row(goal, current), status=409 if conflict else 200,
                           conflict=conflict)


@staff_required
@require_POST
def complete(request: HttpRequest, public_id: UUID, review_id: UUID) -> HttpResponse:
    access = _clinical(request, public_id)
    person = access.person
    review = _review_for(person, review_id)
    formal = review.kind == "formal"
    form = CompleteReviewForm(request.POST, practice_id=person.practice_id, formal=formal)
    if form.is_valid():
        d = form.cleaned_data
        agreement = actions.Agreement(d["agreed_by_name"], d["agreed_by_role"], d["review_date"], d["reviewer"],
                                      d["share_with_person"]) if formal else None
        try:
            actions.do_complete_review(_user(request), review, d["version"], plan_version=d["plan_version"],
                                       summary=d["summary"], agreement=agreement)
        except (PlanConflict, EditConflict):
            review.refresh_from_db()
            context = _mode_context(request, person, review, conflict=True)
            return render(request, "review/mode.jinja", context, status=409)
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Review completed" + (" and the plan re-agreed" if formal else ""))
            return redirect("review:mode", public_id, review.public_id)
    review.refresh_from_db()
    return render(request, "review/mode.jinja", _mode_context(request, person, review, complete_form=form),
                  status=400)


# ---- the person and their carer ----------------------------------------------------------------------------


def _person_access(request: HttpRequest, public_id: UUID | None, entity_type: str, *, key: str | None = None
                   ) -> PersonAccess:
    """The person, or someone they share with. With `key` (answering a questionnaire): the person, or a carer
    whose consent lets them contribute; collaboRATE asks about the person's own experience of the
    conversation, so only the person answers it (a proxy answer would skew the practice's figures)."""
    if public_id is None:
        own = own_person(request.user)
        if own is None:
            raise refuse(request)
        public_id = own.public_id
    if key is None:
        return get_person_for(request, public_id, bases=PERSON_BASES, entity_type=entity_type)
    bases = {AccessBasis.SELF} if key == COLLABORATE.key else PERSON_BASES
    # Mood and anxiety questionnaires are sensitive: a carer answers them only if the person shared those too.
    return get_person_for(request, public_id, bases=bases, entity_type=entity_type, require_contribute=True,
                          require_sensitive=key in SENSITIVE_QUESTIONNAIRES)


def _urls(access: PersonAccess) -> dict[str, str]:
    if access.basis == AccessBasis.SELF:
        return {"measures": reverse("review:my_measures"), "how": reverse("review:my_how"),
                "measure": reverse("review:my_measure", args=["KEY"])}
    pid = access.person.public_id
    return {"measures": reverse("review:shared_measures", args=[pid]), "how": reverse("review:shared_how", args=[pid]),
            "measure": reverse("review:shared_measure", args=[pid, "KEY"])}


def _carer_home_or_404(request: HttpRequest) -> HttpResponse:
    # A carer has no record of their own: send them to the people who share with them, to choose one.
    if people_for(request.user, bases={AccessBasis.CONSENT}).exists():
        return redirect("people:my_home")
    raise refuse(request)


@login_required
def my_measures(request: HttpRequest) -> HttpResponse:
    if own_person(request.user) is None:
        return _carer_home_or_404(request)
    return _measures(request, None)


@login_required
def shared_measures(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _measures(request, public_id)


def _measures(request: HttpRequest, public_id: UUID | None) -> HttpResponse:
    access = _person_access(request, public_id, "QuestionnaireResponse")
    person = access.person
    last = progress.last_answered(person, ONLINE)
    if not access.sees_sensitive:
        # Even the date of a mood or anxiety questionnaire is part of the sensitive section.
        last = {k: v for k, v in last.items() if k not in SENSITIVE_QUESTIONNAIRES}
    # Mood and anxiety questionnaires are not offered to someone not shared the sensitive parts: a link they
    # could not open would only fail (and show in the person's log as a refused attempt).
    items = [{"key": key, "title": INTRO[key][0], "text": INTRO[key][1], "last": last.get(key)}
             for key in BEFORE_REVIEW if access.sees_sensitive or key not in SENSITIVE_QUESTIONNAIRES]
    return render(request, "review/my_measures.jinja", {
        "page_title": "Questions before your review", "nav": "my_pack", "person": person,
        "is_self": access.basis == AccessBasis.SELF, "items": items,
        "may_answer": access.can_contribute, "urls": _urls(access),
        "collaborate_due": access.basis == AccessBasis.SELF and actions.collaborate_due(person) is not None,
    })


@login_required
def my_measure(request: HttpRequest, key: str) -> HttpResponse:
    if own_person(request.user) is None:
        return _carer_home_or_404(request)
    return _measure(request, None, key)


@login_required
def shared_measure(request: HttpRequest, public_id: UUID, key: str) -> HttpResponse:
    return _measure(request, public_id, key)


def _measure(request: HttpRequest, public_id: UUID | None, key: str) -> HttpResponse:
    if key not in ONLINE:
        raise refuse(request)
    access = _person_access(request, public_id, "QuestionnaireResponse", key=key)
    person = access.person
    if key == COLLABORATE.key and actions.collaborate_due(person) is None:
        messages.info(request, "There is nothing to answer about your care planning conversation just now. Thank you.")
        return redirect("planning:my_plan")
    form = MeasureForm.for_key(key, request.POST if request.method == "POST" else None)
    urls = _urls(access)
    if request.method == "POST" and form.check():
        try:
            response = actions.do_record_questionnaire(_user(request), person, key, form.answers, basis=access.basis)
        except ActionError as exc:
            form.add_action_error(exc)
        else:
            return _answered(request, access, response, urls)
    is_self = access.basis == AccessBasis.SELF
    return render(request, "review/my_measure.jinja", {
        "page_title": ("Error: " if form.errors else "") + INTRO[key][0], "nav": "my_plan" if key == COLLABORATE.key
        else "my_pack", "person": person, "is_self": is_self, "form": form, "title": INTRO[key][0],
        "intro": INTRO[key][1], "urls": urls, "action": urls["measure"].replace("KEY", key),
    }, status=400 if form.errors else 200)


def _answered(request: HttpRequest, access: PersonAccess, response: QuestionnaireResponse,
              urls: dict[str, str]) -> HttpResponse:
    """Thank the person, tell them at once where to get help after a self-harm answer, and offer the PHQ-9
    after a positive PHQ-2 screen."""
    key = response.questionnaire
    if response.safety_flag:
        return render(request, "review/my_urgent.jinja", {
            "page_title": "Thank you for telling us", "nav": "my_pack", "person": access.person,
            "is_self": access.basis == AccessBasis.SELF, "urls": urls})
    if key == PHQ2.key and suggests_phq9(score(PHQ2, response.answers)):
        messages.info(request, "Thank you. Please answer a few more questions about your mood. They help your care "
                               "team understand how you have been.")
        return redirect(urls["measure"].replace("KEY", PHQ9.key))
    if key == COLLABORATE.key:
        messages.success(request, "Thank you. Your answers help the practice get better at involving people.")
        return redirect("planning:my_plan")
    messages.success(request, "Thank you. Your answers have been sent to your care team.")
    return redirect(urls["measures"])


@login_required
def my_collaborate_offer(request: HttpRequest) -> HttpResponse:
    """Loaded into My plan (htmx): the invitation to answer collaboRATE about the last conversation, once per
    round, for the person themselves. Empty when there is nothing to ask."""
    own = own_person(request.user)
    if own is None:
        raise refuse(request)
    access = get_person_for(request, own.public_id, bases={AccessBasis.SELF}, entity_type="QuestionnaireResponse")
    if actions.collaborate_due(access.person) is None:
        return HttpResponse("")
    return render(request, "review/_collaborate_offer.jinja", {"url": reverse("review:my_measure",
                                                                              args=[COLLABORATE.key])})


@login_required
def my_how(request: HttpRequest) -> HttpResponse:
    if own_person(request.user) is None:
        return _carer_home_or_404(request)
    return _how(request, None)


@login_required
def shared_how(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _how(request, public_id)


def _how(request: HttpRequest, public_id: UUID | None) -> HttpResponse:
    access = _person_access(request, public_id, "Person")
    is_self = access.basis == AccessBasis.SELF
    doing = progress.how_im_doing(access.person, sensitive=access.sees_sensitive)
    return render(request, "review/how.jinja", {
        "page_title": "How I'm doing" if is_self else f"How {access.person.given_name} is doing",
        "nav": "my_how", "person": access.person, "is_self": is_self, "doing": doing, "urls": _urls(access),
        "chart_data": doing.chart_data,
    })
