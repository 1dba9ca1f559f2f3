import uuid

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from carecoord.core.links import public_id_url

NAMES = ["patients:chart", "careplans:detail", "careplans:task_detail", "scheduling:appointment_outside"]


@pytest.mark.parametrize("name", NAMES)
def test_the_link_is_what_reverse_gives(name):
    public_id = uuid.uuid4()
    assert public_id_url(name, public_id) == reverse(name, args=[public_id])
    assert public_id_url(name, str(public_id).upper()) == reverse(name, args=[public_id])


def test_the_link_follows_the_script_prefix():
    public_id = uuid.uuid4()
    set_script_prefix("/carecoord/")
    try:
        assert public_id_url("patients:chart", public_id) == reverse("patients:chart", args=[public_id])
        assert public_id_url("patients:chart", public_id).startswith("/carecoord/")
    finally:
        clear_script_prefix()
    assert not public_id_url("patients:chart", public_id).startswith("/carecoord/")


def test_an_id_that_is_not_a_uuid_is_refused():
    with pytest.raises(ValueError, match="hexadecimal UUID"):
        public_id_url("patients:chart", "../admin")
