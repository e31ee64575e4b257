"""Start-up checks that `runserver` and `check` print."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=False)
def staff_mfa_switched_off(app_configs: Any, **kwargs: Any) -> list[Warning]:
    # The demo may switch staff MFA off; it must say so every time it starts.
    if settings.OURPLAN_REQUIRE_STAFF_MFA:
        return []
    return [Warning(
        "Staff MFA is switched off (OURPLAN_REQUIRE_STAFF_MFA=0). This is for a local demo only.",
        hint="Unset OURPLAN_REQUIRE_STAFF_MFA in any real deployment.", id="ourplan.W001",
    )]
