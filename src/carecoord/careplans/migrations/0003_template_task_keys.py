"""
Template tasks get a stable `key` for the work they stand for, and tasks remember the key of the template task
they were made from, so the transitions app finds a TCM plan's contact, med_rec, visit and check-in tasks by
key rather than by title (an organization may retitle the tasks of its copy). Existing TCM templates (built-in
and organizations' copies) and the tasks of plans made from them get their keys from the titles the built-in
template has always had; the built-in rows are refreshed after every migrate anyway.
"""

from django.db import migrations, models

TCM_TEMPLATE_KEY = "post-discharge-tcm"
# The built-in TCM template's task titles at the time of this migration, by kind: the work each stands for.
TCM_TASK_KEYS = {
    ("call", "interactive contact within 2 business days"): "contact",
    ("medication_review", "medication reconciliation"): "med_rec",
    ("schedule", "schedule face-to-face visit"): "visit",
    ("check_in", "readmission watch check-in"): "check_in",
}


def fill_keys(apps, schema_editor):
    TemplateTask = apps.get_model("careplans", "TemplateTask")
    Task = apps.get_model("careplans", "Task")
    tcm_templates = models.Q(template__key=TCM_TEMPLATE_KEY) | models.Q(
        template__key__startswith=f"{TCM_TEMPLATE_KEY}-"
    )
    tcm_plans = models.Q(careplan__template__key=TCM_TEMPLATE_KEY) | models.Q(
        careplan__template__key__startswith=f"{TCM_TEMPLATE_KEY}-"
    )
    for (kind, title), key in TCM_TASK_KEYS.items():
        TemplateTask.objects.filter(tcm_templates, kind=kind, title__iexact=title).update(key=key)
        Task.objects.filter(tcm_plans, kind=kind, title__iexact=title).update(template_task_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0002_task_pool_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="template_task_key",
            field=models.SlugField(
                blank=True,
                db_index=False,
                help_text="The key of the template task this task was made from, if it has one.",
                max_length=40,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="templatetask",
            name="key",
            field=models.SlugField(
                blank=True,
                db_index=False,
                help_text="The work this task stands for, kept when its title is edited and by copies; other parts "
                "of CareCoord find the plan's task by it (the TCM template's contact, med_rec, visit, check_in).",
                max_length=40,
            ),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
    ]
