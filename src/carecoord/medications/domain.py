"""
Pure rules of medication lists, with no database:
- `valid_rxcui`, `normalized_name`, `normalized_dose`, `frequency_key` — the comparisons' building blocks;
- `group_lines` — which lines are the same medication: the same RxNorm ingredient code first, then the same
  RxNorm code, then the same normalized name (a name never joins two lines with different ingredient codes);
- `compare` — the reconciliation diff of two or more lists against the first (the base): matched, changed
  (formulation, dose, frequency, route or status), new (only on the base) and missing (not on the base); a
  single list (nothing else on file to compare it with) is reviewed on its own, every line a row ("new");
- `formulation`, `formulation_difference` — salt, release (ER, DR...) and dose form read from a line's name:
  one ingredient in two products ("metoprolol tartrate" vs "metoprolol succinate ER") is one row, flagged;
- `safety_flags` — duplicate therapy and medications with no prescriber on file. These are prompts for a
  coordinator to check with a prescriber, not clinical decision support.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

RXCUI = re.compile(r"[1-9][0-9]{0,9}")

MATCHED, CHANGED, NEW, MISSING = "matched", "changed", "new", "missing"
KIND_ORDER = {CHANGED: 0, NEW: 1, MISSING: 2, MATCHED: 3}
COMPARED_FIELDS = ("dose", "frequency", "route", "status")
IN_FORCE = frozenset({"active", "intended"})

# Words that say how much, in what form or how often, not what: dropped from names before matching.
NOISE = frozenset(
    re.findall(
        r"[a-z]+",
        """
    mg mcg g ml l meq unt unit units iu actuat hr h day days pack tab tabs tablet tablets cap caps capsule capsules
    oral po solution suspension injection injectable inhalation inhaler mucosal spray patch cream ointment drops
    extended delayed release er xr xl sr dr ec cr la cd ir odt chewable disintegrating topical transdermal nasal
    ophthalmic otic
    rectal vaginal sublingual subcutaneous intravenous iv im sq prefilled syringe pen auto injector
    daily bid tid qid qhs prn qd once twice three four times a at bedtime by mouth every as needed morning evening
    weekly per of
""",
    )
)
SALTS = frozenset(
    re.findall(
        r"[a-z]+",
        """
    hydrochloride hcl sodium potassium succinate tartrate besylate maleate calcium magnesium sulfate citrate
    acetate phosphate bromide hydrobromide mesylate fumarate chloride bitartrate dihydrate monohydrate
""",
    )
)

FREQUENCY_WORDS = {
    "qd": "daily", "daily": "daily", "once daily": "daily", "once a day": "daily", "every day": "daily",
    "bid": "bid", "twice daily": "bid", "twice a day": "bid", "two times a day": "bid", "every 12 hours": "bid",
    "tid": "tid", "three times daily": "tid", "three times a day": "tid", "every 8 hours": "tid",
    "qid": "qid", "four times daily": "qid", "four times a day": "qid", "every 6 hours": "qid",
    "qhs": "qhs", "at bedtime": "qhs", "nightly": "qhs",
    "prn": "prn", "as needed": "prn",
    "weekly": "weekly", "once weekly": "weekly", "once a week": "weekly", "every week": "weekly",
}  # fmt: skip

# Formulation, read from the name as written. An RxNorm clinical drug (TTY SCD) is named "[12 HR | 24 HR]
# <ingredient> [<salt>] <strength> <dose form>", its dose form (TTY DF) carrying the release: "24 HR metoprolol
# succinate 100 MG Extended Release Oral Tablet", "omeprazole 20 MG Delayed Release Oral Capsule" (NLM,
# RxNorm Technical Documentation, "RxNorm Normal Form"; ../shared/STANDARDS.md says nothing of dose forms).
# Lists written by hand say the same with ER, XL, SR, CR, XR, LA, CD (extended) or DR, EC (delayed).
HYDRATES = frozenset({"dihydrate", "monohydrate"})  # the salt's water: the same product
SALT_SPELLINGS = {"hcl": "hydrochloride"}
EXTENDED_CODES = frozenset({"er", "xr", "xl", "sr", "cr", "la", "cd"})
DELAYED_CODES = frozenset({"dr", "ec"})
EXTENDED_WORDS = re.compile(r"\b(?:extended|sustained|controlled|prolonged)[ -]release\b")
DELAYED_WORDS = re.compile(r"\b(?:delayed[ -]release|enteric[ -]coated)\b")
IMMEDIATE_WORDS = re.compile(r"\b(?:immediate[ -]release|ir)\b")
DURATION = re.compile(r"\b(12|24)[ -]?(?:hr|hour)s?\b")
FORM_NOUNS = {
    "tablet": "tablet", "tablets": "tablet", "tab": "tablet", "tabs": "tablet", "caplet": "tablet",
    "capsule": "capsule", "capsules": "capsule", "cap": "capsule", "caps": "capsule",
    "solution": "solution", "suspension": "suspension", "syrup": "syrup", "elixir": "elixir", "liquid": "liquid",
    "injection": "injection", "injectable": "injection", "syringe": "injection", "vial": "injection",
    "patch": "patch", "inhaler": "inhaler", "cream": "cream", "ointment": "ointment", "gel": "gel",
    "lotion": "lotion", "spray": "spray", "drops": "drops", "suppository": "suppository", "powder": "powder",
    "lozenge": "lozenge", "film": "film",
}  # fmt: skip
FORM_MODIFIERS = {"chewable": "chewable", "disintegrating": "orally disintegrating", "odt": "orally disintegrating"}
IMMEDIATE, EXTENDED, DELAYED = "IR", "ER", "DR"
FORMULATION_WORDS = frozenset(
    {*EXTENDED_CODES, *DELAYED_CODES, *FORM_NOUNS, *FORM_MODIFIERS}
    | {"immediate", "sustained", "controlled", "prolonged", "enteric", "coated"}
)


@dataclass(frozen=True)
class Line:
    """One medication line of a list, as the rules see it. `ref` is the caller's id for it."""

    ref: str
    display: str
    rxnorm_code: str = ""
    ingredient_code: str = ""
    dose: str = ""
    frequency_code: str = ""
    frequency_text: str = ""
    route_code: str = ""
    status: str = "active"
    prescriber: str = ""
    prescriber_name: str = ""
    source: str = ""


@dataclass(frozen=True)
class Row:
    """One medication across the compared lists: its line in each list (None where absent), and the verdict."""

    key: str
    name: str
    entries: tuple[Line | None, ...]
    kind: str
    changed: frozenset[str] = frozenset()
    formulation: str = ""  # with "formulation" in `changed`: how, e.g. "tartrate vs succinate ER"

    @property
    def differs(self) -> str:
        """What differs, for the page: "formulation (tartrate vs succinate ER), dose, frequency"."""
        labels = [f"formulation ({self.formulation})"] if "formulation" in self.changed else []
        return ", ".join(labels + [name for name in COMPARED_FIELDS if name in self.changed])

    @property
    def absent_from(self) -> tuple[int, ...]:
        return tuple(i for i, entry in enumerate(self.entries) if entry is None)

    @property
    def present(self) -> tuple[Line, ...]:
        return tuple(entry for entry in self.entries if entry is not None)


@dataclass(frozen=True)
class Flag:
    kind: str  # "duplicate" | "no-prescriber"
    message: str
    refs: tuple[str, ...]


def valid_rxcui(code: str) -> bool:
    """An RxCUI is a positive whole number (digits only, no leading zero)."""
    return bool(RXCUI.fullmatch(code or ""))


def normalized_name(display: str) -> str:
    """
    The medication's name without strength, form, release, frequency or salt words: "24 HR Metformin
    hydrochloride 500 MG Extended Release Oral Tablet" and "metformin 1000mg BID" are both "metformin".
    When only salt words are left ("potassium chloride"), they are the name.
    """
    text = re.sub(r"\[[^\]]*\]", " ", (display or "").lower())
    words = [w for w in re.findall(r"[a-z]+", text) if w not in NOISE]
    core = [w for w in words if w not in SALTS]
    return " ".join(core or words)


def normalized_dose(dose: str) -> str:
    """'10 MG', '10mg' and ' 10  mg ' compare equal; '0.5 mg' and '.5 mg' too."""
    text = re.sub(r"\s+", "", (dose or "").lower())
    text = re.sub(r"(?<![0-9])\.([0-9])", r"0.\1", text)
    text = re.sub(r"([0-9])\.0+(?![0-9])", r"\1", text)
    return text.replace("milligrams", "mg").replace("milligram", "mg").replace("micrograms", "mcg")


def frequency_key(code: str, text: str) -> str:
    """The structured frequency when there is one (other than 'other'), else what the text says in a known form."""
    if code and code != "other":
        return code
    cleaned = re.sub(r"[^a-z0-9 ]", "", (text or "").lower()).strip()
    cleaned = re.sub(r"\s+", " ", cleaned)
    return FREQUENCY_WORDS.get(cleaned, cleaned)


def _field_value(line: Line, name: str) -> str:
    if name == "dose":
        return normalized_dose(line.dose)
    if name == "frequency":
        return frequency_key(line.frequency_code, line.frequency_text)
    if name == "route":
        return line.route_code
    return line.status


def differences(a: Line, b: Line) -> frozenset[str]:
    """
    The compared fields two lines disagree on, and "formulation" when their names say two products of the
    ingredient (`formulation_difference`); a field one of them leaves blank is unknown, not a change.
    """
    found = set()
    for name in COMPARED_FIELDS:
        left, right = _field_value(a, name), _field_value(b, name)
        if left and right and left != right:
            found.add(name)
    if formulation_difference(a, b):
        found.add("formulation")
    return frozenset(found)


@dataclass(frozen=True)
class Formulation:
    """
    What a name says of the product beyond its ingredient. `salts` are empty when the name gives none (or
    when the salt is the name, "potassium chloride"); `release` is IR, ER or DR, "" when the name says
    nothing; `code` the release as written (ER, XL, SR, DR...); `duration` "12 HR" or "24 HR"; `form` the
    dose form ("tablet", "oral solution" is "solution"), "" when not given.
    """

    salts: tuple[str, ...] = ()
    release: str = ""
    code: str = ""
    duration: str = ""
    form: str = ""


def formulation(display: str) -> Formulation:
    """Salt, release and dose form as `display` gives them (see `Formulation`)."""
    text = re.sub(r"\[[^\]]*\]", " ", (display or "").lower())
    words = [SALT_SPELLINGS.get(w, w) for w in re.findall(r"[a-z]+", text)]
    core = [w for w in words if w not in NOISE and w not in SALTS and w not in FORMULATION_WORDS]
    salts = tuple(dict.fromkeys(w for w in words if w in SALTS and w not in HYDRATES)) if core else ()
    release, code = "", ""
    codes = [w for w in words if w in EXTENDED_CODES or w in DELAYED_CODES]
    if codes:
        code = codes[0].upper()
        release = EXTENDED if codes[0] in EXTENDED_CODES else DELAYED
    elif EXTENDED_WORDS.search(text):
        release, code = EXTENDED, "ER"
    elif DELAYED_WORDS.search(text):
        release, code = DELAYED, "DR"
    duration_found = DURATION.search(text)
    duration = f"{duration_found.group(1)} HR" if duration_found else ""
    if duration and not release:
        release, code = EXTENDED, "ER"
    if not release and IMMEDIATE_WORDS.search(text):
        release, code = IMMEDIATE, "IR"
    nouns = [FORM_NOUNS[w] for w in words if w in FORM_NOUNS]
    modifiers = [FORM_MODIFIERS[w] for w in words if w in FORM_MODIFIERS]
    form = " ".join([*dict.fromkeys(modifiers), nouns[-1] if nouns else "tablet"]) if modifiers else ""
    form = form or (nouns[-1] if nouns else "")
    return Formulation(salts, release, code, duration, form)


def _release_differs(a: Formulation, b: Formulation) -> bool:
    """
    Immediate vs extended vs delayed release; a name that says nothing is immediate release (the plain
    product, as RxNorm names it) except against delayed release, which lists often leave unsaid (omeprazole,
    pantoprazole, aspirin EC exist that way). Two extended releases differ when both give their duration
    and these differ (12 HR vs 24 HR) or both give a specific code and these differ (bupropion SR vs XL);
    ER is the generic code, which fits any.
    """
    left, right = a.release or IMMEDIATE, b.release or IMMEDIATE
    if left != right:
        return {a.release, b.release} != {"", DELAYED}
    if left != EXTENDED:
        return False
    if a.duration and b.duration and a.duration != b.duration:
        return True
    return a.code != "ER" and b.code != "ER" and a.code != b.code


def formulation_difference(a: Line, b: Line) -> str:
    """
    How two lines of one ingredient are different products, e.g. "tartrate vs succinate ER" or "immediate
    release vs ER"; "" when their names agree or leave it unsaid (a salt or a dose form only one of them
    gives is unknown, not a change). The same RxNorm code is the same product whatever the names say.
    """
    if a.rxnorm_code and a.rxnorm_code == b.rxnorm_code:
        return ""
    left, right = formulation(a.display), formulation(b.display)
    salt = bool(left.salts and right.salts and set(left.salts) != set(right.salts))
    release = _release_differs(left, right)
    form = bool(left.form and right.form and left.form != right.form)
    if not (salt or release or form):
        return ""
    durations = release and left.duration != right.duration and bool(left.duration and right.duration)
    return f"{_described(left, salt, release, form, durations)} vs {_described(right, salt, release, form, durations)}"


def _described(found: Formulation, salt: bool, release: bool, form: bool, durations: bool) -> str:
    parts = []
    if salt:
        parts.append(" ".join(found.salts))
    if release and found.release and found.release != IMMEDIATE:
        parts.append(f"{found.duration} {found.code}" if durations else found.code)
    if form:
        parts.append(found.form)
    return " ".join(parts) or "immediate release"


class _Groups:
    """Union-find over line positions."""

    def __init__(self, size: int):
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def group_lines(lines: Sequence[Line]) -> dict[str, list[int]]:
    """
    Groups line positions that name the same medication, keyed "in:<ingredient>", "rx:<code>" or
    "name:<normalized name>" (the strongest evidence in the group).
    """
    groups = _Groups(len(lines))
    first_by: dict[tuple[str, str], int] = {}
    for i, line in enumerate(lines):
        for kind, value in (("in", line.ingredient_code), ("rx", line.rxnorm_code)):
            if value:
                j = first_by.setdefault((kind, value), i)
                groups.union(i, j)
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, line in enumerate(lines):
        name = normalized_name(line.display)
        if name:
            by_name[name].append(i)
    for members in by_name.values():
        for i in members[1:]:
            a, b = lines[members[0]], lines[i]
            if a.ingredient_code and b.ingredient_code and a.ingredient_code != b.ingredient_code:
                continue  # the codes say these are different medications
            groups.union(members[0], i)
    result: dict[int, list[int]] = defaultdict(list)
    for i in range(len(lines)):
        result[groups.find(i)].append(i)
    return {_group_key([lines[i] for i in members]): members for members in result.values()}


def _group_key(members: list[Line]) -> str:
    ingredients = sorted({m.ingredient_code for m in members if m.ingredient_code}, key=lambda c: (len(c), c))
    if ingredients:
        return f"in:{ingredients[0]}"
    codes = sorted({m.rxnorm_code for m in members if m.rxnorm_code}, key=lambda c: (len(c), c))
    if codes:
        return f"rx:{codes[0]}"
    names = sorted(normalized_name(m.display) or m.display.strip().lower() for m in members)
    return f"name:{names[0]}"


def compare(lists: Sequence[Sequence[Line]]) -> list[Row]:
    """
    Compares lists against the first (the base). Lines entered in error are left out. Within one medication,
    the k-th line of each list (in list order) share a row, so a list naming a medication twice gets two rows.
    A single list is compared with nothing: every line is a row of its own, "new".
    """
    if not lists:
        raise ValueError("A reconciliation needs at least one list.")
    flat: list[tuple[int, Line]] = [
        (index, line) for index, lines in enumerate(lists) for line in lines if line.status != "entered-in-error"
    ]
    groups = group_lines([line for _, line in flat])
    rows = []
    for key, members in groups.items():
        per_list: list[list[Line]] = [[] for _ in lists]
        for position in members:
            index, line = flat[position]
            per_list[index].append(line)
        depth = max(len(found) for found in per_list)
        for k in range(depth):
            entries = tuple(found[k] if k < len(found) else None for found in per_list)
            rows.append(_row(f"{key}#{k}", entries))
    return sorted(rows, key=lambda r: (KIND_ORDER[r.kind], r.name.lower(), r.key))


def _row(key: str, entries: tuple[Line | None, ...]) -> Row:
    base, others = entries[0], [e for e in entries[1:] if e is not None]
    name = (base or next(e for e in entries if e is not None)).display
    if base is None:
        return Row(key, name, entries, MISSING)
    if not others:
        return Row(key, name, entries, NEW)
    changed = frozenset().union(*(differences(base, other) for other in others))
    formulations = (formulation_difference(base, other) for other in others)
    how = "; ".join(dict.fromkeys(found for found in formulations if found))
    return Row(key, name, entries, CHANGED if changed else MATCHED, changed, how)


def safety_flags(lines: Iterable[Line]) -> list[Flag]:
    """
    Duplicate therapy: one medication (same ingredient, else same name) in force on lines from two different
    prescribers on file, who may each think they manage it. The same medication reported by two sources (the
    MAR and the outside prescriber's list, the discharge list and the patient's report) is one prescription
    seen twice, and two strengths from one prescriber are a split dose: comparing the lists in a
    reconciliation settles those, so they are not flagged. No prescriber: a line in force with no prescriber
    on file.
    """
    in_force = [line for line in lines if line.status in IN_FORCE]
    flags = []
    for members in group_lines(in_force).values():
        found = [in_force[i] for i in members]
        if len({line.prescriber for line in found if line.prescriber}) > 1:
            flags.append(Flag("duplicate", _duplicate_message(found), tuple(line.ref for line in found)))
    for line in in_force:
        if not line.prescriber:
            message = f"{line.display}: no prescriber on file" + (f" (from {line.source})" if line.source else "")
            flags.append(Flag("no-prescriber", message + ".", (line.ref,)))
    return flags


def _duplicate_message(found: list[Line]) -> str:
    parts = []
    for line in found:
        who = line.prescriber_name or "no prescriber on file"
        parts.append(f"{line.display} ({who}" + (f", {line.source})" if line.source else ")"))
    return "Possible duplicate therapy: " + "; ".join(parts) + "."
