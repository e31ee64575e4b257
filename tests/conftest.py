"""Shared personas for every test: a clinician, an HCA and an admin at the practice, a clinician at
another practice, the person, another person, carers with consent in force, expired and withdrawn, and
anonymous. Tests are named for what these people can and cannot do."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories as f


@pytest.fixture
def practice(db):
    return f.organisation("Riverside Medical Practice", ods_code="Y00001")


@pytest.fixture
def other_practice(db):
    return f.organisation("Hillview Surgery", ods_code="Y00002")


@pytest.fixture
def clinician(practice):
    return f.staff_user("nurse.jones", practice, role="clinician", given="Megan", family="Jones")


@pytest.fixture
def hca(practice):
    return f.staff_user("hca.patel", practice, role="hca", given="Ravi", family="Patel")


@pytest.fixture
def practice_admin(practice):
    return f.staff_user("admin.brown", practice, role="admin", given="Sue", family="Brown")


@pytest.fixture
def other_clinician(other_practice):
    return f.staff_user("dr.other", other_practice, role="clinician", given="Omar", family="Khan")


@pytest.fixture
def person(practice):
    """Margaret: type 2 diabetes, hypertension, asthma and depression, with results."""
    return f.multimorbid_person(practice, username="margaret")


@pytest.fixture
def other_person(practice):
    return f.person(practice, given="Alan", family="Other", nhs="9990000018", username="alan")


@pytest.fixture
def carer(person):
    return f.carer_for(person, "carer.sam", consent="active")


@pytest.fixture
def carer_expired(person):
    return f.carer_for(person, "carer.expired", consent="expired")


@pytest.fixture
def carer_withdrawn(person):
    return f.carer_for(person, "carer.withdrawn", consent="withdrawn")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_user():
    return _client_for


@pytest.fixture
def anonymous() -> Client:
    return Client()
