"""Everything under /fhir/R4/ goes to one view, so that unknown paths also answer with an OperationOutcome."""

from django.urls import re_path

from ourplan.api import views

app_name = "api"
urlpatterns = [re_path(r"^(?P<path>.*)$", views.endpoint, name="fhir")]
