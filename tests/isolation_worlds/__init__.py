"""
The tenant-isolation matrix's extensions, one module per app (tests/test_tenant_isolation.py imports them all).
A module defines:
- NAMESPACE: the app's URL namespace (e.g. "education");
- build(world) -> dict: organization A's records of the app, made from the base world (world["a"] is A's
  actor, world["patient"] A's patient, world["practitioner"], world["location"], world["careplan"]...); the
  keys become "<NAMESPACE>:<key>" in the world;
- TARGETS: {first word of a URL name: key in build's dict} for URLs whose id is `public_id`
  (e.g. {"material": "material"} for "education:material_detail");
- PARAMS (optional): {other URL parameter name: key in the world or in build's dict};
- SECRETS: strings only A's records contain (a B user must never see them);
- MODELS: the app's models with an `organization` field, whose rows of A must not change.
"""
