"""The resource mappers by FHIR type, filled by the modules of `resources/` as they are imported."""

from .base import ResourceMapper

MAPPERS: dict[str, ResourceMapper] = {}


def register(cls: type[ResourceMapper]) -> type[ResourceMapper]:
    MAPPERS[cls.resource_type] = cls()
    return cls


def mapper_for(resource_type: str) -> ResourceMapper | None:
    return MAPPERS.get(resource_type)


def mapper_for_model(model) -> ResourceMapper | None:
    """The mapper whose records are rows of `model` (not a virtual resource built from them, like CareTeam)."""
    for mapper in MAPPERS.values():
        for part in mapper.parts:
            if part.model is model and part.keep_history:
                return part
    return None
