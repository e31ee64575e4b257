"""Questionnaires, their responses and appointments to FHIR.

Questionnaire resources are generated from the instruments defined in code (clinical.questionnaires: the
PHQ-9, GAD-7 and PHQ-2 answered 0-3, and the rating scales SEMCD-6 and collaboRATE), so the FHIR
definition can never drift from the scoring. Each is identified by its key ("phq9") and canonical URL;
its version is a hash of its content, so changing an item changes the version and the ETag.
A QuestionnaireResponse answers one of them item by item, with the total, the published score and band as
read-only items (computed by Ourplan, never typed in)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from ourplan.api import extensions as X
from ourplan.api.out_common import UK_CORE, concept, instant, meta_base, number, prune, reference, user_reference
from ourplan.clinical import questionnaires as Q
from ourplan.recall.models import Appointment, QuestionnaireResponse

# The published LOINC panel code of each instrument that has one.
PANEL_CODES = {"phq9": ("44249-1", "PHQ-9 quick depression assessment panel"),
               "gad7": ("69737-5", "Generalized anxiety disorder 7 item (GAD-7)"),
               "phq2": ("55757-9", "Patient Health Questionnaire 2 item (PHQ-2)")}
# When the definitions in code were last changed in a way clients should notice (lastUpdated of each).
DEFINED_AT = datetime(2026, 11, 1, tzinfo=UTC)
TOTAL, SCORE, BAND = "total", "score", "band"


@dataclass(frozen=True)
class Instrument:
    """One questionnaire as the API serves it: the key is its id."""

    key: str
    name: str
    stem: str
    items: tuple[str, ...]
    answers: tuple[tuple[int, str], ...]  # (value, label) of every allowed answer
    mean_scored: bool  # scored by a mean (SEMCD-6, collaboRATE), else by the sum

    @property
    def public_id(self) -> str:
        return self.key

    @property
    def url(self) -> str:
        return X.QUESTIONNAIRE + self.key

    @property
    def answer_system(self) -> str:
        return f"{X.CODE_SYSTEM}{self.key}-answer"

    @property
    def version(self) -> str:
        content = orjson.dumps([self.name, self.stem, self.items, self.answers])
        return hashlib.sha256(content).hexdigest()[:12]

    @property
    def updated_at(self) -> datetime:
        return DEFINED_AT

    def label(self, value: int) -> str:
        return next((text for v, text in self.answers if v == value), str(value))


def _scale_answers(scale: Q.Scale) -> tuple[tuple[int, str], ...]:
    out = []
    for value in scale.values:
        label = scale.low_label if value == scale.low else scale.high_label if value == scale.high else ""
        out.append((value, f"{value} {label}".strip()))
    return tuple(out)


def instruments() -> list[Instrument]:
    scored = [Instrument(q.key, q.name, q.stem, q.items, Q.ANSWERS, False) for q in Q.QUESTIONNAIRES.values()]
    scales = [Instrument(s.key, s.name, s.stem, s.items, _scale_answers(s), True)
              for s in getattr(Q, "SCALES", {}).values()]
    return scored + scales


def instrument(key: str) -> Instrument | None:
    return next((i for i in instruments() if i.key == key), None)


def _meta(i: Instrument) -> dict[str, Any]:
    return {"versionId": i.version, "lastUpdated": instant(i.updated_at), "profile": [UK_CORE + "Questionnaire"]}


def questionnaire(i: Instrument) -> dict[str, Any]:
    options = [{"valueCoding": {"system": i.answer_system, "code": str(v), "display": text}} for v, text in i.answers]
    items: list[dict[str, Any]] = [
        {"linkId": str(n), "prefix": f"{n}.", "text": text, "type": "choice", "required": not i.mean_scored,
         "answerOption": options}
        for n, text in enumerate(i.items, start=1)
    ]
    items.append({"linkId": TOTAL, "text": "Total (the sum of the answers)", "type": "integer", "readOnly": True})
    if i.mean_scored:
        items.append({"linkId": SCORE, "text": "Score (the mean of the answers)", "type": "decimal",
                      "readOnly": True})
    items.append({"linkId": BAND, "text": "Band", "type": "string", "readOnly": True})
    code = PANEL_CODES.get(i.key)
    return prune({
        "resourceType": "Questionnaire",
        "id": i.key,
        "meta": _meta(i),
        "url": i.url,
        "version": i.version,
        "name": "".join(ch for ch in i.key.upper() if ch.isalnum()),
        "title": i.name,
        "status": "active",
        "subjectType": ["Patient"],
        "description": i.stem,
        "code": [{"system": X.LOINC, "code": code[0], "display": code[1]}] if code else [],
        "item": items,
    })


def questionnaire_response(r: QuestionnaireResponse) -> dict[str, Any]:
    i = instrument(r.questionnaire)
    items: list[dict[str, Any]] = []
    for n, value in enumerate(r.answers or [], start=1):
        if value is None:
            continue
        text = i.items[n - 1] if i and n <= len(i.items) else ""
        coding = {"system": i.answer_system if i else f"{X.CODE_SYSTEM}{r.questionnaire}-answer",
                  "code": str(value), "display": i.label(value) if i else str(value)}
        items.append(prune({"linkId": str(n), "text": text, "answer": [{"valueCoding": coding}]}))
    items.append({"linkId": TOTAL, "answer": [{"valueInteger": r.total}]})
    if r.score is not None:
        items.append({"linkId": SCORE, "answer": [{"valueDecimal": number(Decimal(r.score))}]})
    if r.band:
        items.append({"linkId": BAND, "answer": [{"valueString": r.band}]})
    return prune({
        "resourceType": "QuestionnaireResponse",
        "id": str(r.public_id),
        "meta": meta_base(r, UK_CORE + "QuestionnaireResponse"),
        "questionnaire": X.QUESTIONNAIRE + r.questionnaire,
        "status": "completed",
        "subject": reference("Patient", r.person),
        "authored": instant(r.authored_at),
        "author": user_reference(r.recorded_by),
        "item": items,
    })


def appointment(a: Appointment) -> dict[str, Any]:
    slot = a.slot
    start = slot.start
    end = start + timedelta(minutes=a.length_minutes)
    staff = slot.staff
    participants: list[dict[str, Any]] = [
        {"actor": reference("Patient", a.person), "required": "required", "status": "accepted"}]
    if staff is not None:
        participants.append({
            "type": [concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "ATND", "attender")],
            "actor": reference("PractitionerRole", staff, str(staff)), "required": "required",
            "status": "accepted"})
    return prune({
        "resourceType": "Appointment",
        "id": str(a.public_id),
        "meta": meta_base(a, UK_CORE + "Appointment"),
        "status": a.status,
        "appointmentType": concept(X.APPOINTMENT_KIND, a.kind, a.get_kind_display(), a.get_kind_display()),
        "description": a.get_kind_display(),
        "start": instant(start),
        "end": instant(end),
        "minutesDuration": a.length_minutes,
        "created": instant(a.created_at),
        "comment": "; ".join(str(r) for r in a.length_reasons or []),
        "participant": participants,
    })
