"""
Idempotency keys for the JSON API (draft-ietf-httpapi-idempotency-key-header; ASVS 5.0 2.3.3): a client
sends `Idempotency-Key: <unique value>` with a POST, and a retry with the same key gets the first answer
again instead of a second write.

- `IdempotencyKey` stores key + caller (user and acting organization) + a hash of method, path and body +
  the response. It is written in the same transaction as the request's own writes, so a crash mid-request
  leaves no key and the retry runs afresh; concurrent duplicates queue on the unique key (PostgreSQL's unique
  index, SQLite's write lock) and then replay the stored answer: one row, the same id for every caller.
- The same key with a different method, path or body answers 422; a key is kept for 24 hours.
- `idempotent_post` wraps every operation of the API (`api.add_decorator(..., mode="view")`); requests
  without the header, other methods and anonymous callers pass through untouched.
"""

import datetime as dt
import hashlib
import re
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.http import HttpResponse, JsonResponse

from . import clock

HEADER = "Idempotency-Key"
KEY_LIFETIME = dt.timedelta(hours=24)
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII without spaces, as Stripe and the draft use
REPLAY_HEADER = "Idempotent-Replayed"
NOT_STORED = 500  # a server error is never stored: the retry runs afresh


class IdempotencyKey(models.Model):
    """One Idempotency-Key of one caller, with the request it was first used on and the answer given."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("core.Organization", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        app_label = "core"
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"idempotency key {self.key}"


def request_hash(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), request.body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "field": HEADER}, status=status)


def _replay(row: IdempotencyKey, fingerprint: str) -> HttpResponse:
    if row.request_hash != fingerprint:
        return _error(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was already used for a different request; use a new key for a new request.",
        )
    response = HttpResponse(bytes(row.body), status=row.status_code, content_type=row.content_type or None)
    response[REPLAY_HEADER] = "true"
    return response


def _caller(request):
    actor = getattr(request, "actor", None)
    if not request.user.is_authenticated or actor is None:
        return None
    return actor


def purge_expired() -> int:
    """Deletes keys past their 24 hours; returns how many (for the periodic job)."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=clock.now()).delete()
    return deleted


def idempotent_post(run):
    """Wraps an API operation's run(request, **kw) so POSTs carrying an Idempotency-Key are done once."""

    @wraps(run)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return run(request, *args, **kwargs)
        if not KEY_PATTERN.match(key):
            return _error(400, "invalid", "An Idempotency-Key is 1 to 200 printable ASCII characters, no spaces.")
        actor = _caller(request)
        if actor is None:
            return run(request, *args, **kwargs)  # answers 401 as usual
        fingerprint = request_hash(request)
        mine = {"user": actor.user, "organization": actor.organization, "key": key}
        with transaction.atomic():
            row = IdempotencyKey.objects.filter(**mine).first()
            if row is not None and row.expires_at <= clock.now():
                row.delete()
                row = None
            if row is not None:
                return _replay(row, fingerprint)
            moment = clock.now()
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        **mine, request_hash=fingerprint, created_at=moment, expires_at=moment + KEY_LIFETIME
                    )
            except IntegrityError:  # a concurrent duplicate committed first (PostgreSQL waits for it)
                return _replay(IdempotencyKey.objects.get(**mine), fingerprint)
            response = run(request, *args, **kwargs)
            if response.status_code >= NOT_STORED or getattr(response, "streaming", False):
                transaction.set_rollback(True)
                return response
            row.status_code = response.status_code
            row.content_type = response.get("Content-Type", "")
            row.body = response.content
            row.save(update_fields=["status_code", "content_type", "body"])
            return response

    return wrapper
