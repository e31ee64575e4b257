"""Synthetic community services around the demo practice (Riverside, postcode area RV, which is not a
real UK area). Deterministic: the same rows every run, upserted on a stable source id, so
`ourplan seed-services` can run again without duplicating. Phone numbers are Ofcom's drama ranges."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ourplan.support import postcodes
from ourplan.support.services_import import save_service

SOURCE = "ourplan-demo-services"
TOWNS = (("Riverside", "RV1"), ("Millbrook", "RV4"), ("Eastbridge", "RV5"), ("Northwood", "RV6"))

# (name, categories, description, cost, access route, district or "online", extra fields)
Row = tuple[str, str, str, str, str, str, dict[str, Any]]

PER_TOWN: tuple[Row, ...] = (
    ("{town} Walking Group", "physical-activity social-connection",
     "A friendly, free health walk of about an hour at an easy pace, led by trained volunteer walk leaders. "
     "Nobody gets left behind, and there is a cup of tea afterwards.", "free", "self", "",
     {"opening_times": "Tuesdays and Fridays 10am", "accessibility": "Flat routes; some walks suit wheelchairs"}),
    ("{town} Lunch Club", "social-connection",
     "A hot two-course lunch and good company every week for older people living alone.", "low-cost", "both", "",
     {"cost_detail": "£4.50 a meal", "min_age": 60, "opening_times": "Wednesdays 12 to 2pm"}),
    ("{town} Community Pantry", "money-housing practical-help",
     "A membership food pantry: a weekly shop of fresh and store-cupboard food for a small fee, with money "
     "advice on hand.", "low-cost", "self", "", {"cost_detail": "£5 a week", "opening_times": "Thursdays 1 to 4pm"}),
    ("{town} Carers' Café", "carers peer-support social-connection",
     "An informal monthly café where unpaid carers meet others in the same boat, with a carers' support worker "
     "there to answer questions.", "free", "self", "", {"opening_times": "First Monday of the month, 10am to 12"}),
    ("{town} Chair-based Exercise", "physical-activity",
     "Gentle seated exercise to music to build strength and balance and help prevent falls.", "low-cost", "both", "",
     {"cost_detail": "£2 a session", "min_age": 55, "accessibility": "Wheelchair accessible hall, hearing loop"}),
    ("{town} Men's Shed", "social-connection peer-support practical-help",
     "A workshop where men (and anyone who likes making things) share skills, fix things and have a chat.",
     "free", "self", "", {"opening_times": "Mondays and Thursdays 10am to 3pm"}),
    ("{town} Library Digital Help", "practical-help",
     "One-to-one help with phones, tablets and the NHS App, from volunteers at the library.", "free", "self", "",
     {"opening_times": "Saturdays 10am to 12"}),
    ("{town} Knit and Natter", "social-connection mental-wellbeing",
     "Bring your knitting or crochet, or learn, and chat over a cuppa.", "free", "self", "",
     {"opening_times": "Fridays 2 to 4pm"}),
)

UNIQUE: tuple[Row, ...] = (
    ("Riverside Befriending Service", "social-connection mental-wellbeing",
     "A volunteer visits or phones you every week for a chat, for people who are lonely or isolated at home.",
     "free", "both", "RV2", {"eligibility": "Adults who feel lonely or isolated", "min_age": 18}),
    ("Telephone Befriending Line", "social-connection",
     "A weekly friendly phone call from the same trained volunteer.", "free", "both", "online",
     {"opening_times": "Calls arranged at a time that suits you"}),
    ("Breathe Easy Riverside", "peer-support condition-education social-connection",
     "A support group for people living with a lung condition and the people who care for them. Talks, "
     "singing for lung health and a friendly chat.", "free", "self", "RV3", {"conditions": "AST COPD"}),
    ("Pulmonary Rehabilitation (Riverside Community Health)", "physical-activity condition-education",
     "A 6 to 8 week programme of exercise and education run by physiotherapists, for people with COPD or other "
     "long-term lung conditions who are breathless.", "free", "professional", "RV1",
     {"conditions": "COPD AST", "opening_times": "Twice a week for 8 weeks"}),
    ("Take Control: Type 2 Diabetes Course", "condition-education peer-support",
     "A free structured education course (like DESMOND) for people with type 2 diabetes: what is happening "
     "in your body, food, activity and medicines, in a small group.", "free", "both", "RV2",
     {"conditions": "DM", "opening_times": "One full day or two half days"}),
    ("Diabetes Peer Support Group", "peer-support condition-education",
     "People living with diabetes meet monthly to share tips and encouragement.", "free", "self", "RV5",
     {"conditions": "DM"}),
    ("Riverside Talking Therapies", "mental-wellbeing",
     "NHS talking therapies for depression, anxiety and stress: guided self-help, CBT and counselling, in "
     "person, by phone or online. You can refer yourself.", "free", "both", "RV1",
     {"min_age": 18, "conditions": "", "languages": "English, Urdu, Punjabi, Polish (interpreters for others)"}),
    ("Riverside Stop Smoking Service", "condition-education",
     "Smoking cessation: weekly support from an adviser plus free nicotine replacement or vapes. You are "
     "three times more likely to quit with support.", "free", "self", "RV1", {}),
    ("Citizens Advice Riverside: Debt and Benefits", "money-housing",
     "Free, confidential debt advice and help claiming benefits such as Attendance Allowance and PIP.",
     "free", "self", "RV1", {"opening_times": "Monday to Friday 9:30am to 4pm"}),
    ("Money Matters Debt Advice Line", "money-housing",
     "Free debt advice by phone and online, including setting up a debt management plan.", "free", "self", "online",
     {}),
    ("Riverside Carers Centre", "carers practical-help",
     "Information, a carer's assessment, emergency planning and breaks for unpaid carers.", "free", "both", "RV2",
     {}),
    ("Young Carers Riverside", "carers peer-support",
     "Clubs, trips and support for children and young people who look after someone at home.", "free", "both",
     "RV3", {"max_age": 18}),
    ("Dementia Carers Support Group", "carers peer-support",
     "Monthly group for people caring for someone with dementia, with a dementia adviser.", "free", "self", "RV4",
     {"conditions": "DEM"}),
    ("Heart to Heart Support Group", "peer-support condition-education",
     "A group for people living with heart disease or heart failure and their families.", "free", "self", "RV1",
     {"conditions": "CHD HF"}),
    ("Cardiac Rehabilitation Programme", "physical-activity condition-education",
     "Exercise and education after a heart attack or heart surgery, or with heart failure.", "free",
     "professional", "RV3", {"conditions": "CHD HF"}),
    ("Riverside Park Run", "physical-activity social-connection",
     "A free, timed 5km walk, jog or run in the park every Saturday at 9am. Walkers welcome.", "free", "self", "RV2",
     {}),
    ("Green Gym Conservation Volunteers", "physical-activity mental-wellbeing social-connection",
     "Outdoor conservation work such as planting and path building: exercise in the fresh air.", "free", "self",
     "RV6", {}),
    ("Healthy Weight Programme (NHS Digital)", "condition-education physical-activity",
     "A 12-week online weight management programme for people with diabetes or high blood pressure.", "free",
     "professional", "online", {"conditions": "DM HYP"}),
    ("Riverside Wellbeing Hub", "mental-wellbeing peer-support",
     "A drop-in for anyone struggling with their mental health: peer support workers, groups and a quiet space.",
     "free", "self", "RV1", {"opening_times": "Monday to Saturday 11am to 7pm"}),
    ("Bereavement Support Riverside", "mental-wellbeing",
     "One-to-one and group support after the death of someone close.", "free", "both", "RV2", {}),
    ("Riverside Stroke Club", "peer-support social-connection",
     "A weekly club for stroke survivors and carers: communication groups, exercise and outings.", "free", "both",
     "RV3", {"conditions": "STRK"}),
    ("Arthritis Aquafit", "physical-activity",
     "Gentle exercise in a warm pool for people with joint pain.", "low-cost", "self", "RV4",
     {"cost_detail": "£3.50 a session", "conditions": "RA"}),
    ("Home from Hospital", "practical-help",
     "Volunteers help you settle back at home after a hospital stay: shopping, prescriptions and a friendly face.",
     "free", "professional", "RV1", {}),
    ("Riverside Dial-a-Ride", "practical-help",
     "Door-to-door community transport for people who cannot use buses, to appointments, shops and groups.",
     "low-cost", "self", "RV2", {"cost_detail": "£3 a journey"}),
    ("Handyperson and Falls Prevention Scheme", "practical-help money-housing",
     "Small repairs, grab rails and home safety checks for older and disabled people.", "low-cost", "both", "RV5",
     {"min_age": 60}),
    ("Warm Homes Energy Advice", "money-housing",
     "Help with fuel bills, grants for insulation and boilers, and switching tariffs.", "free", "self", "online",
     {}),
    ("Riverside Council Housing Options", "money-housing",
     "Advice if you are at risk of losing your home, or your home no longer meets your needs.", "free", "self",
     "RV1", {}),
    ("Men's Mental Health Football", "mental-wellbeing physical-activity peer-support",
     "Weekly casual football for men to get active and talk, if they want to.", "free", "self", "RV5", {}),
    ("South Asian Women's Walking Group", "physical-activity social-connection",
     "A women-only walking group with walk leaders who speak Urdu and Punjabi.", "free", "self", "RV2",
     {"languages": "English, Urdu, Punjabi"}),
    ("Nordic Walking Club", "physical-activity",
     "Walking with poles for a full-body workout; poles provided and a taster session is free.", "low-cost",
     "self", "RV7", {"cost_detail": "£4 a session"}),
    ("Walking Aid Loans (Red Cross)", "practical-help",
     "Short-term loan of wheelchairs and walking aids while you need them.", "low-cost", "self", "RV3", {}),
    ("Polish Community Support Group", "social-connection peer-support",
     "Advice, coffee mornings and help with forms, in Polish.", "free", "self", "RV5", {"languages": "Polish"}),
    ("Gurdwara Langar and Health Talks", "social-connection condition-education",
     "Free community meal every day, with health talks on diabetes and heart health once a month.", "free",
     "self", "RV2", {"languages": "Punjabi, English"}),
    ("Singing for Lung Health", "peer-support physical-activity",
     "Singing exercises that help with breathlessness, led by a trained practitioner.", "free", "self", "RV6",
     {"conditions": "COPD AST"}),
    ("Falls Prevention Strength and Balance Class", "physical-activity",
     "A 24-week strength and balance programme (like FaME) for people who have fallen or fear falling.", "free",
     "professional", "RV8", {"min_age": 65}),
    ("Social Prescribing Link Workers", "practical-help social-connection mental-wellbeing",
     "Link workers spend time with you to find local groups and services that help with what matters to you.",
     "free", "both", "RV1", {}),
)


def _offset(name: str) -> tuple[float, float]:
    # A stable small offset from the district centre, so services in one district are not all in one spot.
    digest = hashlib.sha256(name.encode()).digest()
    return ((digest[0] - 128) / 128 * 0.006, (digest[1] - 128) / 128 * 0.009)


def _rows() -> list[dict[str, Any]]:
    rows: list[tuple[str, str, str, str, str, str, dict[str, Any]]] = []
    for town, district in TOWNS:
        for name, cats, desc, cost, route, _, extra in PER_TOWN:
            rows.append((name.format(town=town), cats, desc, cost, route, district, extra))
    rows.extend(UNIQUE)
    today = timezone.localdate()
    out = []
    for index, (name, cats, desc, cost, route, district, extra) in enumerate(rows):
        digest = hashlib.sha256(name.encode()).digest()
        # Every ninth entry was last checked long ago, so the "needs checking" flag has something to show.
        age = 200 + digest[2] if index % 9 == 4 else 7 + digest[2] % 150
        fields: dict[str, Any] = {
            "name": name, "description": desc, "category_codes": cats, "cost": cost, "access_route": route,
            "condition_registers": extra.get("conditions", ""), "eligibility": extra.get("eligibility", ""),
            "min_age": extra.get("min_age"), "max_age": extra.get("max_age"),
            "cost_detail": extra.get("cost_detail", ""), "opening_times": extra.get("opening_times", ""),
            "accessibility": extra.get("accessibility", "Step-free access"),
            "languages": extra.get("languages", "English"),
            "phone": f"0113 496 0{100 + index:03d}", "email": f"hello{index}@example.org",
            "website": f"https://example.org/services/{index}", "maintained_by_text": "Riverside Social Prescribing",
            "last_checked": today - timedelta(days=age), "online": district == "online",
        }
        if district != "online":
            centre = postcodes.centroid(district) or (53.8, -1.55)
            dlat, dlon = _offset(name)
            fields |= {"postcode": f"{district} {1 + digest[3] % 9}{'ABDEFGHJLN'[digest[4] % 10]}"
                                   f"{'PQRSTUWXYZ'[digest[5] % 10]}",
                       "latitude": round(centre[0] + dlat, 5), "longitude": round(centre[1] + dlon, 5),
                       "address": f"{town_for(district)} Community Centre"}
        out.append(fields)
    return out


def town_for(district: str) -> str:
    return {"RV4": "Millbrook", "RV5": "Eastbridge", "RV6": "Northwood"}.get(district, "Riverside")


@transaction.atomic
def seed_services() -> dict[str, int]:
    counts = {"created": 0, "updated": 0}
    for fields in _rows():
        slug = hashlib.sha256(fields["name"].encode()).hexdigest()[:16]
        counts[save_service(None, fields, SOURCE, slug)] += 1
    return counts
