"""Which target applies to a result: NICE defaults by condition and age, and per-person overrides."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ourplan.clinical.actions import do_set_target
from ourplan.clinical.results import overview
from ourplan.clinical.targets import default_target, target_for
from ourplan.core.errors import ActionError
from tests import factories as f


def test_hba1c_target_is_48_for_diabetes_and_none_without():
    t = default_target("hba1c", ["DM"], age=60)
    assert (t.comparator, t.value) == ("<=", Decimal(48))
    assert default_target("hba1c", ["HYP"], age=60) is None


@pytest.mark.parametrize(("age", "systolic"), [(79, 140), (80, 150), (95, 150), (None, 140)])
def test_bp_target_depends_on_age_80(age, systolic):
    t = default_target("bp", ["HYP"], age=age)
    assert (t.value, t.value2) == (Decimal(systolic), Decimal(90))


def test_bp_target_boundaries_are_strictly_below():
    t = default_target("bp", ["HYP"], age=60)
    assert t.met_by(Decimal(139), Decimal(89)) is True
    assert t.met_by(Decimal(140), Decimal(80)) is False  # 140 is not below 140
    assert t.met_by(Decimal(130), Decimal(90)) is False  # both numbers must meet it


def test_hba1c_boundary_48_meets_and_49_does_not():
    t = default_target("hba1c", ["DM"], age=60)
    assert t.met_by(Decimal(48)) is True and t.met_by(Decimal(49)) is False


def test_ckd_with_high_acr_gets_130_80(db, practice):
    p = f.person(practice, "Kay", "Kidney", "9990000026")
    acr = f.obs(p, "acr", "75")
    t = default_target("bp", ["CKD"], age=60, latest={"acr": acr})
    assert (t.value, t.value2) == (Decimal(130), Decimal(80))


@pytest.mark.django_db
def test_person_override_wins_and_is_shown_with_its_reason(clinician, person):
    do_set_target(clinician, person, "hba1c", "<=", Decimal(53), reason="Takes gliclazide (hypo risk)")
    s = {m.key: m for m in overview(person).summaries}["hba1c"]
    assert s.target.value == Decimal(53) and s.target.overridden and "gliclazide" in s.target.reason


@pytest.mark.django_db
def test_override_needs_a_reason(clinician, person):
    with pytest.raises(ActionError, match="Say why"):
        do_set_target(clinician, person, "hba1c", "<=", Decimal(53), reason=" ")


@pytest.mark.django_db
def test_result_is_compared_with_the_target_of_the_person_it_belongs_to(practice):
    """Hazard H2: two people, same result, different ages; each gets their own BP target."""
    young = f.person(practice, "Young", "Person", "9990000034", dob=date(1980, 1, 1))
    old = f.person(practice, "Old", "Person", "9990000042", dob=date(1930, 1, 1))
    for p in (young, old):
        f.condition(p, "59621000")
        f.obs(p, "bp", "145", "85")
    young_bp = {s.key: s for s in overview(young).summaries}["bp"]
    old_bp = {s.key: s for s in overview(old).summaries}["bp"]
    assert young_bp.met is False and old_bp.met is True


def test_no_override_falls_back_to_default():
    assert target_for("hba1c", ["DM"], age=50, overrides={}).source.startswith("NICE")
