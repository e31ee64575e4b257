"""Reviewing a plan: goal attainment (GAS, Kiresuk-Sherman T-scores), formal and informal reviews, the
care-planning offer status, and the person's "How I'm doing" view."""
