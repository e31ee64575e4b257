"""Preparation pages. Thin: access through people.access (the person, their carer with consent, or staff
with direct care), changes through preparation.actions and preparation.jobs.

The person's page ("Get ready for your appointment") shows the pack as it was sent and the prompt sheet to
answer; opening it marks the cycle's preparation_opened stage. Staff get a page per person (the agenda at
the top), a practice overview with batch jobs, job progress, and the prompt-sheet editor."""

from __future__ import annotations

import copy
from typing import Any, cast
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ourplan.clinical.sensitivity import is_sensitive_measure
from ourplan.core import audit
from ourplan.core.decorators import refuse, staff_required
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis, AuditAction, AuditEvent
from ourplan.core.roles import staff_memberships, staff_org_ids
from ourplan.documents.readability import score
from ourplan.messaging.models import Communication
from ourplan.people.access import PersonAccess, get_person_for, own_person, people_for
from ourplan.people.models import Consent, Organisation, Person, StaffMember
from ourplan.preparation import actions, jobs, letters
from ourplan.preparation.agenda import agenda_for
from ourplan.preparation.forms import AnswersForm, sheet_from_post
from ourplan.preparation.models import BatchJob, PreparationPack, PromptSheetAnswer, PromptSheetTemplate
from ourplan.preparation.pack import LETTER_INTRO, SAFETY_NET
from ourplan.preparation.present import chart, present
from ourplan.preparation.prompts import DEFAULT_SHEET, PromptSheet, Question, sheet_from_template
from ourplan.preparation.wording import all_template_sentences
from ourplan.recall.models import STAGE_LABELS, CarePlanningCycle

PERSON_BASES = {AccessBasis.SELF, AccessBasis.CONSENT}


def _open_cycle(person: Person) -> CarePlanningCycle | None:
    cycle = (CarePlanningCycle.objects.filter(person=person, status=CarePlanningCycle.Status.OPEN)
             .select_related("preparation_pack").first())
    if cycle is not None:
        cycle.person = person  # already loaded: spares a query wherever the cycle's person is read
    return cycle


def _pack(cycle: CarePlanningCycle | None) -> PreparationPack | None:
    if cycle is None:
        return None
    try:
        return cycle.preparation_pack  # type: ignore[attr-defined, no-any-return]
    except PreparationPack.DoesNotExist:
        return None


def _questions(pack: PreparationPack | None, person: Person) -> list[Question]:
    """The questions as they were sent in the pack (so answers match the sheet the person holds)."""
    if pack is not None:
        return [Question(q["key"], q["text"], q.get("hint", "")) for q in pack.content["prompt_sheet"]["questions"]]
    return list(DEFAULT_SHEET.questions)


# ---------------------------------------------------------------------------------------------- the person


@login_required
def my_pack(request: HttpRequest) -> HttpResponse:
    own = own_person(request.user)
    if own is None:
        # A carer has no pack of their own: send them to the people who share with them, to choose one.
        if people_for(request.user, bases={AccessBasis.CONSENT}).exists():
            return redirect("people:my_home")
        raise refuse(request)
    return _person_pack(request, own.public_id)


@login_required
def shared_pack(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _person_pack(request, public_id)


def _person_urls(access: PersonAccess) -> dict[str, str]:
    if access.basis == AccessBasis.SELF:
        return {"page": reverse("preparation:my_pack"), "pdf": reverse("preparation:my_letter")}
    kwargs = {"public_id": access.person.public_id}
    return {"page": reverse("preparation:shared_pack", kwargs=kwargs),
            "pdf": reverse("preparation:shared_letter", kwargs=kwargs)}


def _for_viewer(pack: PreparationPack | None, access: PersonAccess) -> PreparationPack | None:
    """The pack as this viewer may see it: without mood and anxiety scores for someone not shared the
    sensitive parts (a carer). A copy, never saved."""
    if pack is None or access.sees_sensitive:
        return pack
    shown = copy.copy(pack)
    shown.content = {**pack.content, "results": [r for r in pack.content.get("results", [])
                                                 if not is_sensitive_measure(r.get("key", ""))]}
    return shown


def _person_pack(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = get_person_for(request, public_id, bases=PERSON_BASES, entity_type="PreparationPack")
    person = access.person
    cycle = _open_cycle(person)
    pack = _for_viewer(_pack(cycle), access)
    role = _role_for(request, access)
    questions = _questions(pack, person)
    answers = list(PromptSheetAnswer.objects.filter(cycle=cycle)) if cycle is not None else []
    form = AnswersForm.initial(questions, answers)
    conflict = ""
    if request.method == "POST":
        if cycle is None or pack is None or role is None:
            raise Http404("Not found")
        form = AnswersForm.from_post(questions, request.POST)
        if not form.errors:
            try:
                actions.do_save_answers(request.user, cycle, form.changes(), role=role,  # type: ignore[arg-type]
                                        questions=questions, basis=access.basis)
            except actions.AnswerConflict as exc:
                conflict = exc.message
                form.show_conflict(exc.keys, PromptSheetAnswer.objects.filter(cycle=cycle))
            except ActionError as exc:
                form.errors[exc.field or questions[0].key] = exc.message
            else:
                messages.success(request, "Thank you. Your answers have been sent to your care team. You can change "
                                          "them here until your appointment.")
                return redirect(_person_urls(access)["page"] + "#prompt-sheet")
    elif pack is not None and cycle is not None:
        actions.do_mark_opened(request.user, cycle, access.basis)  # type: ignore[arg-type]
    is_self = access.basis == AccessBasis.SELF
    return render(request, "preparation/my_pack.jinja", {
        "page_title": ("Error: " if form.errors or conflict else "") + "Get ready for your appointment",
        "person": person, "is_self": is_self, "cycle": cycle, "pack": pack,
        "letter": present(pack.content) if pack else None, "chart": chart, "form": form, "conflict": conflict,
        "can_write": role is not None and cycle is not None and pack is not None, "urls": _person_urls(access),
    })


def _role_for(request: HttpRequest, access: PersonAccess) -> str | None:
    """How this user may write the prompt sheet: as the person, or as a carer whose consent lets them
    contribute (a view-only consent lets a carer read the pack but not answer for the person)."""
    if access.basis == AccessBasis.SELF:
        return PromptSheetAnswer.Writer.PERSON
    if access.basis == AccessBasis.CONSENT and Consent.objects.filter(
        Consent.in_force_q(), person=access.person, related_person__user=request.user,  # type: ignore[misc]
        related_person__active=True, can_contribute=True,
    ).exists():
        return PromptSheetAnswer.Writer.CARER
    return None


@login_required
def my_letter(request: HttpRequest) -> HttpResponse:
    own = own_person(request.user)
    if own is None:
        raise refuse(request)
    return _letter_response(request, own.public_id, PERSON_BASES, staff_copy=False)


@login_required
def shared_letter(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _letter_response(request, public_id, PERSON_BASES, staff_copy=False)


def _letter_response(
    request: HttpRequest, public_id: UUID, bases: set[AccessBasis], *, staff_copy: bool,
) -> HttpResponse:
    access = get_person_for(request, public_id, bases=bases, entity_type="PreparationPack",
                            audit_action=AuditAction.DOWNLOAD)
    pack = _for_viewer(_pack(_open_cycle(access.person)), access)
    if pack is None:
        raise Http404("Not found")
    large = {"1": True, "0": False}.get(request.GET.get("large", ""))
    data = letters.letter_pdf(pack, large_print=large, staff_copy=staff_copy)
    kind = "large-print" if (pack.large_print if large is None else large) else "standard"
    copy = "-staff-copy" if staff_copy else ""
    name = f"preparation-{access.person.family_name.lower() or 'letter'}-{kind}{copy}.pdf"
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# ------------------------------------------------------------------------------------------------- staff


def _staff_person(request: HttpRequest, public_id: UUID, entity_type: str = "PreparationPack") -> PersonAccess:
    return get_person_for(request, public_id, bases={AccessBasis.DIRECT_CARE}, entity_type=entity_type)


def _stages(cycle: CarePlanningCycle | None) -> list[dict[str, Any]]:
    keys = ("information_gathered", "preparation_sent", "preparation_opened", "agenda_received")
    return [{"label": STAGE_LABELS[k], "at": cycle.stage_at(k) if cycle else None} for k in keys]


@staff_required
def person_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _staff_person(request, public_id)
    person = access.person
    cycle = _open_cycle(person)
    pack = _pack(cycle)
    message = (Communication.objects.filter(key=actions.message_key(cycle)).first()
               if cycle is not None else None)
    return render(request, "preparation/staff_person.jinja", {
        "page_title": f"Preparation: {person.formal_name}", "nav": "preparation", "person": person,
        "cycle": cycle, "pack": pack, "message": message, "stages": _stages(cycle),
        "agenda_items": agenda_for(cycle), "letter": present(pack.content) if pack else None, "chart": chart,
        "not_ready": actions.NOT_READY if cycle is not None and cycle.information_gathered_at is None else "",
    })


@require_POST
@staff_required
def send_pack(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _staff_person(request, public_id, entity_type="CarePlanningCycle")
    cycle = _open_cycle(access.person)
    if cycle is None:
        messages.error(request, "There is no care planning round in progress for this person.")
    else:
        try:
            _pack_made, message = actions.do_prepare_and_send(request.user, cycle)  # type: ignore[arg-type]
        except ActionError as exc:
            messages.error(request, exc.message)
        else:
            how = ("It is waiting to be printed and posted." if message.channel == Communication.Channel.POST
                   else f"Sent by {message.get_channel_display().lower()}.")
            messages.success(request, f"The preparation pack is ready. {how}")
    return redirect("preparation:person", public_id=access.person.public_id)


@staff_required
def staff_letter(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _letter_response(request, public_id, {AccessBasis.DIRECT_CARE},
                            staff_copy=request.GET.get("copy") != "person")


@staff_required
def paper_reply(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Staff type in the answers from a prompt sheet that came back on paper, in the person's words."""
    access = _staff_person(request, public_id, entity_type="PromptSheetAnswer")
    person = access.person
    cycle = _open_cycle(person)
    if cycle is None:
        raise Http404("Not found")
    pack = _pack(cycle)
    questions = _questions(pack, person)
    form = AnswersForm.initial(questions, PromptSheetAnswer.objects.filter(cycle=cycle))
    conflict = ""
    if request.method == "POST":
        form = AnswersForm.from_post(questions, request.POST)
        if not form.errors:
            try:
                actions.do_save_answers(request.user, cycle, form.changes(),  # type: ignore[arg-type]
                                        role=PromptSheetAnswer.Writer.STAFF, questions=questions,
                                        basis=AccessBasis.DIRECT_CARE)
            except actions.AnswerConflict as exc:
                conflict = exc.message
                form.show_conflict(exc.keys, PromptSheetAnswer.objects.filter(cycle=cycle))
            except ActionError as exc:
                form.errors[exc.field or questions[0].key] = exc.message
            else:
                messages.success(request, "The answers are saved and are now the agenda for the conversation.")
                return redirect("preparation:person", public_id=person.public_id)
    return render(request, "preparation/paper_reply.jinja", {
        "page_title": ("Error: " if form.errors or conflict else "") + f"Paper reply: {person.formal_name}",
        "nav": "preparation", "person": person, "form": form, "conflict": conflict,
    })


def _practice(request: HttpRequest) -> Organisation:
    """The practice a staff page works on: ?practice=<public id> among the user's, else their first."""
    memberships = list(staff_memberships(request.user).order_by("organisation__name"))
    if not memberships:
        raise Http404("Not found")
    wanted = request.POST.get("practice") or request.GET.get("practice")
    for m in memberships:
        if wanted and str(m.organisation.public_id) == wanted:
            return m.organisation
    return memberships[0].organisation


@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    practice = _practice(request)
    ready = jobs.ready_for_pack(practice).select_related("person").order_by("person__family_name", "pk")
    # The page lists people by name: a search over their records, audited once for the list.
    audit.record(request.user, AuditAction.SEARCH, "PreparationPack", basis=AccessBasis.DIRECT_CARE,  # type: ignore[arg-type]
                 request=request, detail={"practice": str(practice.public_id)})
    return render(request, "preparation/overview.jinja", {
        "page_title": "Preparation", "nav": "preparation", "practice": practice,
        "practices": [m.organisation for m in staff_memberships(request.user)],
        "ready": list(ready[:100]), "ready_count": ready.count(),
        "to_print": jobs.letters_to_print(practice).count(),
        "recent_jobs": list(BatchJob.objects.filter(practice=practice).order_by("-created_at")[:10]),
    })


@require_POST
@staff_required
def start_job(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in BatchJob.Kind.values:
        raise Http404("Not found")
    practice = _practice(request)
    try:
        job = jobs.do_start_job(request.user, practice, kind)  # type: ignore[arg-type]
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('preparation:overview')}?practice={practice.public_id}")
    if job.status == BatchJob.Status.QUEUED and job.runs == 0:
        jobs.enqueue(job)
    return redirect("preparation:job", public_id=job.public_id)


def _job_for(request: HttpRequest, public_id: UUID) -> BatchJob:
    job = BatchJob.objects.select_related("practice", "requested_by").filter(public_id=public_id).first()
    if job is None or job.practice_id not in staff_org_ids(request.user):
        raise refuse(request)
    return job


@staff_required
def job_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    job = _job_for(request, public_id)
    context = {"page_title": job.get_kind_display(), "nav": "preparation", "job": job,
               "stale": jobs.is_stale(job)}
    if request.headers.get("HX-Request"):
        return render(request, "preparation/_job_progress.jinja", context)
    return render(request, "preparation/job.jinja", context)


@require_POST
@staff_required
def job_run_again(request: HttpRequest, public_id: UUID) -> HttpResponse:
    job = _job_for(request, public_id)
    try:
        jobs.do_run_again(request.user, job)  # type: ignore[arg-type]
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        jobs.enqueue(job)
    return redirect("preparation:job", public_id=job.public_id)


@staff_required
def job_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The printed batch. Every download is audited against each person whose letter is in it."""
    job = _job_for(request, public_id)
    if job.kind != BatchJob.Kind.PRINT_LETTERS or not job.output_file:
        raise Http404("Not found")
    path = jobs.output_path(job)
    if not path.exists():
        raise Http404("Not found")
    people = job.params.get("people", [])
    audit.record(request.user, AuditAction.DOWNLOAD, "LetterBatch", job.public_id,  # type: ignore[arg-type]
                 basis=AccessBasis.DIRECT_CARE, request=request, detail={"letters": len(people)})
    # And one event per person in the batch, so each person's record shows who printed their letter.
    audit.record_many(
        AuditEvent(actor=request.user, actor_label=audit.actor_label(request.user),  # type: ignore[arg-type,misc]
                   action=AuditAction.DOWNLOAD, entity_type="LetterBatch", entity_id=str(job.public_id),
                   person_id_ref=p, basis=AccessBasis.DIRECT_CARE, ip_address=request.META.get("REMOTE_ADDR"),
                   detail={"letters": len(people)})
        for p in people
    )
    # Streamed (a batch can be tens of megabytes); staff_required's typing only knows HttpResponse.
    return cast(HttpResponse, FileResponse(path.open("rb"), as_attachment=True, content_type="application/pdf",
                                           filename=f"preparation-letters-{job.created_at:%Y-%m-%d}.pdf"))


def _can_edit_sheet(request: HttpRequest, practice: Organisation) -> bool:
    return staff_memberships(request.user).filter(organisation=practice, role=StaffMember.Role.CLINICIAN).exists()


@staff_required
def prompt_sheet(request: HttpRequest) -> HttpResponse:
    """The practice's wording of the prompt sheet, with its readability. Clinicians may change it."""
    practice = _practice(request)
    if not _can_edit_sheet(request, practice):
        raise refuse(request)
    template = PromptSheetTemplate.objects.filter(organisation=practice).first()
    sheet: PromptSheet = sheet_from_template(template)
    version = template.version if template else 0
    error: dict[str, str] = {}
    if request.method == "POST":
        sheet = sheet_from_post(sheet, request.POST)
        raw_version = request.POST.get("version", "0")
        try:
            actions.do_save_prompt_sheet(request.user, practice, intro=sheet.intro,  # type: ignore[arg-type]
                                         questions=list(sheet.questions),
                                         expected_version=int(raw_version) if raw_version.isdigit() else 0)
        except EditConflict as exc:
            error = {"field": "intro", "text": exc.message}
            template = PromptSheetTemplate.objects.filter(organisation=practice).first()
            version = template.version if template else 0
        except ActionError as exc:
            error = {"field": exc.field or "intro", "text": exc.message}
        else:
            messages.success(request, "The prompt sheet is saved. Packs made from now on use this wording.")
            return redirect(f"{reverse('preparation:prompt_sheet')}?practice={practice.public_id}")
    letter_wording = score("\n".join([LETTER_INTRO, SAFETY_NET, *all_template_sentences()]))
    return render(request, "preparation/prompt_sheet.jinja", {
        "page_title": ("Error: " if error else "") + "Prompt sheet wording", "nav": "preparation",
        "practice": practice, "sheet": sheet, "version": version, "error": error, "template": template,
        "readability": sheet.readability, "letter_readability": letter_wording, "default": DEFAULT_SHEET,
    })


@require_POST
@staff_required
def readability(request: HttpRequest) -> HttpResponse:
    """Live readability (htmx) of whatever free text the form sends: every field except the CSRF token
    and the version, one line each."""
    lines = [v for k, values in request.POST.lists() if k not in {"csrfmiddlewaretoken", "version", "practice"}
             for v in values]
    return render(request, "documents/_readability.jinja", {"readability": score("\n".join(lines))})
