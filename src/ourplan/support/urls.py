from django.urls import path

from ourplan.support import views_person, views_staff

app_name = "support"
urlpatterns = [
    path("staff/services/", views_staff.services, name="services"),
    path("staff/services/new/", views_staff.service_new, name="service_new"),
    path("staff/services/<uuid:public_id>/edit/", views_staff.service_edit, name="service_edit"),
    path("staff/people/<uuid:public_id>/support/", views_staff.person_support, name="person_support"),
    path("staff/people/<uuid:public_id>/referrals/", views_staff.referral_create, name="referral_create"),
    path("staff/referrals/", views_staff.referral_worklist, name="referrals"),
    path("staff/referrals/<uuid:public_id>/", views_staff.referral_update, name="referral_update"),
    path("staff/support-alerts/<uuid:public_id>/ack/", views_staff.alert_acknowledge, name="alert_ack"),
    path("staff/unmet-needs/", views_staff.unmet_need_create, name="unmet_need_create"),
    path("my/support/", views_person.my_support, name="my_support"),
    path("my/people/<uuid:public_id>/support/", views_person.shared_support, name="shared_support"),
    path("my/people/<uuid:public_id>/goals/<uuid:goal_id>/check-in/", views_person.goal_checkin,
         name="goal_checkin"),
    path("my/people/<uuid:public_id>/goals/<uuid:goal_id>/rhythm/", views_person.goal_rhythm, name="goal_rhythm"),
    path("my/readings/", views_person.my_readings, name="my_readings"),
    path("my/people/<uuid:public_id>/readings/", views_person.shared_readings, name="shared_readings"),
]
