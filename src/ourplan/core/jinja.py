"""The Jinja2 environment: NHS.UK frontend macros, Django's static/url helpers, CSRF, and a few filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.messages import get_messages
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader
from markupsafe import Markup

from ourplan.core.roles import staff_roles, works_at_gp_practice


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def uk_date(value: date | datetime | None, fmt: str = "j F Y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return date_format(value, fmt)


def number(value: Decimal | float | int | None, places: int | None = None) -> str:
    """Numbers without trailing zeros (48, 7.2, 140), as people write them."""
    if value is None:
        return ""
    if places is not None:
        return f"{float(value):.{places}f}"
    d = Decimal(str(value)).normalize()
    return f"{d:f}"


def csrf_input(request: Any) -> Markup:
    return Markup('<input type="hidden" name="csrfmiddlewaretoken" value="{}">').format(get_token(request))


def plain_condition(condition: Any) -> str:
    """The plain-language name of a condition, for people's own pages."""
    from ourplan.clinical.terminology import condition_names

    return condition_names(condition.code, condition.display)[1]


def has_own_record(user: Any) -> bool:
    """Whether this login is a person's own (for the "My plan" navigation); cached for the request."""
    cached = getattr(user, "_ourplan_has_own_record", None)
    if cached is None:
        from ourplan.people.access import own_person

        cached = own_person(user) is not None
        if getattr(user, "is_authenticated", False):
            user._ourplan_has_own_record = cached
    return bool(cached)


def query_with(data: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (pagination links keep the filters)."""
    from urllib.parse import urlencode

    params = {k: v for k, v in (data.items() if data else []) if v}
    params.update({k: v for k, v in changes.items()})
    return urlencode(params)


def environment(**options: Any) -> Environment:
    loader = options.pop("loader")
    options["undefined"] = ChainableUndefined  # the NHS.UK macros read chained optional params
    # Django's Jinja2 backend passes autoescape=True in `options`.
    env = Environment(  # noqa: S701
        loader=ChoiceLoader([loader, PackageLoader("nhsuk_frontend_jinja")]),
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )
    env.globals.update(
        {
            "static": static, "url": url, "csrf_input_for": csrf_input, "get_messages": get_messages,
            "plain_condition": plain_condition, "staff_roles": staff_roles,
            "has_own_record": has_own_record, "query_with": query_with,
            "works_at_gp_practice": works_at_gp_practice,
        }
    )
    env.filters.update({"uk_date": uk_date, "number": number})
    return env
