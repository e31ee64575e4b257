from django.apps import AppConfig


class PreparationConfig(AppConfig):
    name = "ourplan.preparation"
    label = "preparation"
