"""The real settings (production when CARECOORD_ENV=production) with the test-only failing URLs added."""

from carecoord.settings import *  # noqa: F403

ROOT_URLCONF = "tests.ops.urls_forced_error"
