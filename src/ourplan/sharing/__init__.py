"""Sharing: the person's care team, their consent decisions (per member or organisation, time-limited,
sensitive sections), break-glass access, and "who has seen my plan"."""
