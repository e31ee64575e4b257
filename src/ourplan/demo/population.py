"""Demographics of a synthetic GP practice list: age, sex, names, address, contact and communication
needs. Pure Python (no database), so it can be tested and timed on its own."""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from ourplan.demo.names import NameMaker
from ourplan.demo.rng import uuid4
from ourplan.people.models import AccessibleFormat, ContactMethod

# Five-year age bands (first age, last age, % of list), close to the ONS 2021 England population, which a
# practice list resembles: about a fifth children, a fifth 65 and over.
AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (0, 4, 5.4), (5, 9, 6.0), (10, 14, 6.0), (15, 19, 5.7), (20, 24, 6.0), (25, 29, 6.7), (30, 34, 6.9),
    (35, 39, 6.6), (40, 44, 6.3), (45, 49, 6.3), (50, 54, 6.9), (55, 59, 6.8), (60, 64, 5.9), (65, 69, 5.0),
    (70, 74, 5.0), (75, 79, 3.6), (80, 84, 2.5), (85, 89, 1.5), (90, 99, 0.8),
)
_BAND_WEIGHTS = [w for _, _, w in AGE_BANDS]


def age_distribution() -> dict[int, float]:
    """Share of the list at each single year of age (sums to 1); the prevalence model calibrates to it."""
    total = sum(_BAND_WEIGHTS)
    shares: dict[int, float] = {}
    for first, last, weight in AGE_BANDS:
        for age in range(first, last + 1):
            shares[age] = weight / total / (last - first + 1)
    return shares


# Preferred languages other than English in roughly the mix a multi-ethnic English town sees.
LANGUAGES: tuple[tuple[str, float], ...] = (
    ("en", 0.90), ("pa", 0.02), ("ur", 0.025), ("pl", 0.025), ("bn", 0.015), ("gu", 0.015),
)
LANGUAGE_NAMES = {"pa": "Punjabi", "ur": "Urdu", "pl": "Polish", "bn": "Bengali", "gu": "Gujarati"}

# The practice's catchment. RV is not a UK postcode area, so no demo address can be a real one.
TOWNS: tuple[tuple[str, tuple[int, ...], float], ...] = (
    ("Riverside", (1, 2, 3), 0.6), ("Millbrook", (4,), 0.15), ("Eastbridge", (5,), 0.15),
    ("Northwood", (6,), 0.10),
)
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # Royal Mail never uses C, I, K, M, O or V in the inward code


@dataclass(slots=True)
class PersonSpec:
    """One demo person before it becomes a Person row."""

    index: int
    public_id: uuid.UUID
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    age: int
    sex: str
    address: str
    postcode: str
    phone: str
    email: str
    preferred_contact: str
    preferred_language: str
    interpreter_needed: bool
    accessible_formats: list[str] = field(default_factory=list)
    communication_notes: str = ""


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _contact(rng: random.Random, age: int) -> str:
    weights: tuple[tuple[str, float], ...]
    if age < 16:
        weights = (("post", 0.6), ("phone", 0.2), ("sms", 0.2))
    elif age < 65:
        weights = (("portal", 0.35), ("sms", 0.25), ("email", 0.15), ("post", 0.15), ("phone", 0.10))
    else:
        weights = (("post", 0.4), ("phone", 0.25), ("sms", 0.15), ("portal", 0.1), ("email", 0.1))
    return _weighted(rng, weights)


def _formats(rng: random.Random, age: int) -> list[str]:
    formats: list[str] = []
    if rng.random() < (0.10 if age >= 75 else 0.01):
        formats.append(AccessibleFormat.LARGE_PRINT.value)
    if rng.random() < 0.01:
        formats.append(AccessibleFormat.EASY_READ.value)
    if rng.random() < 0.003:
        formats.append(AccessibleFormat.AUDIO.value)
    if rng.random() < 0.001:
        formats.append(AccessibleFormat.BRAILLE.value)
    if rng.random() < 0.002:
        formats.append(AccessibleFormat.BSL.value)
    if rng.random() < 0.01:
        formats.append(AccessibleFormat.EMAIL_ONLY.value)
    return formats


def make_person(
    index: int, rng: random.Random, names: NameMaker, nhs_number: str, today: date
) -> PersonSpec:
    """Demographics for person `index`. `rng` and `names` must already be seeded for this person."""
    first, last, _ = rng.choices(AGE_BANDS, weights=_BAND_WEIGHTS)[0]
    age = rng.randint(first, last)
    dob = today - timedelta(days=int(age * 365.25) + rng.randrange(365))
    roll = rng.random()
    sex = "female" if roll < 0.505 else "male" if roll < 0.997 else "unknown"

    language = "en" if age < 16 else _weighted(rng, LANGUAGES)
    name_language = language
    if language == "en" and rng.random() < 0.08:
        # British South Asian and Polish families whose preferred language is English.
        name_language = rng.choice(("pa", "ur", "bn", "gu", "pl"))
    given, family = names.name(rng, name_language, sex)
    interpreter = language != "en" and rng.random() < (0.25 if age < 40 else 0.5 if age < 65 else 0.75)

    formats = _formats(rng, age)
    contact = _contact(rng, age)
    if AccessibleFormat.EMAIL_ONLY.value in formats:
        contact = ContactMethod.EMAIL.value
    elif AccessibleFormat.BSL.value in formats and contact == ContactMethod.PHONE.value:
        contact = ContactMethod.SMS.value
    notes = []
    if interpreter:
        notes.append(f"Book a {LANGUAGE_NAMES[language]} interpreter for appointments and phone calls.")
    if AccessibleFormat.BSL.value in formats:
        notes.append("Deaf: book a BSL interpreter. Contact by text message or email, never by phone.")

    town, districts, _ = rng.choices(TOWNS, weights=[w for *_, w in TOWNS])[0]
    postcode = (
        f"RV{rng.choice(districts)} {rng.randrange(1, 10)}"
        f"{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    )
    # Ofcom reserves 07700 900xxx and 0113 496 0xxx for drama, so these numbers ring nobody.
    phone = f"07700 900{rng.randrange(1000):03d}" if rng.random() < 0.85 else f"0113 496 0{rng.randrange(1000):03d}"
    email = ""
    if age >= 16 and (contact in {"email", "portal"} or rng.random() < 0.4):
        email = f"{_ascii_slug(given)}.{_ascii_slug(family)}{rng.randrange(100)}@example.com"
    return PersonSpec(
        index=index,
        public_id=uuid4(rng),
        nhs_number=nhs_number,
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        age=age,
        sex=sex,
        address=f"{names.street()}\n{town}",
        postcode=postcode,
        phone=phone,
        email=email,
        preferred_contact=contact,
        preferred_language=language,
        interpreter_needed=interpreter,
        accessible_formats=formats,
        communication_notes=" ".join(notes),
    )
