"""Practice admins see results waiting for a person, retry them and discard junk; nobody else sees them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from ourplan.fhir.models import HeldResource
from ourplan.imports.fhir import import_fhir

pytestmark = pytest.mark.django_db
ALBUMIN = Path(__file__).resolve().parents[2] / "shared" / "fhir-examples" / "uk-core" / \
    "UKCore-Observation-Lab-Albumin-Example.xml"


@pytest.fixture
def held():
    import_fhir([ALBUMIN])
    return HeldResource.objects.get(status="held")


def test_admin_sees_the_queue_with_what_each_result_waits_for(as_user, practice_admin, held):
    body = as_user(practice_admin).get(reverse("fhir:held_queue")).content.decode()
    assert "Results waiting for a person" in body and "WELSH, Joel" in body


@pytest.mark.parametrize("who", ["clinician", "hca", "person"])
def test_others_get_not_found(request, as_user, held, who):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", None) or user
    assert as_user(user).get(reverse("fhir:held_queue")).status_code == 404


def test_discarding_needs_a_note_and_keeps_the_row(as_user, practice_admin, held):
    client = as_user(practice_admin)
    url = reverse("fhir:held_discard", kwargs={"public_id": held.public_id})
    response = client.post(url, {"note": ""}, follow=True)
    assert "a note is required" in response.content.decode()
    client.post(url, {"note": "Test message from the lab"})
    held.refresh_from_db()
    assert held.status == "discarded" and held.resolved_by == practice_admin
