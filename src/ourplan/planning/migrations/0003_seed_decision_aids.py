"""Two example decision aids, so a new practice has something to start from. They are marked approved as
Ourplan example content; each practice's clinical lead should review them (and can retire them)."""

from django.db import migrations
from django.utils import timezone

APPROVER = "Ourplan example content (review locally)"

AIDS = [
    {
        "title": "Starting a new diabetes medicine",
        "question": "Should I start another medicine for my type 2 diabetes?",
        "source": "NICE guideline NG28 (type 2 diabetes in adults)",
        "options": [
            {
                "name": "Keep my current medicines and focus on food and activity",
                "pros": "No new tablets or side effects. Changes to food and activity help weight, blood pressure "
                        "and mood as well as sugar.",
                "cons": "It can take months to see a change. If sugar stays high, the risk of damage to eyes, "
                        "kidneys, nerves and feet goes up over the years.",
                "evidence": "Lowering a high HbA1c reduces the risk of long-term problems. Lifestyle changes can "
                            "lower HbA1c by a similar amount to one medicine for some people.",
                "uncertainties": "How much it helps depends on what changes are possible for you.",
            },
            {
                "name": "Add a 'flozin' tablet (SGLT2 inhibitor, for example dapagliflozin)",
                "pros": "One tablet a day. Lowers sugar, and protects the heart and kidneys in people at higher "
                        "risk. Rarely causes hypos on its own. Can help with a little weight loss.",
                "cons": "Thrush and urine infections are more common. You need to stop it for a day or two if "
                        "you are ill and not eating or drinking (sick day rules). A rare but serious side effect "
                        "is ketoacidosis.",
                "evidence": "NICE recommends these for people with heart disease, heart failure or at high risk "
                            "of it, alongside metformin.",
                "uncertainties": "The benefit for people at low risk of heart and kidney problems is smaller.",
            },
            {
                "name": "Add a 'gliptin' tablet (DPP-4 inhibitor, for example sitagliptin)",
                "pros": "One tablet a day. Few side effects. Rarely causes hypos. Does not cause weight gain.",
                "cons": "Lowers sugar less than some other medicines. Does not protect the heart or kidneys. "
                        "Rarely, inflammation of the pancreas (severe tummy pain).",
                "evidence": "Lowers HbA1c by a modest amount in most people.",
                "uncertainties": "Long-term benefits beyond lowering sugar are not proven.",
            },
        ],
    },
    {
        "title": "Ways to lower blood pressure",
        "question": "What should I do about my blood pressure?",
        "source": "NICE guideline NG136 (hypertension in adults)",
        "options": [
            {
                "name": "Change what I eat, drink and do",
                "pros": "Less salt, less alcohol, more activity and losing weight all lower blood pressure, with "
                        "no tablets. They help diabetes and mood too.",
                "cons": "Takes effort to keep going. May not lower blood pressure enough on its own.",
                "evidence": "Each change lowers blood pressure a little; together they can lower it as much as a "
                            "tablet.",
                "uncertainties": "How much it helps varies from person to person.",
            },
            {
                "name": "Start or increase a blood pressure medicine",
                "pros": "Lowers blood pressure within weeks. Lowers the chance of a stroke or heart attack.",
                "cons": "Possible side effects, such as swollen ankles or a dry cough, depending on the medicine. "
                        "Usually taken for life. Needs blood tests sometimes.",
                "evidence": "Lowering blood pressure to target reduces strokes and heart attacks in people with "
                            "diabetes or high risk.",
                "uncertainties": "The benefit is smaller for people at low risk, and side effects differ between "
                                 "medicines.",
            },
            {
                "name": "Check my blood pressure at home first, then decide",
                "pros": "Home readings show my usual blood pressure, away from the stress of the surgery. Helps "
                        "decide whether a change is needed.",
                "cons": "Needs a monitor and readings twice a day for a week. Delays a decision a little.",
                "evidence": "Home readings are often lower than clinic readings and predict risk well.",
                "uncertainties": "Readings are only useful if taken the right way.",
            },
        ],
    },
]


def seed(apps, schema_editor):
    DecisionAid = apps.get_model("planning", "DecisionAid")
    now = timezone.now()
    for aid in AIDS:
        DecisionAid.objects.get_or_create(title=aid["title"], defaults={
            **aid, "approved_by_name": APPROVER, "approved_at": now})


def unseed(apps, schema_editor):
    DecisionAid = apps.get_model("planning", "DecisionAid")
    DecisionAid.objects.filter(title__in=[a["title"] for a in AIDS], decisions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("planning", "0002_decisions_budget")]
    operations = [migrations.RunPython(seed, unseed)]
