"""
Care plan signals. `task_completed` is sent by `services.task_set_status` when a task becomes completed,
inside its transaction and after the task is saved, so a listener's writes commit or roll back with the
completion. Arguments: `task` (as saved), `actor`, `note` (the outcome note), `completed_at` (UTC).
Listeners live in the apps that need them (careplans imports none of them): transitions records the
episode step the task did (transitions.receivers).

`template_due_dates` is sent by `services.careplan_template_apply` before it creates a plan's goals and tasks.
Arguments: `template`, `patient`, `organization`, `start_date`. A listener that knows better dates than the
template's day offsets (transitions: the TCM deadlines of the patient's open episode) returns
{"tasks": {template task key: date}, "goals": {template task key: date for the goal that task serves}}, or None.
"""

from django.dispatch import Signal

task_completed = Signal()
template_due_dates = Signal()
