"""NHS number validation: 10 digits whose last is the Modulus 11 check digit of the first nine."""

from __future__ import annotations

import random

from django.core.exceptions import ValidationError

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def normalise(value: str) -> str:
    """Strip the spaces and dashes people type ("943 476 5919")."""
    return "".join(ch for ch in str(value) if ch not in " -\t")


def check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit, or None where the nine digits can have no valid NHS number (10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True))
    digit = 11 - (total % 11)
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def problem(value: str) -> str | None:
    """Why `value` is not a valid NHS number, in words a receptionist understands; None if it is valid."""
    digits = normalise(value)
    if not digits:
        return "Enter an NHS number"
    if not digits.isdigit():
        return "An NHS number must contain only numbers"
    if len(digits) != 10:
        return f"An NHS number must be 10 digits long (this has {len(digits)})"
    expected = check_digit(digits[:9])
    if expected is None or expected != int(digits[9]):
        return "This is not a valid NHS number: its check digit is wrong. Check it has been typed correctly"
    return None


def is_valid(value: str) -> bool:
    return problem(value) is None


def validate_nhs_number(value: str) -> None:
    """Django validator."""
    message = problem(value)
    if message:
        raise ValidationError(message, code="invalid_nhs_number")


def format_nhs_number(value: str) -> str:
    """3-3-4 grouping, as NHS services show it."""
    d = normalise(value)
    return f"{d[:3]} {d[3:6]} {d[6:]}" if len(d) == 10 else d


def generate(rng: random.Random) -> str:
    """A valid NHS number for synthetic data, from the 999 range that NHS England reserves for testing,
    so a demo number can never belong to a real person."""
    while True:
        first_nine = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        digit = check_digit(first_nine)
        if digit is not None:
            return first_nine + str(digit)
