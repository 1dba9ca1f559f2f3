"""
The directory pages: lists with filters (htmx swaps the results), detail pages, and create/edit forms that
hand their cleaned data to the services. Every lookup goes through the selectors, so another
organization's entries answer 404.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core.access import Actor
from carecoord.core.errors import ApplicationError

from . import selectors, services
from .access import can_edit_directory, require_directory_editor, require_directory_reader
from .domain import hours_rows
from .forms import (
    ExternalOrganizationFilterForm,
    ExternalOrganizationForm,
    LocationFilterForm,
    LocationForm,
    PractitionerFilterForm,
    PractitionerForm,
)

PAGE_SIZE = 25
DETAIL_LIMIT = 100  # entries listed on an organization's page


def _actor(request: HttpRequest) -> Actor:
    return require_directory_reader(getattr(request, "actor", None))


def _context(request: HttpRequest, tab: str, **extra: Any) -> dict[str, Any]:
    return {"nav": "directory", "tab": tab, "can_edit": can_edit_directory(getattr(request, "actor", None)), **extra}


def _list(request: HttpRequest, template: str, tab: str, form, rows: QuerySet) -> HttpResponse:
    """Renders a paged list; an htmx request gets only the results fragment."""
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = _context(request, tab, form=form, page=page, query=query.urlencode())
    response = render(request, f"{template}#results" if request.htmx else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _save_form(
    request: HttpRequest, form, save: Callable[[dict[str, Any]], Any], success: Callable[[Any], str]
) -> HttpResponse | None:
    """On a valid POST calls `save(data)`; returns the redirect, or None to re-render the form with errors."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = save(form.service_data())
    except ApplicationError as exc:
        form.add_service_error(exc)
        return None
    messages.success(request, success(saved))
    return redirect(saved)


def _version(form) -> int:
    return form.cleaned_data["version"]


# --- practitioners --------------------------------------------------------------------------------------


@login_required
@require_GET
def practitioner_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = PractitionerFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else {}
    rows = selectors.practitioners_for(actor, **filters)
    return _list(request, "directory/practitioner_list.html", "practitioners", form, rows)


@login_required
@require_GET
def practitioner_detail(request: HttpRequest, public_id) -> HttpResponse:
    practitioner = selectors.practitioner_get(_actor(request), public_id)
    context = _context(request, "practitioners", practitioner=practitioner)
    return render(request, "directory/practitioner_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def practitioner_create(request: HttpRequest) -> HttpResponse:
    actor = require_directory_editor(_actor(request))
    form = PractitionerForm(request.POST or None, external_organizations=selectors.external_organization_choices(actor))
    done = _save_form(
        request, form, lambda data: services.practitioner_create(actor=actor, data=data),
        lambda p: f"{p.display_name} was added to the directory.",
    )  # fmt: skip
    context = _context(request, "practitioners", form=form, practitioner=None)
    return done or render(request, "directory/practitioner_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def practitioner_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    practitioner = selectors.practitioner_get(actor, public_id)
    require_directory_editor(actor)
    form = PractitionerForm(
        request.POST or None, initial=PractitionerForm.initial_for(practitioner), with_version=True,
        external_organizations=selectors.external_organization_choices(
            actor, current=practitioner.external_organization
        ),
    )  # fmt: skip
    done = _save_form(
        request, form,
        lambda data: services.practitioner_update(
            actor=actor, practitioner=practitioner, data=data, expected_version=_version(form)
        ),
        lambda p: f"Changes to {p.display_name} were saved.",
    )  # fmt: skip
    context = _context(request, "practitioners", form=form, practitioner=practitioner)
    return done or render(request, "directory/practitioner_form.html", context)


@login_required
@require_POST
def practitioner_deactivate(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    practitioner = services.practitioner_deactivate(
        actor=actor, practitioner=selectors.practitioner_get(actor, public_id)
    )
    messages.success(request, f"{practitioner.display_name} is now inactive and hidden from searches.")
    return redirect(practitioner)


@login_required
@require_POST
def practitioner_reactivate(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    practitioner = services.practitioner_reactivate(
        actor=actor, practitioner=selectors.practitioner_get(actor, public_id)
    )
    messages.success(request, f"{practitioner.display_name} is active again.")
    return redirect(practitioner)


# --- external organizations -----------------------------------------------------------------------------


@login_required
@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = ExternalOrganizationFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else {}
    rows = selectors.external_organizations_for(actor, **filters)
    return _list(request, "directory/organization_list.html", "organizations", form, rows)


@login_required
@require_GET
def organization_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    organization = selectors.external_organization_get(actor, public_id)
    practitioners = list(selectors.practitioners_for(actor, external_organization=organization)[: DETAIL_LIMIT + 1])
    context = _context(
        request, "organizations", organization=organization, practitioners=practitioners[:DETAIL_LIMIT],
        more_practitioners=len(practitioners) > DETAIL_LIMIT,
        locations=selectors.locations_for(actor, external_organization=organization)[:DETAIL_LIMIT],
    )  # fmt: skip
    return render(request, "directory/organization_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    actor = require_directory_editor(_actor(request))
    form = ExternalOrganizationForm(request.POST or None)
    done = _save_form(
        request, form, lambda data: services.external_organization_create(actor=actor, data=data),
        lambda o: f"{o.name} was added to the directory.",
    )  # fmt: skip
    context = _context(request, "organizations", form=form, organization=None)
    return done or render(request, "directory/organization_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    organization = selectors.external_organization_get(actor, public_id)
    require_directory_editor(actor)
    form = ExternalOrganizationForm(
        request.POST or None, initial=ExternalOrganizationForm.initial_for(organization), with_version=True
    )
    done = _save_form(
        request, form,
        lambda data: services.external_organization_update(
            actor=actor, organization=organization, data=data, expected_version=_version(form)
        ),
        lambda o: f"Changes to {o.name} were saved.",
    )  # fmt: skip
    context = _context(request, "organizations", form=form, organization=organization)
    return done or render(request, "directory/organization_form.html", context)


# --- locations ------------------------------------------------------------------------------------------


@login_required
@require_GET
def location_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = LocationFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else {}
    rows = selectors.locations_for(actor, **filters)
    return _list(request, "directory/location_list.html", "locations", form, rows)


@login_required
@require_GET
def location_detail(request: HttpRequest, public_id) -> HttpResponse:
    location = selectors.location_get(_actor(request), public_id)
    context = _context(request, "locations", location=location, hours=hours_rows(location.hours))
    return render(request, "directory/location_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def location_create(request: HttpRequest) -> HttpResponse:
    actor = require_directory_editor(_actor(request))
    form = LocationForm(request.POST or None, external_organizations=selectors.external_organization_choices(actor))
    done = _save_form(
        request, form, lambda data: services.location_create(actor=actor, data=data),
        lambda loc: f"{loc.name} was added to the directory.",
    )  # fmt: skip
    context = _context(request, "locations", form=form, location=None)
    return done or render(request, "directory/location_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def location_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    location = selectors.location_get(actor, public_id)
    require_directory_editor(actor)
    form = LocationForm(
        request.POST or None, initial=LocationForm.initial_for(location), with_version=True,
        external_organizations=selectors.external_organization_choices(actor, current=location.external_organization),
    )  # fmt: skip
    done = _save_form(
        request, form,
        lambda data: services.location_update(
            actor=actor, location=location, data=data, expected_version=_version(form)
        ),
        lambda loc: f"Changes to {loc.name} were saved.",
    )  # fmt: skip
    context = _context(request, "locations", form=form, location=location)
    return done or render(request, "directory/location_form.html", context)
