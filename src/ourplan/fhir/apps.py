from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "ourplan.fhir"
    label = "fhir"
