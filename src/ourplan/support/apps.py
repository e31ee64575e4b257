from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "ourplan.support"
    label = "support"
