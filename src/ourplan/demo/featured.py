"""The demo practice and the people with logins: staff, Margaret (the `person` login) and her daughter
Sarah (the `carer` login). Margaret's results are written by hand so that every demo shows the same story:
HbA1c coming down but still above her target, blood pressure just reaching target, asthma with a personal
best peak flow, and depression improving."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from ourplan.demo.conditions import ANXIETY, ConditionSpec
from ourplan.demo.population import PersonSpec
from ourplan.demo.results import UK, Reading, decimal


@dataclass(frozen=True)
class StaffLogin:
    username: str
    role: str  # StaffMember.Role value
    title: str
    given_name: str
    family_name: str
    job_title: str


STAFF_LOGINS = (
    StaffLogin("clinician", "clinician", "", "Megan", "Jones", "Practice nurse"),
    StaffLogin("hca", "hca", "", "Ravi", "Patel", "Healthcare assistant"),
    StaffLogin("admin", "admin", "", "Sue", "Brown", "Practice administrator"),
    StaffLogin("prescriber", "coordinator", "", "Grace", "Okafor", "Social prescribing link worker"),
)
# Staff without a login, so lists of the care team are not just the three demo users.
OTHER_STAFF = (
    StaffLogin("", "clinician", "Dr", "Aisha", "Rahman", "GP partner"),
    StaffLogin("", "coordinator", "", "Tom", "Hughes", "Care co-ordinator"),
)
# Margaret's care team outside the practice: a hospital clinic she shares her plan with for 6 months, and
# the district nurses who visit. Each has a login, to show what sharing lets them see (and not see).
PARTNER_ORGANISATIONS = {
    "clinic": {"name": "Riverside Hospital Diabetes Clinic", "kind": "hospital", "ods_code": "Y09998",
               "address": "Riverside General Hospital\nHospital Road\nRiverside", "postcode": "RV2 3HS",
               "phone": "0113 496 0100"},
    "community": {"name": "Riverside Community Nursing", "kind": "community", "ods_code": "Y09997",
                  "address": "Riverside Health Centre\n1 Mill Lane\nRiverside", "postcode": "RV1 1AA",
                  "phone": "0113 496 0200"},
}
# An A&E doctor in no one's care team: the emergency access (break glass) story.
PARTNER_ORGANISATIONS["emergency"] = {
    "name": "Riverside General Hospital Emergency Department", "kind": "hospital", "ods_code": "Y09996",
    "address": "Riverside General Hospital\nHospital Road\nRiverside", "postcode": "RV2 3HS",
    "phone": "0113 496 0300"}
PARTNER_LOGINS = {
    "clinic": StaffLogin("clinicnurse", "clinician", "", "Priya", "Shah", "Diabetes specialist nurse"),
    "community": StaffLogin("districtnurse", "clinician", "", "Owen", "Davies", "District nurse"),
    "emergency": StaffLogin("aedoctor", "clinician", "Dr", "Tomasz", "Nowak", "Emergency department doctor"),
}
PERSON_USERNAME = "person"
CARER_USERNAME = "carer"
DEMO_USERNAMES = (*(s.username for s in STAFF_LOGINS), *(s.username for s in PARTNER_LOGINS.values()),
                  PERSON_USERNAME, CARER_USERNAME)

PRACTICE = {
    "name": "Riverside Medical Practice",
    # Y-prefixed ODS codes are for non-GP organisations; 99999 marks this one as made up.
    "ods_code": "Y09999",
    "address": "Riverside Health Centre\n1 Mill Lane\nRiverside",
    "postcode": "RV1 1AA",
    "phone": "0113 496 0000",
}



def person_spec(public_id: uuid.UUID, nhs_number: str, today: date) -> PersonSpec:
    dob = date(1956, 3, 14)
    return PersonSpec(
        index=0,
        public_id=public_id,
        nhs_number=nhs_number,
        given_name="Margaret",
        family_name="Thompson",
        date_of_birth=dob,
        age=today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day)),
        sex="female",
        address="14 Willow Crescent\nRiverside",
        postcode="RV1 4QB",
        phone="07700 900123",
        email="margaret.thompson@example.com",
        preferred_contact="portal",
        preferred_language="en",
        interpreter_needed=False,
        accessible_formats=["large-print"],
        communication_notes="Prefers morning appointments. Her daughter Sarah often comes with her.",
    )


CARER = {
    "given_name": "Sarah",
    "family_name": "Thompson",
    "relationship": "carer",
    "relationship_code": "DAUC",  # HL7 v3 RoleCode: daughter
    "phone": "07700 900456",
    "email": "sarah.thompson@example.com",
}
HBA1C_TARGET_REASON = (
    "Takes gliclazide, which can cause hypos, so NICE NG28 suggests 53 mmol/mol rather than 48."
)


def person_conditions(today: date) -> list[ConditionSpec]:
    return [
        ConditionSpec("DM", "44054006", today - timedelta(days=9 * 365 + 40)),
        ConditionSpec("HYP", "59621000", today - timedelta(days=12 * 365 + 200)),
        ConditionSpec("AST", "195967001", date(1972, 5, 10)),
        ConditionSpec("DEPR", "35489007", today - timedelta(days=3 * 365 + 60)),
        ConditionSpec("", ANXIETY, today - timedelta(days=3 * 365 + 60)),
    ]


# Six visits, six months apart, oldest first; the annual reviews are the 1st, 3rd and 5th.
_HBA1C = (78, 75, 71, 68, 64, 61)
_BP = ((156, 94), (151, 92), (148, 90), (145, 88), (142, 87), (138, 84))
_PEAK_FLOW = (340, 360, 330, 370, 380, 360)
_PHQ9 = (16, 14, 12, 10, 9, 7)
_GAD7 = (13, 12, 10, 9, 8, 7)
_PEAK_FLOW_BEST = 420
_HEIGHT_CM = 161
# At the annual reviews only.
_LIPIDS = (("5.8", "1.3"), ("5.1", "1.3"), ("4.6", "1.4"))
_EGFR = (76, 73, 71)
_ACR = ("2.4", "2.9", "3.3")
_WEIGHT = ("84.6", "82.9", "81.2")


def person_results(today: date) -> list[Reading]:
    readings: list[Reading] = []
    days = [today - timedelta(days=21 + 182 * k) for k in range(5, -1, -1)]
    for i, day in enumerate(days):
        if day.weekday() >= 5:
            day -= timedelta(days=day.weekday() - 4)
        seen = datetime.combine(day, time(10, 20), tzinfo=UK)
        bloods = datetime.combine(day - timedelta(days=7), time(9, 15), tzinfo=UK)
        readings += [
            Reading("hba1c", bloods, Decimal(_HBA1C[i])),
            Reading("bp", seen, Decimal(_BP[i][0]), Decimal(_BP[i][1])),
            Reading("peak_flow", seen, Decimal(_PEAK_FLOW[i])),
            Reading("phq9", seen, Decimal(_PHQ9[i])),
            Reading("gad7", seen, Decimal(_GAD7[i])),
        ]
        if i == 0:
            readings += [
                Reading("height", seen, Decimal(_HEIGHT_CM)),
                Reading("peak_flow_best", seen, Decimal(_PEAK_FLOW_BEST)),
            ]
        if i % 2 == 0:
            r = i // 2
            total, hdl = Decimal(_LIPIDS[r][0]), Decimal(_LIPIDS[r][1])
            weight = Decimal(_WEIGHT[r])
            readings += [
                Reading("cholesterol", bloods, total),
                Reading("hdl", bloods, hdl),
                Reading("non_hdl", bloods, total - hdl),
                Reading("egfr", bloods, Decimal(_EGFR[r])),
                Reading("acr", bloods, Decimal(_ACR[r])),
                Reading("weight", seen, weight),
                Reading("bmi", seen, decimal("bmi", float(weight) / (_HEIGHT_CM / 100) ** 2)),
            ]
    return readings
