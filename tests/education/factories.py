"""Factories of education records."""

import factory
from factory.django import DjangoModelFactory

from carecoord.education.models import Material


class MaterialFactory(DjangoModelFactory):
    """An organization's own text material (pass organization=None for a built-in-like row)."""

    class Meta:
        model = Material

    topic = factory.Sequence(lambda n: f"topic-{n}")
    language = "en"
    title = factory.Sequence(lambda n: f"Material {n}")
    body = "Take your medicine every day.\n\n- Walk after meals.\n- Drink water."
    audience = "patient"
