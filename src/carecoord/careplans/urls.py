from django.urls import path

from . import views, worklist_views

app_name = "careplans"

urlpatterns = [
    path("worklist/", worklist_views.worklist, name="worklist"),
    path("worklist/team/", worklist_views.team, name="team"),
    path("worklist/reassign/", worklist_views.bulk_reassign, name="bulk_reassign"),
    path("tasks/<uuid:public_id>/", views.task_detail, name="task_detail"),
    path("tasks/<uuid:public_id>/complete/", worklist_views.task_complete, name="task_complete"),
    path("tasks/<uuid:public_id>/snooze/", worklist_views.task_snooze, name="task_snooze"),
    path("tasks/<uuid:public_id>/reassign/", worklist_views.task_reassign, name="task_reassign"),
    path("careplans/<uuid:public_id>/", views.careplan_detail, name="detail"),
]
