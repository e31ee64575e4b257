from django.urls import include, path

from ourplan.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("fhir/R4/", include("ourplan.api.urls")),
    path("", include("ourplan.people.urls")),
    path("", include("ourplan.recall.urls")),
    path("", include("ourplan.preparation.urls")),
    path("", include("ourplan.planning.urls")),
    path("", include("ourplan.support.urls")),
    path("", include("ourplan.fhir.urls")),
    path("", include("ourplan.sharing.urls")),
    path("", include("ourplan.coordination.urls")),
    path("", include("ourplan.review.urls")),
    path("", include("ourplan.insight.urls")),
]
