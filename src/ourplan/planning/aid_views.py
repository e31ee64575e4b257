"""The staff decision aid library at /staff/decision-aids/: list, write, change and approve aids.

Aids are practice-independent content (see planning.aids), so every staff member reaches the library;
the person, carers and anonymous users do not. Only a clinician sees the approve button, and an approve
POST from anyone else gets 404 like every other page they have no role for. Plain pages without htmx:
each save is a deliberate whole-aid change."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ourplan.core.decorators import refuse, staff_required
from ourplan.core.errors import ActionError
from ourplan.documents.readability import score
from ourplan.planning import aids
from ourplan.planning.forms import DecisionAidForm
from ourplan.planning.models import DecisionAid

NAV = "decision-aids"
BLANK_SLOTS_NEW = 3


def _reading(text: str) -> dict[str, Any]:
    r = score(text)
    return {"age": r.reading_age, "label": r.label, "ok": r.ok}


def _posted_options(request: HttpRequest) -> list[dict[str, str]]:
    raw = request.POST.get("option_count", "")
    count = min(int(raw), aids.MAX_OPTIONS + 1) if raw.isdigit() else 0
    return [{key: request.POST.get(f"option-{i}-{key}", "") for key in aids.OPTION_FIELDS} for i in range(count)]


def _option_slots(options: list[dict[str, Any]], blanks: int, errors: list[ActionError]) -> list[dict[str, Any]]:
    """What the template needs for each option: its texts, the messages beside each and reading ages."""
    slots = [{key: str(o.get(key) or "") for key in aids.OPTION_FIELDS} for o in options]
    slots += [dict.fromkeys(aids.OPTION_FIELDS, "") for _ in range(blanks)]
    shown = []
    for i, values in enumerate(slots):
        field_errors: dict[str, list[str]] = {}
        for e in errors:
            for key in aids.OPTION_FIELDS:
                if e.field == aids.option_field_error(i, key):
                    field_errors.setdefault(key, []).append(e.message)
        shown.append({"index": i, "texts": values, "errors": field_errors,
                      "reading": {k: _reading(v) for k, v in values.items() if k != "name"}})
    return shown


def _form_with_errors(data: dict[str, Any], errors: list[ActionError]) -> DecisionAidForm:
    form = DecisionAidForm(data)
    form.is_valid()
    for e in errors:
        if e.field in form.fields:
            form.add_error(e.field, e.message)
    return form


def _page(request: HttpRequest, aid: DecisionAid | None, form: DecisionAidForm, options: list[dict[str, Any]],
          *, blanks: int = 1, errors: list[ActionError] | None = None, conflict: aids.AidConflict | None = None
          ) -> HttpResponse:
    errors = errors or []
    # Problems not beside one field (too few options, a refusal) go in the summary only.
    general = [e.message for e in errors if e.field is None or e.field == "options"]
    option_errors = [e for e in errors if e.field and e.field.startswith("options.")]
    summary = [(f"aid-{e.field}", e.message) for e in errors if e.field in form.fields]
    summary += [(f"aid-option-{e.field.split('.')[1]}-{e.field.split('.')[2]}", e.message)
                for e in option_errors if e.field]
    question = form["question"].value() or ""
    return render(request, "planning/aid_form.jinja", {
        "page_title": aid.title if aid else "Write a decision aid", "nav": NAV, "aid": aid, "form": form,
        "options": _option_slots(options, blanks, option_errors), "option_fields": aids.OPTION_FIELDS,
        "general_errors": general, "summary": summary, "question_reading": _reading(str(question)),
        "may_approve": aids.may_approve(request.user), "conflict": conflict,
        "theirs": conflict.theirs if conflict else {}, "labels": {}, "prefix": "aid",
    }, status=200)


@staff_required
def aid_list(request: HttpRequest) -> HttpResponse:
    # Drafts first (they need a clinician), then approved aids, newest approval first; retired ones last.
    library = list(DecisionAid.objects.order_by("retired", F("approved_at").desc(nulls_first=True), "title"))
    return render(request, "planning/aid_list.jinja", {"page_title": "Decision aids", "nav": NAV,
                                                       "aids": library, "may_approve": aids.may_approve(request.user)})


def _save(request: HttpRequest, aid: DecisionAid | None) -> HttpResponse:
    options = _posted_options(request)
    data = request.POST.dict()
    if request.POST.get("_add_option"):
        # Another blank option to fill in: nothing is saved and nothing is checked yet.
        return _page(request, aid, DecisionAidForm(data), options, blanks=1)
    fields = {"title": data.get("title", ""), "question": data.get("question", ""),
              "source": data.get("source", ""), "options": options}
    cleaned, errors = aids.check_aid(fields)
    if errors:
        return _page(request, aid, _form_with_errors(data, errors), cleaned["options"], errors=errors)
    try:
        if aid is None:
            aid = aids.do_create_aid(request.user, fields)  # type: ignore[arg-type]
            messages.success(request, f"'{aid.title}' saved as a draft. A clinician must approve it before it "
                                      "is offered in shared decisions.")
        else:
            was_approved = aid.approved_at is not None
            version = data.get("version", "")
            aids.do_update_aid(request.user, aid,  # type: ignore[arg-type]
                               int(version) if version.isdigit() else aid.version, fields)
            if was_approved and aid.approved_at is None:
                messages.warning(request, f"'{aid.title}' changed, so it is a draft again. It is not offered in "
                                          "shared decisions until a clinician approves it again.")
            else:
                messages.success(request, f"'{aid.title}' saved.")
    except aids.AidConflict as exc:
        assert aid is not None
        current = DecisionAid.objects.get(pk=aid.pk)
        form = _form_with_errors({**data, "version": current.version}, [])
        return _page(request, current, form, cleaned["options"], conflict=exc)
    except ActionError as exc:
        return _page(request, aid, _form_with_errors(data, [exc]), cleaned["options"], errors=[exc])
    return redirect("planning:aid_edit", aid_id=aid.public_id)


@staff_required
def aid_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    return _page(request, None, DecisionAidForm(initial={"title": "", "question": "", "source": ""}), [],
                 blanks=BLANK_SLOTS_NEW)


@staff_required
def aid_edit(request: HttpRequest, aid_id: UUID) -> HttpResponse:
    aid = get_object_or_404(DecisionAid, public_id=aid_id)
    if request.method == "POST":
        return _save(request, aid)
    form = DecisionAidForm(initial={"version": aid.version, "title": aid.title, "question": aid.question,
                                    "source": aid.source})
    return _page(request, aid, form, list(aid.options))


@staff_required
@require_POST
def aid_approve(request: HttpRequest, aid_id: UUID) -> HttpResponse:
    if not aids.may_approve(request.user):
        raise refuse(request)
    aid = get_object_or_404(DecisionAid, public_id=aid_id)
    raw = request.POST.get("version", "")
    try:
        aids.do_approve_aid(request.user, aid, int(raw) if raw.isdigit() else -1)  # type: ignore[arg-type]
    except aids.AidConflict as exc:
        current = DecisionAid.objects.get(pk=aid.pk)
        form = DecisionAidForm(initial={"version": current.version, "title": current.title,
                                        "question": current.question, "source": current.source})
        return _page(request, current, form, list(current.options), conflict=exc)
    messages.success(request, f"'{aid.title}' approved. It is now offered in shared decisions.")
    return redirect("planning:aids")
