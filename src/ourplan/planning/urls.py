"""Staff URLs under /staff/people/<uuid>/, the person's and carer's under /my/."""

from django.urls import path

from ourplan.planning import aid_views, views

app_name = "planning"

STAFF = "staff/people/<uuid:public_id>/"
MY = "my/people/<uuid:public_id>/plan/"
staff = {"side": "staff"}
my = {"side": "my"}

urlpatterns = [
    path(f"{STAFF}conversation/", views.workspace, name="workspace"),
    path(f"{STAFF}conversation/agenda/", views.agenda_view, name="agenda"),
    path(f"{STAFF}conversation/notes/", views.notes, name="notes"),
    path(f"{STAFF}plan/", views.plan_page, name="plan"),
    path(f"{STAFF}plan/start/", views.start_plan, name="start"),
    path(f"{STAFF}plan/agree/", views.agree, name="agree"),
    path(f"{STAFF}plan/history/", views.history, staff, name="history"),
    path(f"{STAFF}plan/about/", views.about_edit, staff, name="about"),
    path(f"{STAFF}plan/goals/new/", views.goal_new, staff, name="goal_new"),
    path(f"{STAFF}plan/goals/<uuid:goal_id>/", views.goal_edit, staff, name="goal_edit"),
    path(f"{STAFF}plan/goals/<uuid:goal_id>/actions/new/", views.action_new, staff, name="action_new"),
    path(f"{STAFF}plan/actions/<uuid:action_id>/", views.action_edit, staff, name="action_edit"),
    path(f"{STAFF}plan/actions/<uuid:action_id>/done/", views.action_mark, staff, name="action_mark"),
    path(f"{STAFF}plan/contingencies/new/", views.contingency_new, name="contingency_new"),
    path(f"{STAFF}plan/contingencies/<uuid:item_id>/", views.contingency_edit, name="contingency_edit"),
    path(f"{STAFF}plan/decisions/new/", views.decision_new, name="decision_new"),
    path(f"{STAFF}plan/decisions/<uuid:decision_id>/", views.decision_edit, name="decision_edit"),
    path(f"{STAFF}plan/budget/", views.budget_edit, name="budget"),
    path(f"{STAFF}plan/budget/items/", views.budget_item_new, name="budget_item_new"),
    path(f"{STAFF}plan/budget/items/<uuid:item_id>/remove/", views.budget_item_remove, name="budget_item_remove"),
    path(f"{STAFF}plan.pdf", views.plan_pdf, staff, name="pdf"),
    path("staff/decision-aids/", aid_views.aid_list, name="aids"),
    path("staff/decision-aids/new/", aid_views.aid_new, name="aid_new"),
    path("staff/decision-aids/<uuid:aid_id>/", aid_views.aid_edit, name="aid_edit"),
    path("staff/decision-aids/<uuid:aid_id>/approve/", aid_views.aid_approve, name="aid_approve"),
    path("my/plan/", views.my_plan, name="my_plan"),
    path(MY, views.shared_plan, name="shared_plan"),
    path(f"{MY}history/", views.history, my, name="my_history"),
    path(f"{MY}about/", views.about_edit, my, name="my_about"),
    path(f"{MY}goals/new/", views.goal_new, my, name="my_goal_new"),
    path(f"{MY}goals/<uuid:goal_id>/", views.goal_edit, my, name="my_goal_edit"),
    path(f"{MY}goals/<uuid:goal_id>/actions/new/", views.action_new, my, name="my_action_new"),
    path(f"{MY}actions/<uuid:action_id>/", views.action_edit, my, name="my_action_edit"),
    path(f"{MY}actions/<uuid:action_id>/done/", views.action_mark, my, name="my_action_mark"),
    path("my/people/<uuid:public_id>/plan.pdf", views.plan_pdf, my, name="my_pdf"),
]
