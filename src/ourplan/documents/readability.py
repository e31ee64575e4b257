"""How easy a piece of writing is to read: the ONE place Ourplan scores readability.

We show two numbers: the Flesch reading ease (0-100, higher is easier) and a reading age, which is the
Flesch-Kincaid grade plus 5 (a US school grade starts at about age 5-6). Letters to the public should aim
for a reading age of about 9 to 11, the level most UK health information is written for.

textstat counts syllables with the CMU pronouncing dictionary, which it downloads through nltk on first
use. Ourplan's machines may not reach the internet (and a page view must never wait on a download), so
when the dictionary is not installed we let textstat fall back to its hyphenation-based count (pyphen),
which is what textstat did for every word before it used the dictionary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from textstat.textstat import textstatistics

# Scores are computed for the British reader; pyphen has an en_GB hyphenation dictionary.
LANGUAGE = "en_GB"
TARGET_READING_AGE = 11  # letters and prompt sheets should be at or below this


def _cmudict_installed() -> bool:
    try:
        import nltk

        nltk.data.find("corpora/cmudict")
    except (ImportError, LookupError):
        return False
    return True


def _use_hyphenation_when_no_dictionary() -> None:
    if _cmudict_installed():
        return
    try:
        from textstat.backend.counts import _count_syllables
    except ImportError:  # a textstat without this module does not download anything
        return

    def no_dictionary(lang: str) -> None:
        return None

    # count_syllables treats a missing dictionary like a word missing from it: pyphen counts the syllables.
    _count_syllables.get_cmudict = no_dictionary  # type: ignore[assignment]


_use_hyphenation_when_no_dictionary()
_scorer = textstatistics()
_scorer.set_lang(LANGUAGE)


@dataclass(frozen=True)
class Readability:
    """Readability of one text. `reading_age` is None when there is too little text to score."""

    words: int
    ease: float | None
    grade: float | None
    reading_age: int | None

    @property
    def label(self) -> str:
        """A few words a clinician can act on."""
        if self.reading_age is None:
            return "Too short to score"
        if self.reading_age <= 9:
            return "Very easy to read"
        if self.reading_age <= TARGET_READING_AGE:
            return "Easy to read"
        if self.reading_age <= 13:
            return "Fairly hard to read: try shorter sentences and words"
        return "Hard to read: use shorter sentences and everyday words"

    @property
    def ok(self) -> bool:
        return self.reading_age is not None and self.reading_age <= TARGET_READING_AGE

    def as_dict(self) -> dict[str, object]:
        return {"words": self.words, "ease": self.ease, "grade": self.grade, "reading_age": self.reading_age}


# Fewer words than this gives a meaningless score (one short question scores anything from 2 to 15).
MIN_WORDS = 10


def _tidy(text: str) -> str:
    # A question or heading without a full stop would run into the next one as a single long sentence.
    lines = [line.strip() for line in text.splitlines()]
    return " ".join(line if line[-1:] in ".?!:" else f"{line}." for line in lines if line)


def score(text: str) -> Readability:
    """Score `text` (lines without end punctuation count as sentences of their own)."""
    tidy = _tidy(text)
    words = len(re.findall(r"[A-Za-z']+", tidy))
    if words < MIN_WORDS:
        return Readability(words, None, None, None)
    ease = round(float(_scorer.flesch_reading_ease(tidy)), 1)
    grade = round(float(_scorer.flesch_kincaid_grade(tidy)), 1)
    # A grade below 0 (very short words and sentences) still means "readable by a young child".
    reading_age = max(5, round(grade + 5))
    return Readability(words, ease, grade, reading_age)
