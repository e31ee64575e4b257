from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "ourplan.clinical"
    label = "clinical"
