"""Names for demo people. Faker's en_GB and pl_PL lists are good; its South Asian locales mix in English
and mis-gendered names, so the communities a UK practice commonly serves get short curated lists instead."""

from __future__ import annotations

import random

from faker import Faker

# (female given names, male given names, family names) per preferred language.
_SOUTH_ASIAN: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "pa": (
        ("Gurpreet", "Harjit", "Manjit", "Jaswinder", "Kulwant", "Balvinder", "Amrit", "Simran", "Navdeep"),
        ("Gurpreet", "Harjit", "Manjit", "Jaswinder", "Kulwant", "Balvinder", "Amarjit", "Sukhdev", "Rajinder"),
        ("Sandhu", "Gill", "Dhillon", "Sidhu", "Bains", "Johal", "Grewal", "Sohal", "Virdee"),
    ),
    "ur": (
        ("Nadia", "Shazia", "Farzana", "Ayesha", "Samina", "Rubina", "Nasreen", "Amina", "Sadia"),
        ("Mohammed", "Imran", "Tariq", "Asif", "Zahid", "Khalid", "Naveed", "Shahid", "Bilal"),
        ("Khan", "Hussain", "Ahmed", "Akhtar", "Iqbal", "Malik", "Butt", "Raza", "Mahmood"),
    ),
    "bn": (
        ("Rumana", "Nasima", "Shirin", "Jahanara", "Rahima", "Fatema", "Shahana", "Salma", "Rokeya"),
        ("Abdul", "Mohammed", "Shahid", "Ruhul", "Jamal", "Anwar", "Habibur", "Mizanur", "Kamal"),
        ("Miah", "Uddin", "Islam", "Rahman", "Ali", "Chowdhury", "Ahmed", "Hoque", "Khatun"),
    ),
    "gu": (
        ("Bhavna", "Nisha", "Hansa", "Kokila", "Jyoti", "Meena", "Pushpa", "Rekha", "Sunita"),
        ("Rajesh", "Sanjay", "Jayesh", "Hitesh", "Dinesh", "Mahesh", "Pravin", "Ramesh", "Kiran"),
        ("Patel", "Shah", "Mistry", "Parmar", "Desai", "Solanki", "Chauhan", "Lad", "Modi"),
    ),
}


class NameMaker:
    """Given and family names by preferred language and sex, reseeded for each person."""

    def __init__(self) -> None:
        self.gb = Faker("en_GB")
        self.pl = Faker("pl_PL")

    def seed(self, key: str) -> None:
        # Reseeding per person (not once per run) keeps each person's name a function of (seed, index).
        self.gb.seed_instance(key)
        self.pl.seed_instance(key)

    def name(self, rng: random.Random, language: str, sex: str) -> tuple[str, str]:
        female = sex == "female" or (sex not in {"male", "female"} and rng.random() < 0.5)
        if language in _SOUTH_ASIAN:
            women, men, families = _SOUTH_ASIAN[language]
            given = rng.choice(women if female else men)
            if language == "pa" and rng.random() < 0.5:
                # Many Sikh families use Kaur (women) and Singh (men) as the family name.
                return given, "Kaur" if female else "Singh"
            return given, rng.choice(families)
        if language == "pl":
            if female:
                return self.pl.first_name_female(), self.pl.last_name_female()
            return self.pl.first_name_male(), self.pl.last_name_male()
        given = self.gb.first_name_female() if female else self.gb.first_name_male()
        return given, self.gb.last_name()

    def street(self) -> str:
        return str(self.gb.street_address())
