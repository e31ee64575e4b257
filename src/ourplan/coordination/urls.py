from django.urls import path

from ourplan.coordination import views

app_name = "coordination"
urlpatterns = [
    path("staff/tasks/", views.worklist, name="worklist"),
    path("staff/tasks/<uuid:task_id>/", views.task_detail, name="task"),
    path("staff/people/<uuid:public_id>/tasks/", views.person_tasks, name="person_tasks"),
    path("my/tasks/<uuid:task_id>/done/", views.my_task_done, name="my_task_done"),
]
