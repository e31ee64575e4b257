from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "ourplan.sharing"
    label = "sharing"
