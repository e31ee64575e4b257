from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The FHIR R4 REST API (read, search, create, update) and its bearer tokens."""

    name = "ourplan.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"
