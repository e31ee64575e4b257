from django.urls import path

from ourplan.sharing import views

app_name = "sharing"
STAFF = "staff/people/<uuid:public_id>/"
urlpatterns = [
    path(f"{STAFF}care-team/", views.staff_team, name="staff_team"),
    path(f"{STAFF}care-team/add/", views.staff_add_member, name="staff_add_member"),
    path(f"{STAFF}care-team/<uuid:member_id>/remove/", views.staff_remove_member, name="staff_remove_member"),
    path(f"{STAFF}care-team/share/", views.staff_record_share, name="staff_record_share"),
    path(f"{STAFF}care-team/consents/<uuid:consent_id>/withdraw/", views.staff_withdraw, name="staff_withdraw"),
    path(f"{STAFF}sensitive-notes/", views.sensitive_notes, name="sensitive_notes"),
    path("staff/emergency-access/", views.emergency_access, name="emergency_access"),
    path("staff/audit/", views.audit_search, name="audit_search"),
    path("my/care-team/", views.my_team, name="my_team"),
    path("my/care-team/share/", views.my_share, name="my_share"),
    path("my/care-team/consents/<uuid:consent_id>/withdraw/", views.my_withdraw, name="my_withdraw"),
    path("my/who-has-seen/", views.my_seen, name="my_seen"),
]
