"""NHS numbers: the Modulus 11 check, with published test numbers and generated ones."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ourplan.people import nhs_number


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "943-476-5919", "9000000009", "9912003888"])
def test_valid_numbers_pass(value):
    assert nhs_number.is_valid(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9434765918", "check digit is wrong"),
        ("943476591", "must be 10 digits long (this has 9)"),
        ("94347659190", "must be 10 digits long (this has 11)"),
        ("94347A5919", "only numbers"),
        ("", "Enter an NHS number"),
        ("1000000010", "check digit is wrong"),  # check digit would be 10: no valid number starts like this
    ],
)
def test_invalid_numbers_say_why(value, message):
    assert message in nhs_number.problem(value)


@given(st.integers(min_value=0, max_value=2**32))
def test_generated_numbers_are_valid_and_in_the_test_range(seed):
    number = nhs_number.generate(random.Random(seed))
    assert nhs_number.is_valid(number) and number.startswith("999")


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_changing_any_single_digit_of_a_valid_number_makes_it_invalid(digits):
    if not nhs_number.is_valid(digits):
        return
    for i in range(10):
        for d in "0123456789":
            if d != digits[i]:
                assert not nhs_number.is_valid(digits[:i] + d + digits[i + 1:])


def test_display_groups_three_three_four():
    assert nhs_number.format_nhs_number("9434765919") == "943 476 5919"
