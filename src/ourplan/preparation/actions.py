"""Every change in preparation goes through these functions: they take the acting user, run in a
transaction and write the audit row. Making and sending a pack is idempotent (one pack per cycle, one
message per key), so a retried job or a double click never sends twice."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from ourplan.core import audit
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.core.versioning import apply_versioned_update
from ourplan.messaging.api import choose_channel, do_queue_message
from ourplan.messaging.models import Communication
from ourplan.people.models import Organisation
from ourplan.preparation import pack as packs
from ourplan.preparation.models import PreparationPack, PromptSheetAnswer, PromptSheetTemplate
from ourplan.preparation.prompts import MAX_ANSWER_CHARS, QUESTION_KEYS, Question
from ourplan.recall.cycle import do_mark_stage
from ourplan.recall.models import CarePlanningCycle

Channel = Communication.Channel
NOT_READY = (
    "The tests and measurements for this review are not recorded as done yet, so there are no results to "
    "send. Record the information-gathering appointment first, then make the pack."
)


def message_key(cycle: CarePlanningCycle) -> str:
    return f"preparation:{cycle.public_id}"


def _basis(actor: User | None) -> AccessBasis:
    return AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE


def check_ready(cycle: CarePlanningCycle) -> None:
    """Refuse, with a message staff can act on, to make a pack for a cycle that cannot have one."""
    if cycle.status != CarePlanningCycle.Status.OPEN:
        raise ActionError("This care planning round is closed, so no pack can be made for it")
    if cycle.information_gathered_at is None:
        raise ActionError(NOT_READY)


@transaction.atomic
def do_make_pack(actor: User | None, cycle: CarePlanningCycle, *, today: date | None = None) -> PreparationPack:
    """The cycle's pack, made now from the stored results, or the one already made (never a second)."""
    existing = PreparationPack.objects.filter(cycle=cycle).first()
    if existing is not None:
        return existing
    check_ready(cycle)
    content = packs.build_pack(cycle, today=today)
    readability = content["readability"]
    try:
        with transaction.atomic():
            made = PreparationPack.objects.create(
                cycle=cycle, person=cycle.person, content=content, reading_age=readability["reading_age"],
                reading_ease=readability["ease"], large_print=content["large_print"], created_by=actor,
            )
    except IntegrityError:
        # Another worker made it between our check and insert: theirs stands.
        return PreparationPack.objects.get(cycle=cycle)
    audit.record(actor, AuditAction.CREATE, "PreparationPack", made.public_id, person=cycle.person.public_id,
                 basis=_basis(actor), detail={"results": len(content["results"]),
                                              "reading_age": readability["reading_age"]})
    return made


def _message_words(pack: PreparationPack, channel: str) -> tuple[str, str]:
    """Subject and body. Email and SMS can be read by anyone who sees the phone or inbox, so they say only
    that something is ready and where; never a result, a condition or a number."""
    name = pack.content["person"]["given_name"] or "there"
    practice = pack.content["practice"]["name"]
    subject = "Get ready for your appointment"
    if channel == Channel.POST:
        return subject, "Letter: your results explained and a prompt sheet (printed from the preparation pack)."
    if channel == Channel.SMS:
        return subject, (f"{practice}: information to help you get ready for your appointment is ready. "
                         "Log in to read it:")
    return subject, (
        f"Hello {name},\n\n{practice} has put some information on My plan to help you get ready for your "
        "care planning appointment. Please log in to read it:"
    )


@transaction.atomic
def do_send_pack(actor: User | None, pack: PreparationPack, *, channel: str | None = None) -> Communication:
    """Queue the pack to the person by their channel (one message per cycle, whatever happens). Portal,
    email and SMS count as sent now; a letter counts as sent when it is printed."""
    cycle = pack.cycle
    chosen = channel or choose_channel(cycle.person)
    subject, body = _message_words(pack, chosen)
    message = do_queue_message(
        actor, cycle.person, kind=Communication.Kind.PREPARATION, key=message_key(cycle), subject=subject,
        body=body, link="" if chosen == Channel.POST else "/my/preparation/", channel=chosen, cycle=cycle,
    )
    if pack.channel != message.channel:
        PreparationPack.objects.filter(pk=pack.pk).update(channel=message.channel)
        pack.channel = message.channel
    if message.channel != Channel.POST:
        do_mark_stage(actor, cycle, "preparation_sent")
    return message


@transaction.atomic
def do_prepare_and_send(
    actor: User | None, cycle: CarePlanningCycle, *, today: date | None = None,
) -> tuple[PreparationPack, Communication]:
    made = do_make_pack(actor, cycle, today=today)
    return made, do_send_pack(actor, made)


def do_mark_opened(actor: User | None, cycle: CarePlanningCycle, basis: AccessBasis) -> None:
    """The person (or their carer, with consent) has opened their pack. Staff looking at it does not count:
    fidelity asks whether the person saw their results."""
    if basis not in {AccessBasis.SELF, AccessBasis.CONSENT}:
        return
    if cycle.preparation_sent_at is None or cycle.preparation_opened_at is not None:
        return
    if cycle.status != CarePlanningCycle.Status.OPEN:
        return
    do_mark_stage(actor, cycle, "preparation_opened")


class AnswerConflict(EditConflict):
    """Someone saved one of these answers after the form was opened. `keys` says which ones."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(0)
        self.keys = keys
        self.message = (
            "Someone else changed these answers after you opened this page, so nothing has been saved. "
            "Their words are shown under each question they changed, and yours are still in the boxes. "
            "Check both, change your answers if you need to, then send them again."
        )
        self.args = (self.message,)


def normalise_answer(text: str) -> str:
    # Browsers send line breaks as \r\n; the character count people see counts one per line break.
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def answer_problems(answers: Mapping[str, str], questions: list[Question]) -> dict[str, str]:
    """Messages for answers that are too long, by question key."""
    problems = {}
    for q in questions:
        length = len(normalise_answer(answers.get(q.key, "")))
        if length > MAX_ANSWER_CHARS:
            problems[q.key] = (
                f"Your answer to '{q.text}' must be {MAX_ANSWER_CHARS:,} characters or fewer. "
                f"It has {length:,} characters now."
            )
    return problems


@transaction.atomic
def do_save_answers(
    actor: User, cycle: CarePlanningCycle, answers: Mapping[str, tuple[str, int]], *, role: str,
    questions: list[Question], basis: AccessBasis,
) -> list[PromptSheetAnswer]:
    """Save the prompt sheet and mark the agenda received. `answers` maps a question key to (text, the
    version the writer started from: 0 for a new answer). If anyone saved one of these answers since,
    nothing is saved and AnswerConflict says which."""
    if cycle.status != CarePlanningCycle.Status.OPEN:
        raise ActionError("This care planning round is closed, so the answers cannot be changed")
    if role not in PromptSheetAnswer.Writer.values:
        raise ValueError(f"Unknown writer role {role}")
    texts = {key: text for key, (text, _) in answers.items()}
    problems = answer_problems(texts, questions)
    if problems:
        key, message = next(iter(problems.items()))
        raise ActionError(message, field=key)
    by_key = {q.key: q for q in questions if q.key in QUESTION_KEYS}
    current = {a.question_key: a for a in PromptSheetAnswer.objects.select_for_update().filter(cycle=cycle)}
    changes: list[tuple[Question, str, int, PromptSheetAnswer | None]] = []
    conflicts = []
    for key, (raw, expected) in answers.items():
        if key not in by_key:
            continue
        text, existing = normalise_answer(raw), current.get(key)
        if (existing.answer if existing else "") == text:
            continue  # unchanged: nothing to save, and nothing to conflict with
        if (existing.version if existing else 0) != expected:
            conflicts.append(key)
        changes.append((by_key[key], text, expected, existing))
    if conflicts:
        raise AnswerConflict(conflicts)
    if not changes and not any(a.answer for a in current.values()):
        raise ActionError("Write an answer to at least one question before you send the sheet. "
                          "You can leave any question blank.", field=questions[0].key if questions else None)
    writer = {"written_by": actor, "written_by_role": role,
              "written_by_name": actor.get_full_name() or actor.username}
    saved = []
    for question, text, expected, existing in changes:
        if existing is None:
            try:
                with transaction.atomic():
                    existing = PromptSheetAnswer.objects.create(
                        cycle=cycle, question_key=question.key, question_text=question.text, answer=text, **writer)
            except IntegrityError as exc:
                raise AnswerConflict([question.key]) from exc
        else:
            apply_versioned_update(existing, expected, {"answer": text, "question_text": question.text, **writer})
        saved.append(existing)
    audit.record(actor, AuditAction.UPDATE if current else AuditAction.CREATE, "PromptSheetAnswer",
                 cycle.public_id, person=cycle.person.public_id, basis=basis,
                 detail={"questions": [a.question_key for a in saved], "role": role})
    do_mark_stage(actor, cycle, "agenda_received")
    return saved


@transaction.atomic
def do_save_prompt_sheet(
    actor: User, organisation: Organisation, *, intro: str, questions: list[Question], expected_version: int,
) -> PromptSheetTemplate:
    """Save a practice's wording of the prompt sheet (expected_version 0 for the first save)."""
    for q in questions:
        if q.key not in QUESTION_KEYS:
            raise ActionError(f"Unknown question {q.key}")
        if not q.text.strip():
            raise ActionError("Enter the wording of every question", field=f"{q.key}-text")
        if len(q.text) > 200 or len(q.hint) > 400:
            raise ActionError("Keep each question under 200 characters and each hint under 400",
                              field=f"{q.key}-text")
    if len(intro) > 1000:
        raise ActionError("Keep the introduction under 1,000 characters", field="intro")
    stored: list[dict[str, Any]] = [q.as_dict() for q in questions]
    template = PromptSheetTemplate.objects.filter(organisation=organisation).first()
    before: dict[str, Any] = {}
    if template is None:
        if expected_version != 0:
            raise EditConflict(0)
        try:
            with transaction.atomic():
                template = PromptSheetTemplate.objects.create(
                    organisation=organisation, intro=intro.strip(), questions=stored, updated_by=actor)
        except IntegrityError as exc:
            raise EditConflict(1) from exc
    else:
        before = {"intro": template.intro, "questions": template.questions}
        apply_versioned_update(template, expected_version,
                               {"intro": intro.strip(), "questions": stored, "updated_by": actor})
    audit.record(actor, AuditAction.UPDATE if before else AuditAction.CREATE, "PromptSheetTemplate",
                 template.public_id, basis=AccessBasis.DIRECT_CARE,
                 detail={"version": template.version, "before": before,
                         "after": {"intro": template.intro, "questions": stored}})
    return template
