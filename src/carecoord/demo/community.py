"""
The demo's community resource directory: a handful of invented Chicago agencies (food pantries, rides to
medical appointments, utility and rental help, caregiver support, pharmacy and benefits assistance), written
for the demo as Open Referral HSDS 3.0 JSON (data/community_hsds.json: invented names, example.com-style
websites and 555-01xx phone numbers) and loaded into every demo organization's directory through the
community app's HSDS importer, which matches records by HSDS id, so loading twice updates, never duplicates.
"""

import json
from pathlib import Path

from carecoord.community.importer import hsds_import_json
from carecoord.core.access import actor_for
from carecoord.core.choices import Role
from carecoord.core.errors import ValidationError
from carecoord.core.models import Membership, Organization

HSDS_FILE = Path(__file__).parent / "data" / "community_hsds.json"


def community_create(*, organizations: dict[str, Organization], counts) -> None:
    """Imports the demo HSDS directory into each organization's directory, as one of its coordinators."""
    payload = json.loads(HSDS_FILE.read_text(encoding="utf-8"))
    for org in organizations.values():
        member = (
            Membership.objects.filter(organization=org, role=Role.COORDINATOR, active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        report = hsds_import_json(actor=actor_for(member.user, org), payload=payload)
        if report.errors:  # the file is ours: a row it rejects is a bug in the file
            raise ValidationError(f"The demo community directory did not load: {report.errors[0]}")
        counts["community_services"] += report.created.get("services", 0)
