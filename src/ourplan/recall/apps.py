from django.apps import AppConfig


class RecallConfig(AppConfig):
    name = "ourplan.recall"
    label = "recall"
