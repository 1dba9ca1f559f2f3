from django.urls import path

from . import template_views, views, worklist_views

app_name = "careplans"

urlpatterns = [
    path("worklist/", worklist_views.worklist, name="worklist"),
    path("worklist/team/", worklist_views.team, name="team"),
    path("worklist/reassign/", worklist_views.bulk_reassign, name="bulk_reassign"),
    path("tasks/<uuid:public_id>/", views.task_detail, name="task_detail"),
    path("tasks/<uuid:public_id>/complete/", worklist_views.task_complete, name="task_complete"),
    path("tasks/<uuid:public_id>/snooze/", worklist_views.task_snooze, name="task_snooze"),
    path("tasks/<uuid:public_id>/reassign/", worklist_views.task_reassign, name="task_reassign"),
    path("tasks/<uuid:public_id>/reassign/form/", worklist_views.task_reassign_form, name="task_reassign_form"),
    path("careplans/<uuid:public_id>/", views.careplan_detail, name="detail"),
    # The chart's care-plan tab and what starts a plan (public_id: the patient's).
    path("patients/<uuid:public_id>/care-plans/", views.patient_careplans, name="patient_careplans"),
    path("patients/<uuid:public_id>/care-plans/new/", views.careplan_create, name="patient_careplan_create"),
    path("patients/<uuid:public_id>/care-plans/from-template/", views.template_apply, name="patient_template_apply"),
    # A plan's page and its actions (public_id: the plan's).
    path("careplans/<uuid:public_id>/edit/", views.careplan_edit, name="careplan_edit"),
    path("careplans/<uuid:public_id>/approve/", views.careplan_approve, name="careplan_approve"),
    path("careplans/<uuid:public_id>/status/", views.careplan_status, name="careplan_status"),
    path("careplans/<uuid:public_id>/goals/", views.goal_add, name="careplan_goal_add"),
    path("careplans/<uuid:public_id>/goals/<uuid:goal_id>/status/", views.goal_status, name="careplan_goal_status"),
    path("careplans/<uuid:public_id>/tasks/", views.task_add, name="careplan_task_add"),
    path("careplans/<uuid:public_id>/print.pdf", views.careplan_pdf, name="careplan_pdf"),
    # Care-plan templates: built-ins and the organization's own (public_id: the template's; template_goal_id
    # and template_task_id: a goal's or task's integer id within that template).
    path("care-plan-templates/", template_views.template_list, name="template_list"),
    path("care-plan-templates/new/", template_views.template_create, name="template_create"),
    path("care-plan-templates/<uuid:public_id>/", template_views.template_detail, name="template_detail"),
    path("care-plan-templates/<uuid:public_id>/copy/", template_views.template_copy, name="template_copy"),
    path("care-plan-templates/<uuid:public_id>/edit/", template_views.template_edit, name="template_edit"),
    path("care-plan-templates/<uuid:public_id>/active/", template_views.template_active, name="template_active"),
    path("care-plan-templates/<uuid:public_id>/goals/", template_views.template_goal_add, name="template_goal_add"),
    path(
        "care-plan-templates/<uuid:public_id>/goals/<int:template_goal_id>/",
        template_views.template_goal_edit,
        name="template_goal_edit",
    ),
    path(
        "care-plan-templates/<uuid:public_id>/goals/<int:template_goal_id>/remove/",
        template_views.template_goal_remove,
        name="template_goal_remove",
    ),
    path("care-plan-templates/<uuid:public_id>/tasks/", template_views.template_task_add, name="template_task_add"),
    path(
        "care-plan-templates/<uuid:public_id>/tasks/<int:template_task_id>/",
        template_views.template_task_edit,
        name="template_task_edit",
    ),
    path(
        "care-plan-templates/<uuid:public_id>/tasks/<int:template_task_id>/remove/",
        template_views.template_task_remove,
        name="template_task_remove",
    ),
]
