"""Insight for practice staff under /staff/insight/ and for commissioners under /insight/ (aggregates only).
Drill-downs to people exist only on the staff side."""

from django.urls import path

from ourplan.insight import views

app_name = "insight"
urlpatterns = [
    path("staff/insight/", views.index, name="index"),
    path("staff/insight/fidelity/", views.fidelity, name="fidelity"),
    path("staff/insight/fidelity/<slug:key>/people/", views.figure_people, name="figure_people"),
    path("staff/insight/fidelity/<slug:key>/people.<str:fmt>", views.figure_people_export,
         name="figure_people_export"),
    path("staff/insight/stages/<slug:key>/people/", views.gap_people, name="gap_people"),
    path("staff/insight/stages/<slug:key>/people.<str:fmt>", views.gap_people_export, name="gap_people_export"),
    path("staff/insight/outcomes/", views.outcomes, name="outcomes"),
    # The report before the export pattern, which would otherwise take "report.pdf" for itself.
    path("staff/insight/report.pdf", views.report, name="report"),
    path("staff/insight/<slug:dashboard>.<str:fmt>", views.export_table, name="export"),
    path("insight/", views.c_index, name="c_index"),
    path("insight/fidelity/", views.c_fidelity, name="c_fidelity"),
    path("insight/outcomes/", views.c_outcomes, name="c_outcomes"),
    path("insight/report.pdf", views.c_report, name="c_report"),
    path("insight/<slug:dashboard>.<str:fmt>", views.c_export_table, name="c_export"),
]
