from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "ourplan.documents"
    label = "documents"
