"""
Units as people read them. CareCoord stores UCUM codes (the FHIR Quantity.code: `mm[Hg]`, `[lb_av]`, `{score}`)
and shows their everyday names on pages: annotations in braces name a count, not a unit, and are left out.
"""

import re

READABLE = {
    "mm[Hg]": "mmHg",
    "[lb_av]": "lb",
    "[in_i]": "in",
    "[degF]": "°F",
    "Cel": "°C",
    "/min": "per minute",
    "{beats}/min": "beats per minute",
    "{breaths}/min": "breaths per minute",
}


def unit_label(code: str | None) -> str:
    """`mm[Hg]` -> `mmHg`, `{score}` -> `` (a count), `mg/dL` as it is."""
    code = (code or "").strip()
    if code in READABLE:
        return READABLE[code]
    return re.sub(r"\{[^}]*\}", "", code).strip()


def with_unit(label: str, code: str | None) -> str:
    """`Blood pressure (mmHg)`; a measure without a unit keeps its label alone."""
    unit = unit_label(code)
    return f"{label} ({unit})" if unit else label
