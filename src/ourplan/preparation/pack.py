"""Building a preparation pack from stored data: the person's results (clinical.results.overview) explained
in plain words, and their practice's prompt sheet. The result is a JSON-ready dict, stored as the pack's
snapshot; the portal page and the letter are both drawn from it, so they always match what was sent.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from ourplan.clinical.results import MeasureSummary, overview
from ourplan.documents.readability import Readability, score
from ourplan.people.models import AccessibleFormat, Person
from ourplan.preparation import wording
from ourplan.preparation.prompts import sheet_for
from ourplan.recall.models import CarePlanningCycle

CONTENT_FORMAT = 1  # bump when the shape of `content` changes, so old packs can still be drawn
TREND_POINTS = 6  # results shown in a trend chart: enough for a trend, few enough to read

LETTER_INTRO = (
    "You had some tests at the practice a short time ago. "
    "This pack tells you your results in plain words. "
    "It also has a few questions to help you think about what you want to talk about at your appointment. "
    "Please read it before you come. Bring it with you if you can."
)
SAFETY_NET = "If you feel very unwell, call 999 or go to A&E. For urgent advice, call 111."


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def _result(summary: MeasureSummary) -> dict[str, Any]:
    measure, target = summary.measure, summary.target
    facts = wording.ResultFacts(
        key=measure.key, name=measure.plain, higher_is_better=measure.higher_is_better,
        has_target=target is not None, met=summary.met, change=summary.change,
    )
    recent = summary.observations[-TREND_POINTS:]
    return {
        "key": measure.key,
        "name": measure.plain,
        "explain": measure.explain,
        "unit": measure.unit_label,
        "latest": {"value": summary.fmt(summary.latest), "date": _day(summary.latest.effective_at)},
        "previous": (
            {"value": summary.fmt(summary.previous), "date": _day(summary.previous.effective_at)}
            if summary.previous is not None else None
        ),
        "target": (
            {"text": target.text, "value": float(target.value),
             "value2": float(target.value2) if target.value2 is not None else None}
            if target is not None else None
        ),
        "met": summary.met,
        "change": summary.change,
        "sentences": wording.sentences(facts),
        "series": [
            {"date": _day(o.effective_at), "y": float(o.value) if o.value is not None else None,
             "y2": float(o.value2) if o.value2 is not None else None}
            for o in recent if o.value is not None
        ],
    }


def _day(moment: Any) -> str:
    return timezone.localtime(moment).date().isoformat()


def build_pack(cycle: CarePlanningCycle, *, today: date | None = None) -> dict[str, Any]:
    """The pack's content for `cycle`'s person, from their stored results and their practice's sheet."""
    person: Person = cycle.person
    practice = cycle.practice
    results = overview(person, today=today)
    sheet = sheet_for(practice)
    content: dict[str, Any] = {
        "format": CONTENT_FORMAT,
        "made_on": (today or timezone.localdate()).isoformat(),
        "person": {
            "name": person.display_name,
            "given_name": person.preferred_name or person.given_name,
            "formal_name": person.formal_name,
            "nhs_number": person.nhs_number_display,
            "address": [line.strip() for line in person.address.splitlines() if line.strip()],
            "postcode": person.postcode,
            "has_login": person.user_id is not None,
        },
        "practice": {
            "name": practice.name,
            "address": _lines(practice.address),
            "postcode": practice.postcode,
            "phone": practice.phone,
        },
        "large_print": AccessibleFormat.LARGE_PRINT in (person.accessible_formats or []),
        "intro": LETTER_INTRO,
        "safety_net": SAFETY_NET,
        "results": [_result(s) for s in results.summaries],
        "prompt_sheet": {"intro": sheet.intro, "questions": [q.as_dict() for q in sheet.questions]},
    }
    content["readability"] = readability_of(content).as_dict()
    return content


def reader_text(content: dict[str, Any]) -> str:
    """The words a person reads in the pack (not names, numbers or dates), one line each."""
    lines = [content["intro"]]
    for r in content["results"]:
        lines += [r["explain"], *r["sentences"]]
    sheet = content["prompt_sheet"]
    lines.append(sheet["intro"])
    for q in sheet["questions"]:
        lines += [q["text"], q["hint"]]
    return "\n".join(line for line in lines if line)


def readability_of(content: dict[str, Any]) -> Readability:
    return score(reader_text(content))
