"""Ourplan: personalised care and support planning for people with long-term conditions."""
