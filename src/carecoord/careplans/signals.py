"""
Care plan signals. `task_completed` is sent by `services.task_set_status` when a task becomes completed,
inside its transaction and after the task is saved, so a listener's writes commit or roll back with the
completion. Arguments: `task` (as saved), `actor`, `note` (the outcome note), `completed_at` (UTC).
Listeners live in the apps that need them (careplans imports none of them): transitions records the
episode step the task did (transitions.receivers).
"""

from django.dispatch import Signal

task_completed = Signal()
