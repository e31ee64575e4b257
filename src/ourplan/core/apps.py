from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ourplan.core"
    label = "core"
    verbose_name = "Ourplan core"
