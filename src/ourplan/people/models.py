"""Who is who: organisations and their staff, people with long-term conditions, the people around them,
and what each person has agreed to share."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ourplan.core.models import PublicModel, SourcedModel
from ourplan.people.nhs_number import format_nhs_number, validate_nhs_number


def _source_unique(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["source_system", "source_id"], condition=~Q(source_id=""), name=f"{name}_unique_source"
    )


class Organisation(SourcedModel):
    """A GP practice, hospital clinic, community service, local authority or voluntary organisation.
    `ods_code` is the NHS Organisation Data Service code where it has one."""

    class Kind(models.TextChoices):
        GP_PRACTICE = "gp-practice", "GP practice"
        HOSPITAL = "hospital", "Hospital or clinic"
        COMMUNITY = "community", "Community health"
        SOCIAL_CARE = "social-care", "Local authority social care"
        VOLUNTARY = "voluntary", "Voluntary or community organisation"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    ods_code = models.CharField(max_length=20, blank=True, default="")
    address = models.TextField(blank=True, default="")
    postcode = models.CharField(max_length=10, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ods_code"], condition=~Q(ods_code=""), name="org_unique_ods"),
            _source_unique("org"),
        ]

    def __str__(self) -> str:
        return self.name


class Practitioner(SourcedModel):
    """A professional (FHIR Practitioner). Has a login when they use Ourplan themselves."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="practitioner"
    )
    title = models.CharField(max_length=20, blank=True, default="")
    given_name = models.CharField(max_length=100, blank=True, default="")
    family_name = models.CharField(max_length=100)
    sds_user_id = models.CharField(max_length=40, blank=True, default="", help_text="NHS Spine SDS user id")
    professional_code = models.CharField(max_length=40, blank=True, default="", help_text="GMC, NMC, etc.")
    phone = models.CharField(max_length=40, blank=True, default="")
    email = models.EmailField(blank=True, default="")

    class Meta:
        constraints = [_source_unique("practitioner")]

    def __str__(self) -> str:
        return " ".join(p for p in (self.title, self.given_name, self.family_name) if p)


class StaffMember(SourcedModel):
    """A practitioner's role at an organisation (FHIR PractitionerRole). A practitioner may have several.
    The practitioner may be unknown: other systems send roles (an SDS role profile at a trust) alone."""

    class Role(models.TextChoices):
        CLINICIAN = "clinician", "Clinician"
        HCA = "hca", "Healthcare assistant"
        COORDINATOR = "coordinator", "Care co-ordinator"
        ADMIN = "admin", "Practice admin"

    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.CASCADE, related_name="roles"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLINICIAN)
    job_title = models.CharField(max_length=100, blank=True, default="")
    role_code = models.CharField(max_length=20, blank=True, default="", help_text="SNOMED CT occupation")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [_source_unique("staff")]

    def __str__(self) -> str:
        who = self.practitioner or "Unnamed practitioner"
        return f"{who} ({self.get_role_display()}, {self.organisation})"


class ContactMethod(models.TextChoices):
    PORTAL = "portal", "Ourplan website"
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    POST = "post", "Letter by post"
    PHONE = "phone", "Telephone"


class AccessibleFormat(models.TextChoices):
    """Accessible Information Standard needs (a subset of the UK Core written-format codes)."""

    LARGE_PRINT = "large-print", "Large print"
    EASY_READ = "easy-read", "Easy read"
    BRAILLE = "braille", "Braille"
    AUDIO = "audio", "Audio"
    BSL = "bsl", "British Sign Language interpreter"
    EMAIL_ONLY = "email", "Electronic (email)"


class Person(SourcedModel):
    """A person with (or at risk of) long-term conditions: the owner of a care plan."""

    nhs_number = models.CharField(
        max_length=10, null=True, blank=True, unique=True, validators=[validate_nhs_number]
    )
    given_name = models.CharField(max_length=100, blank=True, default="")
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True, default="")
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(
        max_length=10, blank=True, default="", choices=[("female", "Female"), ("male", "Male"),
                                                        ("other", "Other"), ("unknown", "Unknown")]
    )
    address = models.TextField(blank=True, default="")
    postcode = models.CharField(max_length=10, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    preferred_contact = models.CharField(max_length=10, choices=ContactMethod.choices, default=ContactMethod.POST)
    preferred_language = models.CharField(max_length=20, default="en", help_text="BCP 47 code, e.g. en, pa, pl")
    interpreter_needed = models.BooleanField(default=False)
    accessible_formats = models.JSONField(default=list, blank=True, help_text="AccessibleFormat values")
    communication_notes = models.TextField(blank=True, default="")
    practice = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="registered_people"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )

    class Meta:
        verbose_name_plural = "people"
        constraints = [_source_unique("person")]
        indexes = [models.Index(fields=["practice", "family_name", "given_name"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.preferred_name or self.given_name, self.family_name) if p)

    @property
    def accessible_format_labels(self) -> list[str]:
        labels = dict(AccessibleFormat.choices)
        return [str(labels.get(code, code)) for code in self.accessible_formats]

    @property
    def formal_name(self) -> str:
        """FAMILY, Given: how clinical systems show a name, to stop two similar names being confused."""
        return f"{self.family_name.upper()}, {self.given_name}".strip(", ")

    @property
    def nhs_number_display(self) -> str:
        return format_nhs_number(self.nhs_number) if self.nhs_number else "Not recorded"

    def age_on(self, day: date) -> int | None:
        dob = self.date_of_birth
        if dob is None:
            return None
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())


class RelatedPerson(SourcedModel):
    """A carer, family member, advocate or peer supporter of a person. One login may be linked to several
    RelatedPerson rows (someone caring for two parents)."""

    class Relationship(models.TextChoices):
        CARER = "carer", "Carer"
        SPOUSE = "spouse", "Husband, wife or partner"
        PARENT = "parent", "Parent"
        CHILD = "child", "Son or daughter"
        FAMILY = "family", "Other family"
        FRIEND = "friend", "Friend"
        ADVOCATE = "advocate", "Advocate"
        PEER = "peer", "Peer supporter"
        OTHER = "other", "Other"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="related_people")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="related_roles"
    )
    given_name = models.CharField(max_length=100, blank=True, default="")
    family_name = models.CharField(max_length=100, blank=True, default="")
    relationship = models.CharField(max_length=20, choices=Relationship.choices, default=Relationship.OTHER)
    relationship_code = models.CharField(max_length=20, blank=True, default="", help_text="v3 RoleCode")
    phone = models.CharField(max_length=40, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [_source_unique("related")]

    def __str__(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p) or "Unnamed"


class Consent(PublicModel):
    """The person's decision to let someone see (and perhaps add to) their record. Exactly one grantee:
    a related person (carer, family, advocate), one professional (their role at an organisation), or a whole
    organisation (a hospital clinic, a social care team). Checked on every request by people.access, so
    withdrawing it or letting it expire takes effect at once. Sensitive sections (mental health,
    safeguarding) stay hidden unless `include_sensitive`. Professionals from other organisations also need
    to be in the person's care team (sharing.CareTeamMember): consent alone does not open a record."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        WITHDRAWN = "inactive", "Withdrawn"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    related_person = models.ForeignKey(RelatedPerson, null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="consents")
    staff_member = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="consents")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="consents")
    can_contribute = models.BooleanField(default=False)
    include_sensitive = models.BooleanField(
        default=False, help_text="Also share mental health and safeguarding sections")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    given_by = models.CharField(max_length=200, blank=True, default="",
                                help_text="Who decided: the person, or their legitimate representative")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(related_person__isnull=False, staff_member__isnull=True, organisation__isnull=True)
                    | Q(related_person__isnull=True, staff_member__isnull=False, organisation__isnull=True)
                    | Q(related_person__isnull=True, staff_member__isnull=True, organisation__isnull=False)
                ),
                name="consent_exactly_one_grantee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} shares with {self.grantee_label} ({self.status})"

    @property
    def grantee_label(self) -> str:
        if self.related_person_id:
            return str(self.related_person)
        if self.staff_member_id:
            return str(self.staff_member)
        return str(self.organisation)

    @property
    def in_force(self) -> bool:
        now = timezone.now()
        return (self.status == self.Status.ACTIVE and self.starts_at <= now
                and (self.ends_at is None or self.ends_at > now))

    @staticmethod
    def in_force_q(prefix: str = "") -> Q:
        now = timezone.now()
        return (
            Q(**{f"{prefix}status": Consent.Status.ACTIVE, f"{prefix}starts_at__lte": now})
            & (Q(**{f"{prefix}ends_at__isnull": True}) | Q(**{f"{prefix}ends_at__gt": now}))
        )
