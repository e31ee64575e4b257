from django.urls import path

from ourplan.people import views

app_name = "people"
urlpatterns = [
    path("staff/register/", views.register, name="register"),
    path("staff/people/<uuid:public_id>/", views.person_detail, name="person_detail"),
    path("my/", views.my_home, name="my_home"),
    path("my/people/<uuid:public_id>/", views.shared_person, name="shared_person"),
]
