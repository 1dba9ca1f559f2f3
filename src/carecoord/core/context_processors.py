from .access import memberships_of
from .middleware import idle_timeout_minutes


def actor(request):
    """The acting organization and the user's other organizations, for the page header."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    organizations = {m.organization for m in memberships_of(request.user)}
    return {
        "actor": getattr(request, "actor", None),
        "my_organizations": sorted(organizations, key=lambda o: o.name),
        "idle_timeout_seconds": idle_timeout_minutes(request) * 60,
    }
