from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "ourplan.people"
    label = "people"
