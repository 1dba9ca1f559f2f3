from .access import memberships_of
from .middleware import idle_timeout_minutes


def actor(request):
    """The acting organization and the user's other organizations, for the page header."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    memberships = getattr(request, "memberships", None)  # ActorMiddleware read them already
    if memberships is None:
        memberships = memberships_of(request.user)
    organizations = {m.organization for m in memberships}
    return {
        "actor": getattr(request, "actor", None),
        "my_organizations": sorted(organizations, key=lambda o: o.name),
        "idle_timeout_seconds": idle_timeout_minutes(request) * 60,
    }
