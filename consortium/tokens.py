"""API keys for the members' API (/api/v1/): making, revoking and checking them.

A key is shown once, when it is made; Concord keeps only a keyed hash of it (`digest_of`) and
its first characters. A key acts with its person's roles in its consortium — never more — so
`authenticate` asks, on every request, whether the person is still active and still holds a
role there: losing the last role, or leaving, takes a key's power away at once. Making,
refusing, revoking and using a key from a new address are written to the security log.
"""

import datetime
import math
import secrets
import time

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_scopes import scopes_disabled

from consortium import access, security
from consortium.models import ApiToken, RoleAssignment

KEY_START = "concord_"
PREFIX_LENGTH = 12
DEFAULT_DAYS = 90
MAX_DAYS = 365
ADDRESSES_KEPT = 20
# Recording when a key was last used is a write on every request; once a minute is enough.
LAST_USED_EVERY = datetime.timedelta(minutes=1)
WINDOW_SECONDS = 60


def digest_of(raw: str) -> str:
    """The keyed hash Concord keeps instead of a key (keyed with SECRET_KEY)."""
    return salted_hmac("concord.api-key", raw, algorithm="sha256").hexdigest()


def default_expiry() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=DEFAULT_DAYS)


def _end_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def _label(token: ApiToken) -> str:
    return f"“{token.name}” ({token.prefix}…)"


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def token_create(
    *,
    by: User,
    name: str,
    scopes: list[str],
    expires_on: datetime.date | None = None,
) -> tuple[ApiToken, str]:
    """Make an API key for `by` in the consortium they work in. Returns the key and the raw
    key itself, which is never kept and cannot be shown again."""
    consortium_id = access.actor(by).consortium_id
    if consortium_id is None or not by.is_active:
        raise ValidationError("Only a person with a role in a consortium can make an API key.")
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Enter a name for the key, saying what it is for"
    elif len(name) > ApiToken._meta.get_field("name").max_length:
        errors["name"] = "The name must be 100 characters or fewer"
    scopes = list(dict.fromkeys(scopes or []))
    if not scopes:
        errors["scopes"] = "Select what the key may do"
    elif unknown := [s for s in scopes if s not in ApiToken.Scope.values]:
        errors["scopes"] = f"Concord has no such permission: {', '.join(map(str, unknown))}"
    today = timezone.localdate()
    expires_on = expires_on or today + datetime.timedelta(days=DEFAULT_DAYS)
    if expires_on < today:
        errors["expires_on"] = "The expiry date must be today or in the future"
    elif expires_on > today + datetime.timedelta(days=MAX_DAYS):
        errors["expires_on"] = "A key can last at most a year: choose an earlier expiry date"
    if errors:
        raise ValidationError(errors)
    raw = KEY_START + secrets.token_urlsafe(32)
    token = ApiToken._base_manager.create(
        consortium_id=consortium_id,
        user=by,
        name=name,
        prefix=raw[:PREFIX_LENGTH],
        digest=digest_of(raw),
        scopes=[s for s in ApiToken.Scope.values if s in scopes],
        expires_at=_end_of(expires_on),
    )
    security.log(
        security.Kind.TOKEN_CREATED,
        user=by,
        consortium_id=consortium_id,
        detail=(
            f"{_label(token)}: {', '.join(token.scopes)}; "
            f"expires {expires_on.day} {expires_on:%B %Y}"
        ),
    )
    return token, raw


@transaction.atomic
def token_revoke(*, by: User, token: ApiToken) -> ApiToken:
    """Revoke `token`: its owner, or an administrator of its consortium. It stops working at
    once."""
    token = ApiToken._base_manager.select_for_update().get(pk=token.pk)
    if not access.can_revoke_token(by, token):
        raise PermissionDenied("Only the key's owner or an administrator can revoke it.")
    if token.revoked_at is not None:
        raise ValidationError(f"The key {_label(token)} is already revoked.")
    token.revoked_at = timezone.now()
    token.revoked_by = by
    token.save(update_fields=["revoked_at", "revoked_by"])
    who = "its owner" if by.pk == token.user_id else f"{_name(by)} ({by.get_username()})"
    security.log(
        security.Kind.TOKEN_REVOKED,
        user=token.user,
        consortium_id=token.consortium_id,
        detail=f"{_label(token)} of {_name(token.user)}, revoked by {who}.",
    )
    return token


def _refuse(request, reason, token=None, raw=""):
    if token is None:
        security.log(
            security.Kind.TOKEN_REFUSED,
            username="",
            request=request,
            detail=f"Unknown key starting {raw[:PREFIX_LENGTH]!r}.",
        )
    else:
        security.log(
            security.Kind.TOKEN_REFUSED,
            user=token.user,
            request=request,
            consortium_id=token.consortium_id,
            detail=f"{_label(token)}: {reason}.",
        )
    return None


def authenticate(raw: str, request) -> ApiToken | None:
    """The key `raw` (as the API request gave it) if it may act now, with its `user` loaded;
    otherwise None, and the refusal and its reason are in the security log. Nothing about
    the person is cached: whether they are active and hold a role is read every time."""
    raw = raw or ""
    with scopes_disabled():
        token = ApiToken._base_manager.select_related("user").filter(digest=digest_of(raw)).first()
        if token is None:
            return _refuse(request, "unknown key", raw=raw)
        now = timezone.now()
        if token.revoked_at is not None:
            return _refuse(request, "revoked", token)
        if token.expires_at <= now:
            return _refuse(request, "expired", token)
        if not token.user.is_active:
            return _refuse(request, "the person's account is switched off", token)
        if not RoleAssignment._base_manager.filter(
            user_id=token.user_id, consortium_id=token.consortium_id
        ).exists():
            return _refuse(request, "the person holds no role in the key's consortium", token)
        _record_use(token, request, now)
    return token


def _record_use(token, request, now):
    ip = security.client_ip(request) if request is not None else None
    new_address = ip is not None and ip not in (token.addresses or [])
    recent = token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY
    if recent and not new_address:
        return
    if not new_address:
        ApiToken._base_manager.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
        return
    with transaction.atomic():
        # Two requests from one new address at once: the second waits and finds it known.
        addresses = (
            ApiToken._base_manager.select_for_update()
            .values_list("addresses", flat=True)
            .get(pk=token.pk)
        ) or []
        first_time = ip not in addresses
        if first_time:
            addresses = [*addresses, ip][-ADDRESSES_KEPT:]
        ApiToken._base_manager.filter(pk=token.pk).update(
            last_used_at=now, last_used_ip=ip, addresses=addresses
        )
        token.last_used_at, token.last_used_ip, token.addresses = now, ip, addresses
        if first_time:
            security.log(
                security.Kind.TOKEN_NEW_ADDRESS,
                user=token.user,
                request=request,
                consortium_id=token.consortium_id,
                detail=f"{_label(token)} used from {ip} for the first time.",
            )


def allows(token: ApiToken, scope: str) -> bool:
    """Whether the key was given `scope` (its person's roles decide the rest)."""
    return scope in (token.scopes or [])


def rate_limited(token: ApiToken) -> int | None:
    """Count one request by `token`. None while it is within
    CONCORD_API_REQUESTS_PER_MINUTE in this minute; once over, the seconds until the minute
    ends (for Retry-After). A fixed window in the cache, so every worker counts together."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"concord:api-rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count <= settings.CONCORD_API_REQUESTS_PER_MINUTE:
        return None
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
