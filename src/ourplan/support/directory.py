"""Searching the directory: ranked full text, filters, and distance from a postcode.

Ranking is in tiers so a search for "walking group" lists services *called* a walking group before
services that merely mention walking: tier 3 the whole phrase is in the name, 2 every word is in the name,
1 every word is somewhere (name, categories, description, eligibility), 0 some words are. Within a tier,
when a postcode is given, the nearest come first (then the better text score); without one, the better
text score. The text score weights name 4, categories 2, description and eligibility 1 per word matched.

On PostgreSQL the candidates come from full-text search (SearchVector with the same weights, A/B/C,
ranked by SearchRank); django.contrib.postgres need not be in INSTALLED_APPS for this, because the
SearchVectorField lookup is registered when django.contrib.postgres.search is imported. On SQLite the
candidates are prefiltered with `icontains` per word (any word) and scored in Python: a directory holds
hundreds to a few thousand services, so scoring a prefiltered set is quick, and it avoids keeping an FTS5
shadow table in step with the rows. Both paths then use the same tiers, so results agree."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from ourplan.core.errors import ActionError
from ourplan.support import postcodes
from ourplan.support.models import Category, Service

_WORD = re.compile(r"[a-z0-9']+")
# Words too common to rank on ("group" is kept: it is what tells a walking group from a walking aid).
STOP_WORDS = {"a", "an", "and", "the", "for", "of", "in", "to", "with", "near", "me", "my", "on", "at", "or"}


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


def _stem_match(word: str, text_words: set[str]) -> bool:
    # "groups" finds "group", "walk" finds "walking": a light prefix match, no stemming library needed.
    return any(t.startswith(word) or (word.startswith(t) and len(t) >= 4) for t in text_words)


@dataclass
class Hit:
    service: Service
    tier: int
    score: float
    distance_km: float | None

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else self.distance_km / 1.609344


def _score(service: Service, terms: list[str], phrase: str) -> tuple[int, float]:
    labels = " ".join(service.category_labels)
    fields = {
        "name": (set(words(service.name)), 4.0),
        "categories": (set(words(labels)), 2.0),
        "description": (set(words(service.description)), 1.0),
        "eligibility": (set(words(service.eligibility)), 1.0),
    }
    score = 0.0
    found_anywhere = 0
    for term in terms:
        hit = False
        for text_words, weight in fields.values():
            if _stem_match(term, text_words):
                score += weight
                hit = True
        found_anywhere += hit
    in_name = all(_stem_match(t, fields["name"][0]) for t in terms)
    if phrase and phrase in " ".join(words(service.name)):
        tier = 3
    elif in_name:
        tier = 2
    elif found_anywhere == len(terms):
        tier = 1
    else:
        tier = 0
    return tier, score


def filtered(categories: Iterable[str] = (), cost: str = "", access_route: str = "", stale_only: bool = False,
             include_inactive: bool = False) -> QuerySet[Service]:
    services = Service.objects.all() if include_inactive else Service.objects.filter(active=True)
    cats = [c for c in categories if c in Category.values]
    if cats:
        any_cat = Q()
        for code in cats:
            any_cat |= Q(category_codes__contains=code)
        services = services.filter(any_cat)
    if cost:
        services = services.filter(cost=cost)
    if access_route:
        # A service that takes both routes fits either filter.
        services = services.filter(access_route__in=[access_route, "both"])
    if stale_only:
        services = services.filter(Service.stale_q())
    return services.select_related("maintained_by")


def _text_candidates(services: QuerySet[Service], terms: list[str], query: str) -> QuerySet[Service]:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = (SearchVector("name", weight="A", config="english")
                  + SearchVector("category_codes", weight="B", config="english")
                  + SearchVector("description", "eligibility", weight="C", config="english"))
        # OR of the words, so a partial match is still a candidate; the tiers reward matching them all.
        search = SearchQuery(" | ".join(terms), search_type="raw", config="english") if terms else None
        if search is not None:
            return (services.annotate(search=vector, rank=SearchRank(vector, search))
                    .filter(Q(search=search) | Q(name__icontains=query)))
    any_word = Q()
    for term in terms:
        any_word |= (Q(name__icontains=term) | Q(description__icontains=term) | Q(eligibility__icontains=term)
                     | Q(category_codes__icontains=term))
    return services.filter(any_word)


def search(query: str = "", *, near: str = "", categories: Iterable[str] = (), cost: str = "",
           access_route: str = "", stale_only: bool = False, limit: int | None = None) -> list[Hit]:
    """Services matching the query and filters, best first. Raises ActionError for an unknown postcode."""
    origin = postcodes.require_centroid(near) if near.strip() else None
    terms = words(query)
    # Category labels count as text too: "carers" or "money" should find those categories' services.
    services = filtered(categories, cost, access_route, stale_only)
    if terms:
        services = _text_candidates(services, terms, query.strip())
    phrase = " ".join(terms)
    hits = []
    for service in services:
        tier, score = _score(service, terms, phrase) if terms else (0, 0.0)
        if terms and score == 0:
            continue
        distance = None
        if origin is not None and service.latitude is not None and service.longitude is not None:
            distance = postcodes.haversine_km(origin, (service.latitude, service.longitude))
        hits.append(Hit(service, tier, score, distance))
    far = float("inf")
    if origin is not None:
        hits.sort(key=lambda h: (-h.tier, h.distance_km if h.distance_km is not None else far, -h.score,
                                 h.service.name))
    else:
        hits.sort(key=lambda h: (-h.tier, -h.score, h.service.name))
    return hits[:limit] if limit else hits


def suggestions(categories: Iterable[str], near: str, *, limit: int = 5, register_keys: Iterable[str] = ()) \
        -> list[Hit]:
    """Nearby services for a person's needs (for example social connection: befriending, peer groups).
    Services meant for one of the person's conditions come first, then the nearest; services restricted
    to conditions the person does not have are left out."""
    regs = set(register_keys)
    try:
        hits = search(near=near, categories=categories)
    except ActionError:  # an unknown postcode still gives suggestions, just not sorted by distance
        hits = search(categories=categories)
    fitting = [h for h in hits if not h.service.registers or regs & set(h.service.registers)]
    far = float("inf")
    fitting.sort(key=lambda h: (not (regs & set(h.service.registers)),
                                h.distance_km if h.distance_km is not None else far, h.service.name))
    return fitting[:limit]
