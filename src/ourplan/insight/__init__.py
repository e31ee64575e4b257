"""Insight: the practice fidelity dashboard, the outcomes dashboard, commissioners' cross-practice view
(aggregates only, small numbers suppressed) and their exports."""
