"""Access to referrals: reached through their person, so the person access rules decide (denied = 404)."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest

from ourplan.core.models import AccessBasis, AuditAction
from ourplan.people.access import get_person_for
from ourplan.support.models import Referral


def get_referral_for(request: HttpRequest, public_id: UUID, *, action: AuditAction = AuditAction.UPDATE) \
        -> Referral:
    referral = Referral.objects.select_related("person", "service").filter(public_id=public_id).first()
    if referral is None:
        raise Http404("Not found")
    get_person_for(request, referral.person.public_id, bases={AccessBasis.DIRECT_CARE}, entity_type="Referral",
                   audit_action=action)
    return referral
