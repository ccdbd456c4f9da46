"""The security log: who did what to their sign-in, or reached for something they may not
see, when and from where. `log()` is the one way to write it; the receivers below write the
sign-in events that Django and django-axes announce. Entries are append-only (a model guard
and a database trigger) and an administrator reads their consortium's at
consortium:security_log.
"""

import contextlib
import contextvars
import ipaddress

from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from consortium.models import RoleAssignment, SecurityEvent

Kind = SecurityEvent.Kind

_request = contextvars.ContextVar("concord_request", default=None)


class RequestContextMiddleware:
    """Keep the current request at hand, so the log can say from where (IP address, browser)
    even when it is written deep in a service or the access policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


class PermissionsPolicyMiddleware:
    """Send the Permissions-Policy header (settings.PERMISSIONS_POLICY) on every response."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.policy = settings.PERMISSIONS_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.policy)
        return response


def current_request():
    return _request.get()


@contextlib.contextmanager
def acting_for(request):
    """Work done away from a request (a task) on behalf of `request`'s person: the log names
    them as it would have in the request."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def client_ip(request):
    """The address the request came from. Behind the production proxy, REMOTE_ADDR is the
    proxy: django-axes has already worked out the client's address and keeps it on the
    request."""
    value = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _consortia_of(user, request):
    """Which consortia's logs an entry about `user` belongs in: the one they are working in,
    or (before they are signed in) every one they hold a role in."""
    actor = getattr(request, "actor", None) if request is not None else None
    if actor is not None and actor.user is not None and actor.user.pk == user.pk:
        if actor.consortium_id:
            return [actor.consortium_id]
    ids = sorted(
        set(RoleAssignment._base_manager.filter(user=user).values_list("consortium_id", flat=True))
    )
    return ids or [None]


def log(kind, *, user=None, username="", detail="", request=None, consortium_id=None):
    """Append an entry (one per consortium the person belongs to) to the security log."""
    request = request or current_request()
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if request is not None and user is None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    if consortium_id is not None:
        consortia = [consortium_id]
    elif user is not None:
        consortia = _consortia_of(user, request)
    else:
        consortia = [None]
    meta = request.META if request is not None else {}
    common = {
        "kind": kind,
        "user": user,
        "username": (username or (user.get_username() if user else ""))[:150],
        "ip_address": client_ip(request) if request is not None else None,
        "user_agent": meta.get("HTTP_USER_AGENT", "")[:300],
        "path": (request.path if request is not None else "")[:300],
        "detail": detail,
    }
    entries = []
    for cid in consortia:
        entry = SecurityEvent(consortium_id=cid, **common)
        entry.save()
        entries.append(entry)
    return entries


# --- sign-in events that Django and django-axes announce -----------------------------------


@receiver(auth_signals.user_logged_in, dispatch_uid="concord_security_signed_in")
def _signed_in(sender, request, user, **kwargs):
    log(Kind.SIGNED_IN, user=user, request=request)


@receiver(auth_signals.user_login_failed, dispatch_uid="concord_security_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # A refused second factor is logged by the two-factor view with its own kind.
    if kwargs.get("second_factor"):
        return
    username = (credentials or {}).get("username", "")
    user = _known_user(username)
    log(Kind.SIGN_IN_FAILED, user=user, username=username, request=request)


@receiver(auth_signals.user_logged_out, dispatch_uid="concord_security_signed_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        log(Kind.SIGNED_OUT, user=user, request=request)


def _known_user(username):
    from django.contrib.auth import get_user_model

    if not username:
        return None
    User = get_user_model()
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()


def _connect_axes():
    from axes.signals import user_locked_out

    @receiver(user_locked_out, dispatch_uid="concord_security_locked_out")
    def _locked_out(sender, request, username, ip_address, **kwargs):
        log(
            Kind.LOCKED_OUT,
            user=_known_user(username),
            username=username or "",
            request=request,
            detail="Too many failed attempts (passwords or second-factor codes).",
        )


_connect_axes()


NOT_SENT = "not sent: too many requests in the last hour"


def password_reset_allowed(email, request):
    """Whether another password-reset email may go to `email` for this client: at most
    CONCORD_PASSWORD_RESETS_PER_ADDRESS an hour to one address and
    CONCORD_PASSWORD_RESETS_PER_CLIENT an hour from one client address, counted from the log
    (so every worker of every server agrees)."""
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    sent = SecurityEvent._base_manager.filter(
        kind=Kind.PASSWORD_RESET_REQUESTED, at__gte=timezone.now() - timedelta(hours=1)
    ).exclude(detail__contains=NOT_SENT)
    to_address = sent.filter(Q(detail__iexact=email) | Q(detail__istartswith=f"{email} ("))
    if to_address.count() >= settings.CONCORD_PASSWORD_RESETS_PER_ADDRESS:
        return False
    ip = client_ip(request) if request is not None else None
    if ip is not None:
        from_client = sent.filter(ip_address=ip).count()
        if from_client >= settings.CONCORD_PASSWORD_RESETS_PER_CLIENT:
            return False
    return True
