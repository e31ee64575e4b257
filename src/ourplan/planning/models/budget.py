"""A personal budget (NHS personal health budget, social care personal budget or an integrated one)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from ourplan.core.models import PublicModel
from ourplan.planning.models.plan import CarePlan, Goal


class PersonalBudget(PublicModel):
    """The money available for the plan: an indicative allocation, where it comes from, and spend to date.
    Planned items are linked to the goals they serve, so spending is always for something the person wants."""

    class FundingSource(models.TextChoices):
        PHB = "phb", "NHS personal health budget"
        SOCIAL_CARE = "social-care", "Local authority personal budget"
        INTEGRATED = "integrated", "Integrated personal budget (health and social care)"
        OTHER = "other", "Other"

    plan = models.OneToOneField(CarePlan, on_delete=models.CASCADE, related_name="budget")
    indicative_allocation = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal(0))
    funding_source = models.CharField(max_length=20, choices=FundingSource.choices, default=FundingSource.PHB)
    spend_to_date = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal(0))

    def __str__(self) -> str:
        return f"Budget for {self.plan.person}"


class BudgetItem(PublicModel):
    """One planned use of the budget, linked to a goal in the same plan."""

    budget = models.ForeignKey(PersonalBudget, on_delete=models.CASCADE, related_name="items")
    description = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="budget_items")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.description
