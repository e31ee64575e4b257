"""create (POST) of QuestionnaireResponse: answers to one of the questionnaires Ourplan publishes (PHQ-9,
GAD-7, PHQ-2, SEMCD-6, collaboRATE; api.out_recall), typed into another system such as a GP record.

The inverse of out_recall.questionnaire_response: item `linkId` is the question number, answered with a
`valueCoding` of the instrument's answer code system (or a `valueInteger`). The answers are scored and
stored by `review.actions.do_record_questionnaire`, the one path every questionnaire takes, so a PHQ-9
with question 9 above 0 raises the same-day self-harm alert and its task exactly as it does on the website
(hazard H5). The read-only items (total, score, band) are Ourplan's to compute: a total sent with the
answers must agree with them, which catches answers mapped to the wrong codes by the sending system.

A response is a record of what the person answered at the time, so there is no update: a wrong one is
corrected by recording the questionnaire again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from ourplan.api.access import require_write
from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError
from ourplan.api.out_recall import BAND, SCORE, TOTAL, Instrument, instruments
from ourplan.api.writes import Written, subject_person
from ourplan.core.errors import ActionError
from ourplan.imports.records import aware
from ourplan.review.actions import do_record_questionnaire

RT = "QuestionnaireResponse"
COMPUTED = (TOTAL, SCORE, BAND)


def _refuse(message: str, path: str, code: str = "business-rule") -> FhirError:
    return FhirError(422, message, code=code, expression=[path])


def _instrument(res: Any) -> Instrument:
    """The published questionnaire the response answers, from its canonical URL (|version optional)."""
    path = f"{RT}.questionnaire"
    canonical = str(res.questionnaire or "").strip()
    if not canonical:
        raise _refuse("QuestionnaireResponse.questionnaire is required: the canonical URL of the questionnaire "
                      "answered", path, "required")
    url, _, version = canonical.partition("|")
    found = next((i for i in instruments() if i.url == url), None)
    if found is None:
        offered = ", ".join(f"{i.name} ({i.url})" for i in instruments())
        raise _refuse(f"Questionnaire {canonical[:200]} is not one Ourplan scores, so its answers cannot be "
                      f"stored here. Ourplan scores: {offered}", path, "not-supported")
    if version and version != found.version:
        raise _refuse(f"{found.name} version {version[:40]} is not the version Ourplan publishes ({found.version}); "
                      "read Questionnaire/" + found.key + " for the current items", path)
    return found


def _answer_value(i: Instrument, answer: Any, path: str) -> int:
    allowed = [value for value, _ in i.answers]
    if answer.valueCoding is not None:
        coding = answer.valueCoding
        if coding.system not in (None, i.answer_system):
            raise _refuse(f"Answer codes are from {i.answer_system}, not {coding.system}", path, "code-invalid")
        text = str(coding.code or "")
        value = int(text) if text.lstrip("-").isdigit() else None
    elif answer.valueInteger is not None:
        value = int(answer.valueInteger)
    else:
        raise _refuse(f"Answer with valueCoding ({i.answer_system}) or valueInteger", path, "required")
    if value not in allowed:
        raise _refuse(f"{i.name} answers are {allowed[0]} to {allowed[-1]}; got {value}", path, "code-invalid")
    return value


def answers_of(i: Instrument, res: Any) -> tuple[list[int | None], int | None]:
    """The answers in question order (None for a question left unanswered) and the total the sender gave,
    if any. Unknown, repeated or nested items are refused, each naming the item."""
    answers: list[int | None] = [None] * len(i.items)
    total: int | None = None
    for index, item in enumerate(res.item or []):
        path = f"{RT}.item[{index}]"
        link = str(item.linkId or "")
        given = item.answer or []
        if item.item:
            raise _refuse(f"Item {link}: {i.name} has no nested items", f"{path}.item")
        if link in COMPUTED:
            if link == TOTAL and given and given[0].valueInteger is not None:
                total = int(given[0].valueInteger)
            continue
        number = int(link) if link.isdigit() else 0
        if not 1 <= number <= len(i.items):
            raise _refuse(f"{i.name} has questions 1 to {len(i.items)} (and the computed total, score and band); "
                          f"there is no item '{link[:40]}'", f"{path}.linkId")
        if answers[number - 1] is not None:
            raise _refuse(f"Question {number} is answered twice", f"{path}.linkId")
        if len(given) != 1:
            if not given:
                continue  # unanswered: the instrument's rules decide below whether that is allowed
            raise _refuse(f"Question {number} takes one answer", f"{path}.answer")
        answers[number - 1] = _answer_value(i, given[0], f"{path}.answer[0]")
    return answers, total


def _item_path(res: Any, number: int) -> str:
    index = next((n for n, item in enumerate(res.item or []) if str(item.linkId) == str(number)), None)
    return f"{RT}.item[{index}]" if index is not None else f"{RT}.item"


def _authored(res: Any) -> datetime | None:
    if res.authored is None:
        return None
    when = aware(res.authored) if isinstance(res.authored, datetime) else None
    if when is None or when > timezone.now():
        raise _refuse("QuestionnaireResponse.authored must be a date and time with a time zone, not in the future",
                      f"{RT}.authored")
    return when


class QuestionnaireResponseWriter:
    def create(self, caller: Caller, res: Any) -> Written:
        found = _instrument(res)
        if res.status != "completed":
            raise _refuse(f"Ourplan stores completed responses only (status 'completed', not '{res.status}')",
                          f"{RT}.status", "code-invalid")
        person, basis = subject_person(caller, res.subject, RT)
        require_write(basis, RT)
        answers, sent_total = answers_of(found, res)
        if not found.mean_scored and None in answers:
            # A partial PHQ-9 or GAD-7 total would understate the score (clinical.questionnaires).
            missing = answers.index(None) + 1
            raise _refuse(f"{found.name}: question {missing} is not answered; every question is needed to score it",
                          _item_path(res, missing), "required")
        given_total = sum(a for a in answers if a is not None)
        if sent_total is not None and sent_total != given_total:
            raise _refuse(f"The total sent ({sent_total}) does not match the answers ({given_total}): check how "
                          "the answers were coded", f"{RT}.item")
        try:
            response = do_record_questionnaire(caller.user, person, found.key, answers, basis=basis,
                                               at=_authored(res))
        except ActionError as exc:
            number = (exc.field or "").rpartition("_")[2]
            path = _item_path(res, int(number)) if number.isdigit() else RT
            raise _refuse(exc.message, path) from exc
        return Written(response, person, basis, True)

    def update(self, caller: Caller, obj: Any, resource: Any, version: int) -> Written:
        raise FhirError(405, "A QuestionnaireResponse is not changed: record the questionnaire again",
                        code="not-supported")


QUESTIONNAIRE_RESPONSE = QuestionnaireResponseWriter()
