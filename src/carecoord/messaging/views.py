"""The Outbox pages: what CareCoord has sent, or is about to send, to patients and their families."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.http import clinical_actor

from .choices import Channel, MessageStatus
from .selectors import message_get, outbox_for

PAGE_SIZE = 50


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *MessageStatus.choices], required=False)
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False)


@login_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(outbox_for(actor, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    shown = {m.patient_id: m.patient for m in page if m.patient is not None}
    for patient in shown.values():
        audit_record(actor=actor, event="outbox.list", action=AuditAction.READ, target=patient, patient=patient)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"nav": "outbox", "form": form, "page": page, "query": query.urlencode()}
    template = "messaging/outbox.html"
    if request.htmx and request.htmx.target == "outbox-results":
        template += "#results"
    return render(request, template, context)


@login_required
@require_GET
def message_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    message = message_get(actor, public_id)
    audit_record(actor=actor, event="outbox.view", action=AuditAction.READ, target=message, patient=message.patient)
    return render(request, "messaging/message_detail.html", {"nav": "outbox", "message": message})
