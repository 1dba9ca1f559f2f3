"""
T14, lists and reports: every URL of the application that takes no id (lists, searches, counts,
autocompletes, reports, CSV exports, dashboards; found by walking the resolver, so a new one is covered the
moment it exists) asked by a user of organization B for A's exact names, DOBs, MRNs, phone and ids, in the
query parameters those pages read. Nothing of A may appear.
"""

from django.urls import reverse

from ..conftest import signed_in_client
from ..test_tenant_isolation import walk
from .conftest import leaks_in

TERMS = ["Zebulon", "Quixotic", "zeb quix", "ALPHA-7731", "1951-02-03", "02/03/1951", "(312) 555-0177",
         "Ozymandias", "Alpha Secret Pharmacy", "ALPHAMEMBER1"]  # fmt: skip
# Pages whose GET is not a data view (signing in and out, the two-factor steps, the API and FHIR roots that
# test_matrix_api/test_matrix_fhir cover with their own clients).
NOT_DATA = {"core:login", "core:logout", "core:verify_otp", "core:setup_otp", "core:switch_organization",
            "fhir:token", "healthz"}  # fmt: skip


def parameterless_urls() -> list[tuple[str, str]]:
    from django.urls import get_resolver

    found = [(name, route) for name, route, conv in walk(get_resolver().url_patterns) if not conv]
    return [(name, reverse(name)) for name, _route in found if name not in NOT_DATA and not name.startswith("api:")]


def test_every_list_report_and_export_shows_nothing_of_another_organization(world, denied):
    client = signed_in_client(world["b"])
    urls = parameterless_urls()
    assert len(urls) >= 40, "the resolver walk found too few pages"
    ids = {"patient": world["patient"].public_id, "practitioner": world["practitioner"].public_id,
           "location": world["location"].public_id, "owner": world["a"].user.pk}  # fmt: skip
    for name, url in urls:
        queries = [{"q": term, "search": term, "name": term, "term": term} for term in TERMS] + [ids]
        for query in queries:
            response = client.get(url, query)
            where = f"B GET {url} ({name}) {query}"
            denied.add(where, response)
            assert response.status_code < 500, f"{where} answered {response.status_code}"
            body = b"".join(response.streaming_content) if response.streaming else response.content
            echoed = query.get("q", "")
            leaked = leaks_in(body.decode(errors="replace"), echoed)
            assert not leaked, f"{where} shows A's data: {leaked}"
            text = body.decode(errors="replace")
            for value in query.values():  # a filter form shows back what was asked
                text = text.replace(f'value="{value}"', "").replace(f"={value}", "")
            assert str(world["patient"].public_id) not in text, where
