from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "ourplan.coordination"
    label = "coordination"
