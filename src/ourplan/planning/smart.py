"""SMART suggestions for a goal in the person's own words. These only SUGGEST: a goal is the person's, and
"feel less tired" is a fine goal even if it is not measurable. Nothing here ever blocks a save."""

from __future__ import annotations

import re
from datetime import date

NUMBER_WORDS = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twenty", "thirty",
    "half", "once", "twice", "daily", "weekly", "monthly", "every", "each", "times", "minutes", "hours",
    "miles", "steps", "kg", "stone", "pounds", "a day", "a week",
}
TIME_WORDS = {
    "by", "before", "until", "within", "next", "end", "week", "weeks", "month", "months", "year", "christmas",
    "easter", "summer", "winter", "spring", "autumn", "birthday", "holiday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december",
}
NEGATIVE_STARTS = ("stop ", "not ", "don't ", "dont ", "never ", "no more ")

ASK_HOW_MUCH = "Could you add how much or how often?"
ASK_WHEN = "When would you like to have done this by?"
ASK_MORE = "Could you say a little more about what you would like to do?"
ASK_INSTEAD = "Could you say what you will do instead?"
ASK_TARGET = "You chose a measure: add the number you are aiming for."


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def suggestions(text: str, *, target_date: date | None = None, measure: str = "",
                target_value: object = None) -> list[str]:
    """Prompts that could make the goal Specific, Measurable and Time-bound, in the order to ask them."""
    text = (text or "").strip()
    if not text:
        return []
    lowered = text.lower()
    words = _words(text)
    found: list[str] = []
    if len(words) < 3:
        found.append(ASK_MORE)
    has_number = bool(re.search(r"\d", text)) or bool(words & NUMBER_WORDS) or "a day" in lowered
    if not has_number and not (measure and target_value is not None):
        found.append(ASK_HOW_MUCH)
    if target_date is None and not (words & TIME_WORDS):
        found.append(ASK_WHEN)
    if lowered.startswith(NEGATIVE_STARTS):
        found.append(ASK_INSTEAD)
    if measure and target_value is None:
        found.append(ASK_TARGET)
    return found
