from django.urls import path

from ourplan.fhir import views

app_name = "fhir"
urlpatterns = [
    path("staff/imports/held/", views.held_queue, name="held_queue"),
    path("staff/imports/held/retry/", views.held_retry, name="held_retry"),
    path("staff/imports/held/<uuid:public_id>/discard/", views.held_discard, name="held_discard"),
]
