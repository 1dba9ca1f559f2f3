"""
An education material printed as a handout: an autoescaped template around the material's safe HTML, made into
a PDF by WeasyPrint offline (careplans.pdf.html_to_pdf refuses every outside resource). The labels around the
text follow the material's language (English or Spanish; other languages get English labels).
"""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from carecoord.careplans.pdf import html_to_pdf
from carecoord.core import clock
from carecoord.core.models import Organization

from .markup import to_html
from .models import Material

LABELS = {
    "en": {"for": "For", "printed": "Printed", "questions": "Questions? Call your care team at", "lang": "en"},
    "es": {
        "for": "Para",
        "printed": "Impreso el",
        "questions": "¿Preguntas? Llame a su equipo de salud en",
        "lang": "es",
    },
}


def handout_html(material: Material, *, organization: Organization, recipient: str = "") -> str:
    labels = LABELS.get(material.language, LABELS["en"])
    return render_to_string(
        "education/handout_print.html",
        {
            "material": material,
            "body_html": mark_safe(to_html(material.body)),  # noqa: S308 -- to_html escapes every character first
            "organization": organization,
            "recipient": recipient,
            "labels": labels,
            "printed_on": clock.today_in(organization.tz),
        },
    )


def handout_pdf(material: Material, *, organization: Organization, recipient: str = "") -> bytes:
    return html_to_pdf(handout_html(material, organization=organization, recipient=recipient))
