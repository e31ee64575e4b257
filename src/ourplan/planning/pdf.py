"""The plan as a PDF (standard or large print), rendered with WeasyPrint from the same snapshot the pages
use. Large print follows RNIB guidance: at least 16 point, here 18 point with generous spacing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from ourplan.core.models import AuditAction
from ourplan.people.models import Person

DOWNLOAD = AuditAction.DOWNLOAD


def render_plan(request: HttpRequest, person: Person, data: dict[str, Any], *, large: bool) -> bytes:
    # Imported here: WeasyPrint loads Pango, which only PDF requests need. documents.pdf reuses parsed
    # fonts across requests; the plan carries its own styles (standard or large print) inline.
    from ourplan.documents.pdf import render_pdf

    html = render_to_string("planning/plan_pdf.jinja", {"person": person, "data": data, "large": large},
                            request=request)
    return render_pdf(html, stylesheets=())
