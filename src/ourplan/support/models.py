"""Support for self-management: the community services directory, referrals and signposting to it, needs
no service met, readings people log at home (for measures the clinical terminology does not hold), and
alerts to the care team when a reading crosses a contingency trigger."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ourplan.core.models import PublicModel, SourcedModel
from ourplan.people.models import Organisation, Person

# A directory entry nobody has checked for this long may have closed or moved: flag it.
STALE_AFTER = timedelta(days=183)


class Category(models.TextChoices):
    PHYSICAL_ACTIVITY = "physical-activity", "Physical activity"
    MENTAL_WELLBEING = "mental-wellbeing", "Mental wellbeing"
    SOCIAL_CONNECTION = "social-connection", "Social connection"
    MONEY_HOUSING = "money-housing", "Money and housing"
    CARERS = "carers", "Carers"
    CONDITION_EDUCATION = "condition-education", "Condition education"
    PEER_SUPPORT = "peer-support", "Peer support"
    PRACTICAL_HELP = "practical-help", "Practical help"


class Cost(models.TextChoices):
    FREE = "free", "Free"
    LOW = "low-cost", "Low cost"
    PAID = "paid", "Paid"


class AccessRoute(models.TextChoices):
    SELF = "self", "Self-referral"
    PROFESSIONAL = "professional", "Professional referral"
    BOTH = "both", "Self or professional referral"


class Service(SourcedModel):
    """One entry in the community services directory: what it offers in plain words, who it is for, what
    it costs, how to get in, where it is (or that it is online) and when someone last checked it is still
    running. Categories and condition registers are stored as space-separated codes so that filtering is
    one indexed-free `contains` on SQLite and PostgreSQL alike (a JSON containment lookup is PostgreSQL
    only)."""

    name = models.CharField(max_length=200)
    description = models.TextField(help_text="Plain language: what happens there")
    category_codes = models.CharField(max_length=300, blank=True, default="")
    eligibility = models.TextField(blank=True, default="", help_text="Who it is for")
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    condition_registers = models.CharField(max_length=200, blank=True, default="",
                                           help_text="Register keys (DM, AST, ...) it is meant for; blank: any")
    cost = models.CharField(max_length=10, choices=Cost.choices, default=Cost.FREE)
    cost_detail = models.CharField(max_length=200, blank=True, default="")
    access_route = models.CharField(max_length=15, choices=AccessRoute.choices, default=AccessRoute.BOTH)
    address = models.TextField(blank=True, default="")
    postcode = models.CharField(max_length=10, blank=True, default="")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    online = models.BooleanField(default=False)
    opening_times = models.TextField(blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    website = models.URLField(blank=True, default="")
    accessibility = models.TextField(blank=True, default="")
    languages = models.CharField(max_length=200, blank=True, default="English")
    maintained_by = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="services")
    maintained_by_text = models.CharField(max_length=200, blank=True, default="")
    last_checked = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source_system", "source_id"], condition=~Q(source_id=""),
                                    name="service_unique_source"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def categories(self) -> list[str]:
        return self.category_codes.split()

    @property
    def category_labels(self) -> list[str]:
        labels = dict(Category.choices)
        return [str(labels.get(c, c)) for c in self.categories]

    @property
    def registers(self) -> list[str]:
        return self.condition_registers.split()

    def is_stale(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.last_checked is None or today - self.last_checked > STALE_AFTER

    @staticmethod
    def stale_q(today: date | None = None) -> Q:
        today = today or timezone.localdate()
        return Q(last_checked__isnull=True) | Q(last_checked__lt=today - STALE_AFTER)


class PostcodeDistrict(models.Model):
    """The centre of a postcode district (the outward code, "RV1"). Distances are measured between these
    centres: precise enough to sort services by how far away they are, and no online lookup is needed.
    Empty until `ourplan load-postcode-districts` runs; the bundled table in support/data is used then."""

    district = models.CharField(max_length=4, unique=True)
    latitude = models.FloatField()
    longitude = models.FloatField()

    def __str__(self) -> str:
        return self.district


class Referral(PublicModel):
    """A referral or signposting of a person to a directory service or a named professional (FHIR
    ServiceRequest). Status moves only through support.referrals.transition, which keeps one date per
    status. `goal_public_id` is the planning Goal (in the person's current plan) the referral came from, if
    any; support.goals checks it and looks up the goal's words."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", "Referral"
        SIGNPOSTING = "signposting", "Signposting"

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        ATTENDED = "attended", "Attended"
        FINISHED = "finished", "Finished"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="referrals")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    to_name = models.CharField(max_length=200, blank=True, default="",
                              help_text="A named professional or service not in the directory")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.REFERRAL)
    reason = models.TextField()
    consent_given = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    outcome = models.TextField(blank=True, default="")
    feedback = models.TextField(blank=True, default="", help_text="What the person or service said")
    sent_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    goal_public_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["status", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.person} to {self.destination}"

    @property
    def destination(self) -> str:
        return self.service.name if self.service else self.to_name


class UnmetNeed(PublicModel):
    """A need for which no service fitted: aggregated by category and area to show commissioners what
    is missing."""

    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField()
    area = models.CharField(max_length=4, blank=True, default="", help_text="Postcode district, e.g. RV1")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    def __str__(self) -> str:
        return f"{self.get_category_display()} in {self.area or 'unknown area'}"


class HomeReading(PublicModel):
    """A reading a person logged at home for a measure the clinical terminology does not (yet) hold:
    capillary blood glucose, steps, activity minutes, symptoms. Measures it does hold (blood pressure,
    weight, peak flow, PHQ-2) are stored as clinical Observations with source "home" instead."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="home_readings")
    measure = models.CharField(max_length=20)
    value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    text = models.TextField(blank=True, default="")
    unit = models.CharField(max_length=20, blank=True, default="")
    effective_at = models.DateTimeField()
    source = models.CharField(max_length=10, default="home")
    unusual_confirmed = models.BooleanField(default=False, help_text="Outside the usual range; the person "
                                                                     "confirmed it")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        indexes = [models.Index(fields=["person", "measure", "-effective_at"])]

    def __str__(self) -> str:
        return f"{self.measure} {self.value or self.text} at {self.effective_at:%Y-%m-%d}"


class SupportAlert(PublicModel):
    """Tells the care team that a self-logged reading crossed a contingency trigger (amber or red peak
    flow, high or very high home blood pressure). Shown on the staff support page until acknowledged."""

    class Level(models.TextChoices):
        AMBER = "amber", "Amber"
        RED = "red", "Red"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="support_alerts")
    level = models.CharField(max_length=5, choices=Level.choices)
    trigger = models.CharField(max_length=30)
    message = models.TextField()
    reading_public_id = models.UUIDField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.level} {self.trigger} for {self.person}"


class GoalCheckIn(PublicModel):
    """How the person feels a goal in their plan is going, 0 (not at all) to 10 (as well as it could), with
    a short note. Written by the person, a carer they allowed to contribute, or the care team; `role` says
    which, `written_by` who. The goal is referred to by its public id, like Referral.goal_public_id."""

    class Role(models.TextChoices):
        PERSON = "person", "The person"
        CARER = "carer", "Carer or family"
        STAFF = "staff", "Care team"

    goal_public_id = models.UUIDField(db_index=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="goal_checkins")
    progress = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True, default="")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.progress}/10 on {self.created_at:%Y-%m-%d}"


class CheckInSchedule(PublicModel):
    """How often the person wants to check in on one goal, when the next check-in is due, and how to
    remind them. `next_due` moves on only when they check in, so a missed check-in stays due."""

    class Rhythm(models.TextChoices):
        WEEKLY = "weekly", "Every week"
        FORTNIGHTLY = "fortnightly", "Every 2 weeks"
        MONTHLY = "monthly", "Every month"

    goal_public_id = models.UUIDField(unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="checkin_schedules")
    rhythm = models.CharField(max_length=12, choices=Rhythm.choices)
    next_due = models.DateField()
    channel = models.CharField(max_length=10, help_text="messaging Communication.Channel for reminders")

    class Meta:
        indexes = [models.Index(fields=["next_due"])]

    def __str__(self) -> str:
        return f"{self.rhythm} check-in, next {self.next_due}"
