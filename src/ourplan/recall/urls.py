from django.urls import path

from ourplan.recall.views import appointments, gathering, worklist

app_name = "recall"
urlpatterns = [
    path("staff/recall/", worklist.worklist, name="worklist"),
    path("staff/recall/invite/", worklist.invite_selected, name="invite_selected"),
    path("staff/recall/invite-all/", worklist.invite_all_confirm, name="invite_all_confirm"),
    path("staff/recall/invite-all/confirm/", worklist.invite_all, name="invite_all"),
    path("staff/recall/score/<str:key>/", gathering.score, name="gather_score"),
    path("staff/appointments/", appointments.diary, name="diary"),
    path("staff/appointments/slots/new/", appointments.new_slots, name="new_slots"),
    path("staff/appointments/<uuid:public_id>/status/", appointments.appointment_status, name="appointment_status"),
    path("staff/appointments/staff/<str:public_id>.ics", appointments.staff_calendar, name="staff_calendar"),
    path("staff/people/<uuid:public_id>/book/", appointments.book, name="book"),
    path("staff/people/<uuid:public_id>/appointments.ics", appointments.person_calendar, name="person_calendar"),
    path("staff/people/<uuid:public_id>/gather/", gathering.gather, name="gather"),
    path("staff/people/<uuid:public_id>/gather/complete/", gathering.gather_complete, name="gather_complete"),
]
