"""Preparation letters as PDFs: one for a person (standard or large print, person's or staff copy), or one
PDF for a whole batch of letters to post."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse

from ourplan.documents import pdf
from ourplan.preparation.models import PreparationPack
from ourplan.preparation.present import chart, present


def _large(pack: PreparationPack, large_print: bool | None) -> bool:
    """Large print follows the person's recorded needs (as at the pack) unless asked for either way."""
    return bool(pack.content.get("large_print", False)) if large_print is None else large_print


def letter_html(pack: PreparationPack, *, large_print: bool | None = None, staff_copy: bool = False) -> str:
    content: dict[str, Any] = pack.content
    large = _large(pack, large_print)
    base: str = getattr(settings, "OURPLAN_BASE_URL", "")
    return get_template("preparation/letter.jinja").render({
        "letter": present(content), "large_print": large, "staff_copy": staff_copy,
        "readability": content.get("readability") or {}, "chart": partial(chart, large=large),
        "portal_url": base.rstrip("/") + reverse("preparation:my_pack"),
    })


def letter_pdf(pack: PreparationPack, *, large_print: bool | None = None, staff_copy: bool = False) -> bytes:
    styles = pdf.letter_styles(large_print=_large(pack, large_print), staff_copy=staff_copy)
    return pdf.render_pdf(letter_html(pack, large_print=large_print, staff_copy=staff_copy), stylesheets=styles)


def batch_pdf(
    packs: Sequence[PreparationPack], progress: Callable[[int], None] | None = None,
) -> tuple[bytes, int]:
    """Every pack's letter (the person's copy, in their format) in one PDF: (bytes, pages)."""
    docs = ((letter_html(p), pdf.letter_styles(large_print=_large(p, None))) for p in packs)
    return pdf.render_batch(docs, total=len(packs), progress=progress)
