from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "ourplan.messaging"
    label = "messaging"
