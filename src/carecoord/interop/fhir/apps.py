from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "carecoord.interop.fhir"
    label = "fhir"
    verbose_name = "FHIR interoperability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the resource mappers and their history hooks, and the periodic job running $export jobs.
        from . import jobs, resources  # noqa: F401
