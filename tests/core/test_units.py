from carecoord.core.units import unit_label, with_unit


def test_ucum_codes_read_as_people_write_them():
    assert unit_label("mm[Hg]") == "mmHg"
    assert unit_label("[lb_av]") == "lb"
    assert unit_label("{score}") == ""
    assert unit_label("{beats}/min") == "beats per minute"
    assert unit_label("mg/dL") == "mg/dL"
    assert unit_label(None) == ""


def test_a_label_takes_its_unit_in_parentheses_only_when_there_is_one():
    assert with_unit("Blood pressure", "mm[Hg]") == "Blood pressure (mmHg)"
    assert with_unit("Pain severity (0-10)", "{score}") == "Pain severity (0-10)"
