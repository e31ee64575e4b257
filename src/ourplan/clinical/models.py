"""Conditions, results and readings, and per-person target overrides."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ourplan.clinical.terminology import MEASURES, SNOMED
from ourplan.core.models import SourcedModel
from ourplan.people.models import Person


class Condition(SourcedModel):
    """A SNOMED CT coded diagnosis. `register` is the LTC register the code maps to ("" if none), stored so
    the register and recall lists filter with an index instead of expanding code lists per query."""

    class ClinicalStatus(models.TextChoices):
        # FHIR condition-clinical codes (a required binding).
        ACTIVE = "active", "Active"
        RECURRENCE = "recurrence", "Recurrence"
        RELAPSE = "relapse", "Relapse"
        INACTIVE = "inactive", "Inactive"
        REMISSION = "remission", "In remission"
        RESOLVED = "resolved", "Resolved"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="conditions")
    code_system = models.CharField(max_length=100, default=SNOMED)
    code = models.CharField(max_length=30)
    display = models.CharField(max_length=255, blank=True, default="")
    register = models.CharField(max_length=10, blank=True, default="", db_index=True)
    clinical_status = models.CharField(
        max_length=12, choices=ClinicalStatus.choices, default=ClinicalStatus.ACTIVE
    )
    verification_status = models.CharField(max_length=20, blank=True, default="confirmed")
    onset_date = models.DateField(null=True, blank=True)
    recorded_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "source_id"], condition=~Q(source_id=""), name="condition_unique_source"
            )
        ]
        indexes = [models.Index(fields=["register", "clinical_status"])]

    def __str__(self) -> str:
        return self.display or self.code

    @property
    def is_active(self) -> bool:
        return self.clinical_status in {"active", "recurrence", "relapse"}


class Observation(SourcedModel):
    """A result or reading. `measure` is the terminology key (hba1c, bp, ...). Blood pressure is one row
    with `value` systolic and `value2` diastolic, so the pair can never be split or mismatched."""

    class Source(models.TextChoices):
        CLINIC = "clinic", "Measured at the practice"
        LAB = "lab", "Laboratory"
        HOME = "home", "Measured at home"
        IMPORT = "import", "Imported from another system"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="observations")
    measure = models.CharField(max_length=20, choices=[(k, m.display) for k, m in MEASURES.items()])
    code_system = models.CharField(max_length=100, default=SNOMED)
    code = models.CharField(max_length=30)
    display = models.CharField(max_length=255, blank=True, default="")
    value = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    value2 = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    value_code = models.CharField(max_length=30, blank=True, default="")
    value_display = models.CharField(max_length=255, blank=True, default="")
    unit = models.CharField(max_length=30, blank=True, default="")
    effective_at = models.DateTimeField()
    status = models.CharField(max_length=20, default="final")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CLINIC)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "source_id"], condition=~Q(source_id=""), name="obs_unique_source"
            )
        ]
        indexes = [models.Index(fields=["person", "measure", "-effective_at"])]

    def __str__(self) -> str:
        return f"{self.measure} {self.value} {self.unit} at {self.effective_at:%Y-%m-%d}"


class PersonTarget(SourcedModel):
    """A clinician's override of the default (NICE) target for one person and measure, with the reason:
    for example HbA1c 53 mmol/mol because the person takes a medicine that can cause hypos."""

    class Comparator(models.TextChoices):
        LT = "<", "below"
        LE = "<=", "at or below"
        GT = ">", "above"
        GE = ">=", "at or above"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="target_overrides")
    measure = models.CharField(max_length=20, choices=[(k, m.display) for k, m in MEASURES.items()])
    comparator = models.CharField(max_length=2, choices=Comparator.choices)
    value = models.DecimalField(max_digits=10, decimal_places=3)
    value2 = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    reason = models.TextField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "measure"], name="one_override_per_measure")]

    def __str__(self) -> str:
        return f"{self.person} {self.measure} {self.comparator}{self.value}"
