"""The person's care team, emergency (break-glass) access, and sensitive notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ourplan.core.models import PublicModel
from ourplan.people.models import Organisation, Person, RelatedPerson, StaffMember


class CareTeam(PublicModel):
    """Everyone who supports one person (FHIR CareTeam). One per person, created when first needed."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="care_team")

    def __str__(self) -> str:
        return f"Care team for {self.person}"


class MemberRole(models.TextChoices):
    """What a member does for the person, in words the person knows."""

    GP = "gp", "GP"
    PRACTICE_NURSE = "practice-nurse", "Practice nurse"
    SPECIALIST_NURSE = "specialist-nurse", "Specialist nurse"
    DISTRICT_NURSE = "district-nurse", "District nurse"
    CONSULTANT = "consultant", "Hospital doctor"
    PHARMACIST = "pharmacist", "Pharmacist"
    SOCIAL_WORKER = "social-worker", "Social worker"
    COORDINATOR = "coordinator", "Care co-ordinator"
    SOCIAL_PRESCRIBER = "social-prescriber", "Social prescriber"
    THERAPIST = "therapist", "Therapist"
    SERVICE = "service", "Service or team"
    CARER = "carer", "Carer"
    FAMILY = "family", "Family"
    ADVOCATE = "advocate", "Advocate"
    PEER = "peer", "Peer supporter"
    BROKER = "broker", "Independent broker"
    OTHER = "other", "Other"


class CareTeamMember(PublicModel):
    """One member: a named professional (their role at an organisation), a whole organisation or team, or a
    related person. Joining and leaving are recorded, never deleted, so the team's history stays visible."""

    team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="members")
    staff_member = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.RESTRICT,
                                     related_name="care_team_memberships")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.RESTRICT,
                                     related_name="care_team_memberships")
    related_person = models.ForeignKey(RelatedPerson, null=True, blank=True, on_delete=models.RESTRICT,
                                       related_name="care_team_memberships")
    role = models.CharField(max_length=30, choices=MemberRole.choices, default=MemberRole.OTHER)
    contact = models.CharField(max_length=200, blank=True, default="", help_text="Phone or email")
    joined_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    left_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(staff_member__isnull=False, related_person__isnull=True)
                    | Q(staff_member__isnull=True, organisation__isnull=False, related_person__isnull=True)
                    | Q(staff_member__isnull=True, organisation__isnull=True, related_person__isnull=False)
                ),
                name="care_team_member_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    @property
    def active(self) -> bool:
        return self.left_at is None

    @property
    def kind(self) -> str:
        if self.related_person_id:
            return "related"
        return "professional" if self.staff_member_id else "organisation"

    @property
    def name(self) -> str:
        if self.related_person_id:
            return str(self.related_person)
        if self.staff_member_id:
            sm = self.staff_member
            who = str(sm.practitioner) if sm and sm.practitioner else (sm.job_title if sm else "")
            return who or "A professional"
        return str(self.organisation)

    @property
    def organisation_name(self) -> str:
        if self.staff_member_id and self.staff_member:
            return str(self.staff_member.organisation)
        return str(self.organisation) if self.organisation_id else ""

    @staticmethod
    def active_q(prefix: str = "") -> Q:
        return Q(**{f"{prefix}left_at__isnull": True})


class BreakGlass(PublicModel):
    """A clinician outside the person's care team opened the record in an emergency, giving a reason. Lasts
    a few hours; shown to the person on "Who has seen my record" and to the practice on the register."""

    DURATION_HOURS = 4

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    user_label = models.CharField(max_length=300)
    reason = models.TextField()
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Emergency access to {self.person} by {self.user_label}"


class SensitiveNote(PublicModel):
    """A mental health or safeguarding note: part of the sensitive section, seen only by those who may see
    sensitive sections (people.access.sees_sensitive)."""

    class Kind(models.TextChoices):
        MENTAL_HEALTH = "mental-health", "Mental health"
        SAFEGUARDING = "safeguarding", "Safeguarding"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="sensitive_notes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_label = models.CharField(max_length=300)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} note for {self.person}"
