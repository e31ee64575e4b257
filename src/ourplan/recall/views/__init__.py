"""Recall pages: the worklist and invitations, slots and booking, and information gathering. Thin views:
access through people.access, queries in recall.worklist and recall.booking, changes through do_* actions."""
