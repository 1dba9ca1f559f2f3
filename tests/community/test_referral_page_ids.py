"""
The referral page shows two forms (a follow-up note, the status update), each with a "note": every id on the
page is unique and every label points at the field it names.
"""

import datetime as dt
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from carecoord.community import services
from carecoord.core import clock


class Ids(HTMLParser):
    """The ids of a page, its labels (for= and text) and its form controls by id (with their name)."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.controls: dict[str, tuple[str, str | None]] = {}  # id -> (tag, name)
        self.labels: list[tuple[str, str]] = []  # (for, text)
        self._label: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
            if tag in ("input", "textarea", "select"):
                self.controls[attrs["id"]] = (tag, attrs.get("name"))
        if tag == "label":
            self._label = [attrs.get("for") or "", ""]

    def handle_data(self, data):
        if self._label is not None:
            self._label[1] += data

    def handle_endtag(self, tag):
        if tag == "label" and self._label is not None:
            self.labels.append((self._label[0], " ".join(self._label[1].split()).rstrip(" *")))
            self._label = None


def parse(html: str) -> Ids:
    parser = Ids()
    parser.feed(html)
    return parser


@pytest.fixture
def referral(actor, patient, pantry_service):
    today = clock.today_in(actor.organization.tz)
    return services.referral_send(
        actor=actor, patient=patient, service=pantry_service, need="food-insecurity", reason="Groceries",
        consent_by="Rosa Delgado", consent_method="Verbal", consent_on=today, respond_by=today + dt.timedelta(days=7),
    )  # fmt: skip


def assert_ids_unique_and_labels_point_right(html: str, expected: dict[str, tuple[str, str]]) -> None:
    page = parse(html)
    repeated = [i for i, n in Counter(page.ids).items() if n > 1]
    assert repeated == [], f"ids used more than once: {repeated}"
    for target, _text in page.labels:
        assert target in page.controls, f"a label points at {target!r}, no field has that id"
    labels = {text: target for target, text in page.labels}
    for text, (form_action, name) in expected.items():
        target = labels[text]
        assert page.controls[target][1] == name, f"label {text!r} points at {page.controls[target]}"
        assert form_action in html  # the form is on the page
    return page


def test_the_referral_page_has_unique_ids_and_each_note_label_names_its_own_box(client_for, actor, referral):
    url = reverse("community:referral_detail", args=[referral.public_id])
    html = client_for(actor).get(url).content.decode()
    note_action = reverse("community:referral_note_add", args=[referral.public_id])
    page = assert_ids_unique_and_labels_point_right(
        html,
        {
            "Follow-up note": (note_action, "note"),
            "Follow up again on": (note_action, "follow_up_on"),
            "Note": (reverse("community:referral_status", args=[referral.public_id]), "note"),
            "Status": ("", "status"),
        },
    )
    textareas = [i for i, (tag, name) in page.controls.items() if tag == "textarea" and name == "note"]
    assert len(textareas) == 2  # both boxes are there, under different ids


def test_a_refused_note_keeps_the_ids_unique(client_for, actor, referral):
    note_action = reverse("community:referral_note_add", args=[referral.public_id])
    response = client_for(actor).post(note_action, {"note": " ", "follow_up_on": "1999-01-01"})
    assert response.status_code == 400
    html = response.content.decode()
    page = assert_ids_unique_and_labels_point_right(html, {"Follow-up note": (note_action, "note")})
    assert "id_followup_note_error" in page.ids  # the error is tied to the note box it is about


def test_the_follow_up_note_still_posts_by_its_field_names(client_for, actor, referral):
    note_action = reverse("community:referral_note_add", args=[referral.public_id])
    tomorrow = clock.today_in(actor.organization.tz) + dt.timedelta(days=1)
    response = client_for(actor).post(note_action, {"note": "Called", "follow_up_on": tomorrow.isoformat()})
    assert response.status_code == 302
    assert referral.events.get(to_status="").follow_up_on == tomorrow


def test_the_receivers_page_has_unique_ids(client_for, pantry_actor, referral):
    url = reverse("community:referral_incoming", args=[referral.public_id])
    html = client_for(pantry_actor).get(url).content.decode()
    assert_ids_unique_and_labels_point_right(html, {"Note": ("", "note")})
