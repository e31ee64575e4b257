from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ourplan.core"
    label = "core"
    verbose_name = "Ourplan core"

    def ready(self) -> None:
        from ourplan.core import checks  # noqa: F401  (registers the start-up checks)
