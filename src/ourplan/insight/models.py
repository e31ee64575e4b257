"""Who may see insight across practices. Practice staff see their own practice through their StaffMember
role; a commissioner is not practice staff, so their reach is recorded here and nowhere else."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ourplan.core.models import PublicModel
from ourplan.people.models import Organisation


class CommissionerAccess(PublicModel):
    """A commissioner's view of several practices: aggregates only (no person-level data, small numbers
    suppressed). It gives no access to any person's record: people.access never consults it, so every staff
    and person page stays "not found" for a commissioner."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="commissioner_access")
    organisations = models.ManyToManyField(Organisation, related_name="commissioners", blank=True,
                                           help_text="The practices whose aggregates this commissioner sees")
    body = models.CharField(max_length=200, blank=True, default="",
                            help_text="Who they commission for, e.g. an integrated care board")
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "commissioner access"
        verbose_name_plural = "commissioner access"

    def __str__(self) -> str:
        return f"Commissioner access for {self.user} ({'active' if self.active else 'inactive'})"
