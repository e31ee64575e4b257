"""Staff URLs under /staff/people/<uuid>/review/, the person's and carer's under /my/."""

from django.urls import path

from ourplan.review import views

app_name = "review"

STAFF = "staff/people/<uuid:public_id>/"
REVIEW = f"{STAFF}review/<uuid:review_id>/"

urlpatterns = [
    path(f"{STAFF}review/", views.review_home, name="home"),
    path(f"{STAFF}review/start/", views.start, name="start"),
    path(f"{STAFF}review/offer/", views.offer, name="offer"),
    path(f"{STAFF}review/panel/", views.staff_panel, name="panel"),
    path(REVIEW, views.mode, name="mode"),
    path(f"{REVIEW}goals/<uuid:goal_id>/score/", views.score_goal, name="score"),
    path(f"{REVIEW}goals/<uuid:goal_id>/clear/", views.clear_score, name="clear"),
    path(f"{REVIEW}complete/", views.complete, name="complete"),
    # The person, and a carer with their consent.
    path("my/measures/", views.my_measures, name="my_measures"),
    path("my/measures/<slug:key>/", views.my_measure, name="my_measure"),
    path("my/how-im-doing/", views.my_how, name="my_how"),
    path("my/collaborate-offer/", views.my_collaborate_offer, name="my_collaborate_offer"),
    path("my/people/<uuid:public_id>/measures/", views.shared_measures, name="shared_measures"),
    path("my/people/<uuid:public_id>/measures/<slug:key>/", views.shared_measure, name="shared_measure"),
    path("my/people/<uuid:public_id>/how-im-doing/", views.shared_how, name="shared_how"),
]
