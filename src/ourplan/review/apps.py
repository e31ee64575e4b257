from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "ourplan.review"
    label = "review"
