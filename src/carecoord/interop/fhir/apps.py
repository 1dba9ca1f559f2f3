from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "carecoord.interop.fhir"
    label = "fhir"
    verbose_name = "FHIR interoperability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import resources  # noqa: F401 -- registers the resource mappers and their history hooks
