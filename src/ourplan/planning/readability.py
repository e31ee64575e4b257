"""Reading age of free text, shown to whoever writes it so plans stay in plain words. Scoring itself lives
in documents.readability (the one place Ourplan scores readability, with its offline syllable fallback)."""

from __future__ import annotations

from ourplan.documents.readability import score


def reading_age(text: str) -> int | None:
    """Flesch-Kincaid grade + 5, or None for text too short to score."""
    return score(text or "").reading_age
