from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "ourplan.planning"
    label = "planning"
