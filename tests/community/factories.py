"""factory_boy factories of the community app, and a small directory around one ZIP code."""

import factory
from factory.django import DjangoModelFactory

from carecoord.community.models import Agency, CommunityService, ResourceLocation, ServiceAtLocation

from ..factories import OrganizationFactory


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Community Agency {n}")


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = CommunityService

    agency = factory.SubFactory(AgencyFactory)
    organization = factory.SelfAttribute("agency.organization")
    name = factory.Sequence(lambda n: f"Service {n}")
    needs = ",food-insecurity,"
    languages = ",en,"


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = ResourceLocation

    agency = factory.SubFactory(AgencyFactory)
    organization = factory.SelfAttribute("agency.organization")
    name = factory.Sequence(lambda n: f"Site {n}")
    address_1 = "1 Main St"
    city = "Chicago"
    state = "IL"
    postal_code = "60614"
    latitude = 41.9227
    longitude = -87.6533


def offered_at(service: CommunityService, **location) -> ResourceLocation:
    """Adds a location of the service's agency and links the service to it (HSDS service_at_location)."""
    place = LocationFactory(agency=service.agency, **location)
    ServiceAtLocation.objects.create(organization=service.organization, service=service, location=place)
    return place
