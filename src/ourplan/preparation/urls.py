from django.urls import path

from ourplan.preparation import views

app_name = "preparation"
urlpatterns = [
    # The person, and a carer with their consent.
    path("my/preparation/", views.my_pack, name="my_pack"),
    path("my/preparation/letter.pdf", views.my_letter, name="my_letter"),
    path("my/people/<uuid:public_id>/preparation/", views.shared_pack, name="shared_pack"),
    path("my/people/<uuid:public_id>/preparation/letter.pdf", views.shared_letter, name="shared_letter"),
    # Staff: one person.
    path("staff/people/<uuid:public_id>/preparation/", views.person_page, name="person"),
    path("staff/people/<uuid:public_id>/preparation/send/", views.send_pack, name="send"),
    path("staff/people/<uuid:public_id>/preparation/letter.pdf", views.staff_letter, name="staff_letter"),
    path("staff/people/<uuid:public_id>/preparation/answers/", views.paper_reply, name="paper_reply"),
    # Staff: the practice.
    path("staff/preparation/", views.overview, name="overview"),
    path("staff/preparation/jobs/start/<str:kind>/", views.start_job, name="start_job"),
    path("staff/preparation/jobs/<uuid:public_id>/", views.job_page, name="job"),
    path("staff/preparation/jobs/<uuid:public_id>/run-again/", views.job_run_again, name="job_run_again"),
    path("staff/preparation/jobs/<uuid:public_id>/letters.pdf", views.job_pdf, name="job_pdf"),
    path("staff/preparation/prompt-sheet/", views.prompt_sheet, name="prompt_sheet"),
    path("staff/readability/", views.readability, name="readability"),
]
