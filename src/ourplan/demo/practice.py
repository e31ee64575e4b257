"""The demo practice, its staff and the demo logins (database writes; the data is in featured.py).

Demo users are found by username and reused, never deleted: audit events point at users with PROTECT, and
someone who has logged in to the demo has audit events. Reusing them keeps --reset working after that."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import Q

from ourplan.core.models import User
from ourplan.demo import featured
from ourplan.demo.rng import DEMO_SOURCE, stream, uuid4
from ourplan.people.models import Organisation, Person, Practitioner, RelatedPerson, StaffMember


class DemoConflict(Exception):
    """The database holds something the seed must not overwrite."""


def check_usernames_free() -> None:
    """A demo username that belongs to a real (non-demo) record would hand that record a known password."""
    names = featured.DEMO_USERNAMES
    clashes = [
        *Practitioner.objects.filter(user__username__in=names).exclude(source_system=DEMO_SOURCE)
        .values_list("user__username", flat=True),
        *Person.objects.filter(user__username__in=names).exclude(source_system=DEMO_SOURCE)
        .values_list("user__username", flat=True),
        *RelatedPerson.objects.filter(user__username__in=names).exclude(source_system=DEMO_SOURCE)
        .values_list("user__username", flat=True),
    ]
    # A developer's own superuser is often called "admin": never hand it the demo password.
    clashes += User.objects.filter(username__in=names).filter(Q(is_superuser=True) | Q(is_staff=True)).values_list(
        "username", flat=True
    )
    if clashes:
        raise DemoConflict(
            f"The login(s) {', '.join(sorted(set(clashes)))} already exist as real logins (a superuser, or linked "
            "to records that are not demo data). seed-demo will not give them the demo password; rename them "
            "or use another database."
        )


def demo_users(seed: int) -> dict[str, User]:
    """Create or reuse the five demo logins, all with the demo password."""
    # Hashing is deliberately slow (PBKDF2), so hash once and give every demo user the same hash.
    password = make_password(settings.OURPLAN_DEMO_PASSWORD)
    names = {s.username: (s.given_name, s.family_name)
             for s in (*featured.STAFF_LOGINS, *featured.PARTNER_LOGINS.values())}
    names[featured.PERSON_USERNAME] = ("Margaret", "Thompson")
    names[featured.CARER_USERNAME] = (featured.CARER["given_name"], featured.CARER["family_name"])
    existing = {u.username: u for u in User.objects.filter(username__in=names)}
    users: dict[str, User] = {}
    for username, (given, family) in names.items():
        user = existing.get(username) or User(username=username, public_id=uuid4(stream(seed, "user", username)))
        user.first_name, user.last_name = given, family
        user.password = password
        user.is_active = True
        user.save()
        users[username] = user
    return users


def create_practice(seed: int, users: dict[str, User]) -> Organisation:
    rng = stream(seed, "practice")
    practice = Organisation.objects.create(
        public_id=uuid4(rng), kind=Organisation.Kind.GP_PRACTICE, source_system=DEMO_SOURCE, **featured.PRACTICE
    )
    for staff in (*featured.STAFF_LOGINS, *featured.OTHER_STAFF):
        practitioner = Practitioner.objects.create(
            public_id=uuid4(rng),
            user=users.get(staff.username),
            title=staff.title,
            given_name=staff.given_name,
            family_name=staff.family_name,
            source_system=DEMO_SOURCE,
        )
        StaffMember.objects.create(
            public_id=uuid4(rng), practitioner=practitioner, organisation=practice, role=staff.role,
            job_title=staff.job_title, source_system=DEMO_SOURCE,
        )
    return practice
