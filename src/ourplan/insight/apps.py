from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "ourplan.insight"
    label = "insight"
