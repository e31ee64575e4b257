"""The information-gathering form: a whole visit's results entered and checked at once."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ourplan.clinical.questionnaires import QUESTIONNAIRES, SAFETY_MESSAGE, parse_answers
from ourplan.core.decorators import staff_required
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis
from ourplan.people.access import get_person_for
from ourplan.people.models import Person
from ourplan.recall import gathering
from ourplan.recall.cycle import open_cycle
from ourplan.recall.models import Appointment, AppointmentKind, QuestionnaireResponse


def _today_start() -> datetime:
    return datetime.combine(timezone.localdate(), time.min, tzinfo=timezone.get_current_timezone())


def _context(person: Person, data: Any, checked: gathering.Checked | None) -> dict[str, Any]:
    cycle = open_cycle(person)
    appointment = None
    if cycle is not None:
        appointment = (Appointment.objects.filter(cycle=cycle, kind=AppointmentKind.INFORMATION_GATHERING)
                       .exclude(status=Appointment.Status.CANCELLED).select_related("slot").first())
    # A safety flag raised today stays on this page until the day ends, whoever opens it.
    flagged = QuestionnaireResponse.objects.filter(person=person, safety_flag=True,
                                                   authored_at__gte=_today_start()).exists()
    errors = checked.errors if checked else {}
    labels = {f.name: f.label for f in gathering.FIELDS} | {f.name2: f.label2 for f in gathering.FIELDS if f.name2}
    return {
        "person": person, "data": data, "fields": gathering.FIELDS, "questionnaires": gathering.QUESTIONNAIRES,
        "errors": errors, "unusual": checked.unusual if checked else {},
        "error_list": [{"text": message, "href": f"#{name}"} for name, message in errors.items()],
        "labels": labels, "cycle": cycle, "appointment": appointment, "flagged_today": flagged,
        "safety_message": SAFETY_MESSAGE,
        "scores": {q.key: _partial(q.key, data) for q in gathering.QUESTIONNAIRES},
    }


@staff_required
def gather(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = get_person_for(request, public_id, bases={AccessBasis.DIRECT_CARE}, entity_type="Observation").person
    if request.method != "POST":
        return render(request, "recall/gather.jinja", {
            "page_title": f"Information gathering: {person.formal_name}", "nav": "recall",
            **_context(person, {}, None)})
    checked = gathering.check(request.POST)
    if checked.ok and checked.empty:
        checked.errors["hba1c"] = "Enter at least one result or questionnaire"
    if checked.ok:
        try:
            recorded = gathering.do_record_gathering(request.user, person, checked)  # type: ignore[arg-type]
        except ActionError as exc:
            checked.errors[exc.field or "hba1c"] = exc.message
        else:
            n = len(recorded.observations)
            messages.success(request, f"Saved {n} result{'s' if n != 1 else ''} for {person.formal_name}.")
            return redirect(request.path)
    return render(request, "recall/gather.jinja", {
        "page_title": f"Error: information gathering: {person.formal_name}", "nav": "recall",
        **_context(person, request.POST, checked)})


@require_POST
@staff_required
def gather_complete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = get_person_for(request, public_id, bases={AccessBasis.DIRECT_CARE},
                            entity_type="CarePlanningCycle").person
    try:
        gathering.do_complete_gathering(request.user, person)  # type: ignore[arg-type]
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Information gathering marked complete.")
    return redirect("recall:gather", public_id=person.public_id)


def _partial(key: str, data: Any) -> dict[str, Any]:
    """A running score while the form is being filled in: the total so far, how many are unanswered, the
    band once complete, and the safety flag as soon as the safety item is answered above 0."""
    questionnaire = QUESTIONNAIRES[key]
    answers = parse_answers(questionnaire, data)
    valid = [a for a in answers if a is not None and 0 <= a <= 3]
    total = sum(valid)
    missing = len(answers) - len(valid)
    safety_item = questionnaire.safety_item
    safety = safety_item is not None and (answers[safety_item - 1] or 0) > 0
    return {"questionnaire": questionnaire, "total": total, "missing": missing, "started": bool(valid),
            "band": questionnaire.band_for(total).label if not missing else "", "safety": safety}


@require_POST
@staff_required
def score(request: HttpRequest, key: str) -> HttpResponse:
    """The running score partial for htmx. Holds no person data: it only adds up the answers sent."""
    if key not in QUESTIONNAIRES:
        raise Http404("Not found")
    return render(request, "recall/_score.jinja", {"score": _partial(key, request.POST),
                                                    "safety_message": SAFETY_MESSAGE})
