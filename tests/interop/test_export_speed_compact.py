"""
`base.compact` (run on every resource every mapper builds) against the rule it keeps: FHIR JSON has no
nulls, empty strings, empty lists or empty objects. The reference below is the plain statement of that rule
(the first version of `compact`); the fast one must give the same dict, with the same key order, for any
nesting of the values mappers produce, including subclasses of str, dict and list.
"""

import collections
import decimal
import json

from hypothesis import given
from hypothesis import strategies as st

from carecoord.interop.fhir.base import compact


def _empty(value) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def reference_compact(resource: dict) -> dict:
    out = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = reference_compact(value)
            if not value:
                continue
        elif isinstance(value, list):
            value = [reference_compact(v) if isinstance(v, dict) else v for v in value if not _empty(v)]
            value = [v for v in value if not (isinstance(v, dict) and not v)]
            if not value:
                continue
        elif _empty(value):
            continue
        out[key] = value
    return out


class Text(str):
    pass


class Items(list):
    pass


scalars = st.one_of(
    st.none(),
    st.sampled_from(["", "x", Text(""), Text("y")]),
    st.booleans(),
    st.integers(-2, 2),
    st.floats(allow_nan=False, allow_infinity=False),
    st.builds(decimal.Decimal, st.integers(-5, 5)),
    st.just(()),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(Items),
        st.dictionaries(st.sampled_from("abcdef"), inner, max_size=4),
        st.dictionaries(st.sampled_from("abc"), inner, max_size=3).map(collections.OrderedDict),
    ),
    max_leaves=25,
)


@given(st.dictionaries(st.sampled_from("abcdefgh"), values, max_size=6))
def test_compact_drops_exactly_what_the_rule_drops(resource):
    expected = reference_compact(resource)
    got = compact(resource)

    assert got == expected
    assert json.dumps(got, default=str) == json.dumps(expected, default=str)  # key order too


def test_compact_keeps_false_and_zero_and_nested_lists_as_they_are():
    resource = {"a": False, "b": 0, "c": [[], ["x"], None, "", {}, {"d": None}], "e": {"f": {"g": ""}}, "h": Text("")}

    assert compact(resource) == {"a": False, "b": 0, "c": [["x"]]}
