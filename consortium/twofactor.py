"""Two-factor sign-in, on django-otp: one-time codes from an authenticator app (TOTP, with
django-otp's replay protection: a code, or any earlier one, is accepted once), passkeys and
security keys (WebAuthn, django-otp-webauthn; the ceremonies are in consortium.passkeys) and
single-use recovery codes.

* Who must use a second factor: administrators, consortium leads, commissioners and clinical
  supervisors, staff of the Django admin, and everyone in a consortium whose setting
  `two_factor_for_everyone` is on. Whoever has a factor uses it.
* A person signed in with their password only is sent to give a code (or, with no factor yet
  and a role that needs one, walked through setting one up) before any other page.
* A wrong code, or a passkey that fails to prove itself, counts as a failed sign-in for
  django-axes' lockout, like a wrong password.
* Sensitive acts ask for a fresh code when the last one is older than
  CONCORD_FRESH_FACTOR_MINUTES: `@fresh_factor_required` on a view, or
  `fresh_factor_response(request)` inside one, after its access checks.
"""

import secrets
import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from consortium import security
from consortium.models import Role, RoleAssignment
from consortium.numbers import plural

REQUIRED_ROLES = (Role.ADMIN, Role.LEAD, Role.COMMISSIONER, Role.SUPERVISOR)
FACTOR_AT = "concord_factor_at"  # when the session last gave a second factor (epoch seconds)
PASSWORD_AT = "concord_password_at"  # when the session last gave the password
PENDING_KEY = "concord_pending_totp_key"
# Adding a passkey: the name it will have, and when the password was given for it.
PASSKEY_GRANT = "concord_passkey_grant"
NEW_CODES = "concord_new_recovery_codes"
RECOVERY_NAME = "Recovery codes"
RECOVERY_COUNT = 10
# Setting up the first factor straight after signing in needs no second password prompt.
PASSWORD_FRESH_SECONDS = 10 * 60


# --- policy -------------------------------------------------------------------------------


def requires_two_factor(user):
    """Whether `user` must sign in with a second factor."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return (
        RoleAssignment._base_manager.filter(user=user)
        .filter(Q(role__in=REQUIRED_ROLES) | Q(consortium__two_factor_for_everyone=True))
        .exists()
    )


def factors(user):
    """The person's confirmed authenticator apps, oldest first."""
    return list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"))


def passkeys(user):
    """The person's confirmed passkeys and security keys, oldest first."""
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk"))


def factor_count(user):
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).count()
        + WebAuthnCredential.objects.filter(user=user, confirmed=True).count()
    )


def has_passkey(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def has_factor(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists() or has_passkey(user)


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()


def is_verified(request):
    user = request.user
    return user.is_authenticated and getattr(user, "is_verified", lambda: False)()


def has_fresh_factor(request):
    """Whether the session gave a second factor within CONCORD_FRESH_FACTOR_MINUTES."""
    at = request.session.get(FACTOR_AT)
    if not is_verified(request) or at is None:
        return False
    return time.time() - at <= settings.CONCORD_FRESH_FACTOR_MINUTES * 60


def password_is_fresh(request):
    at = request.session.get(PASSWORD_AT)
    return at is not None and time.time() - at <= PASSWORD_FRESH_SECONDS


# --- sign-in ------------------------------------------------------------------------------


def verify_url(next_url, *, fresh=False):
    query = {"next": next_url}
    if fresh:
        query["fresh"] = "1"
    return f"{reverse('two_factor_verify')}?{urlencode(query)}"


def safe_next(request, default="dashboard"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


class TwoFactorMiddleware:
    """Let a person signed in with their password only reach nothing but the pages that
    complete their sign-in, until they give their second factor (or set one up)."""

    OPEN = ("/account/login/", "/account/logout/", "/account/reset/", "/account/two-factor/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.OPEN + (settings.STATIC_URL,))
            and not is_verified(request)
        ):
            if has_factor(user):
                return redirect(verify_url(request.get_full_path()))
            if requires_two_factor(user):
                return redirect(
                    f"{reverse('two_factor_setup')}?{urlencode({'next': request.get_full_path()})}"
                )
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="concord_two_factor_password_at")
def _password_given(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    request.session[PASSWORD_AT] = time.time()
    request.session.pop(FACTOR_AT, None)
    if not has_factor(user) and not requires_two_factor(user):
        # The password completes this person's sign-in: clear their failed attempts.
        _reset_lockout(user)


def _reset_lockout(user):
    from axes.utils import reset

    reset(username=user.get_username())


def normalise(code):
    return "".join(code.split()).replace("-", "").lower()


def verify_code(request, code):
    """Check a code from an authenticator app or a recovery code for the signed-in person.
    On success mark the session verified and fresh; on failure count it towards the lockout.
    Returns the device that accepted it, or None."""
    user = request.user
    token = normalise(code)
    device = None
    if token:
        with transaction.atomic():
            candidates = (
                TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
                if token.isdigit()
                else StaticDevice.objects.select_for_update().filter(
                    user=user, confirmed=True, name=RECOVERY_NAME
                )
            )
            for candidate in candidates:
                if candidate.verify_token(token):
                    device = candidate
                    break
    if device is None:
        factor_failed(request)
        return None
    factor_given(request, device)
    return device


def factor_failed(request, detail=""):
    """A second factor was refused: log it and count it towards the lockout, like a wrong
    password. A person now locked out is signed out."""
    user = request.user
    security.log(security.Kind.FACTOR_FAILED, user=user, detail=detail)
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username()},
        request=request,
        second_factor=True,
    )
    if getattr(request, "axes_locked_out", False):
        logout(request)


def factor_given(request, device):
    """`device` (an authenticator, a recovery code or a passkey) proved it is the person: the
    session is verified and fresh, their failed attempts are cleared, the log says which."""
    user = request.user
    otp_login(request, device)
    request.session[FACTOR_AT] = time.time()
    _reset_lockout(user)
    if isinstance(device, StaticDevice):
        left = recovery_codes_left(user)
        security.log(security.Kind.RECOVERY_CODE_USED, user=user, detail=f"{left} left")
    else:
        security.log(security.Kind.FACTOR_VERIFIED, user=user, detail=factor_label(device))


def factor_label(device):
    if isinstance(device, WebAuthnCredential):
        return f"Passkey: {device.name}"
    return device.name


# --- setting up and changing factors -------------------------------------------------------


def pending_key(request, *, renew=False):
    """The secret of the authenticator being set up, kept in the session until confirmed."""
    if renew or PENDING_KEY not in request.session:
        request.session[PENDING_KEY] = secrets.token_hex(20)
    return request.session[PENDING_KEY]


def pending_device(request):
    return TOTPDevice(user=request.user, key=pending_key(request), name="Authenticator app")


def check_password(request, password):
    """The password again, for changing factors. A wrong one counts towards the lockout."""
    user = request.user
    if password and user.check_password(password):
        request.session[PASSWORD_AT] = time.time()
        return True
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    return False


def add_authenticator(request, *, code, name):
    """Confirm the pending authenticator with a code it shows, and keep it. The first factor
    comes with recovery codes. Raises ValidationError for a wrong code."""
    user = request.user
    device = pending_device(request)
    device.name = name or "Authenticator app"
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    try:
        ok = totp.verify(int(normalise(code)), device.tolerance, 0)
    except ValueError:
        ok = False
    if not ok:
        security.log(security.Kind.FACTOR_FAILED, user=user, detail="Setting up an authenticator")
        raise ValidationError(
            {"code": "The code is not right. Enter the 6 digits the app shows now."}
        )
    device.last_t = totp.t()  # the code just used cannot be used again
    device.confirmed = True
    with transaction.atomic():
        first = not has_factor(user)
        device.save()
        security.log(security.Kind.FACTOR_ADDED, user=user, detail=device.name)
        if first or not recovery_codes_left(user):
            issue_recovery_codes(request)
    request.session.pop(PENDING_KEY, None)
    otp_login(request, device)
    request.session[FACTOR_AT] = time.time()
    return device


def grant_passkey(request, *, name):
    """The password was given again to add a passkey called `name`: the browser may now run
    one registration ceremony within PASSWORD_FRESH_SECONDS."""
    request.session[PASSKEY_GRANT] = {"name": name or "Passkey", "at": time.time()}


def passkey_grant(request):
    """The name of the passkey the person may add now, or None."""
    grant = request.session.get(PASSKEY_GRANT)
    if not grant or time.time() - grant["at"] > PASSWORD_FRESH_SECONDS:
        return None
    return grant["name"]


def add_passkey(request, device, *, first):
    """Keep a passkey the browser has just registered (called inside the ceremony, once the
    credential is saved): the grant is used up, the log says so, and a `first` factor comes
    with recovery codes."""
    user = request.user
    request.session.pop(PASSKEY_GRANT, None)
    security.log(security.Kind.FACTOR_ADDED, user=user, detail=factor_label(device))
    if first or not recovery_codes_left(user):
        issue_recovery_codes(request)
    return device


def passkey_added(request, device):
    """After the ceremony: registering with the authenticator proved the person holds it."""
    otp_login(request, device)
    request.session[FACTOR_AT] = time.time()


def issue_recovery_codes(request):
    """Replace the person's recovery codes with new ones, kept in the session to show once."""
    user = request.user
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = ["".join(secrets.choice(alphabet) for _ in range(8)) for _ in range(RECOVERY_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    request.session[NEW_CODES] = [f"{c[:4]}-{c[4:]}" for c in codes]
    security.log(security.Kind.RECOVERY_CODES_ISSUED, user=user, detail=f"{RECOVERY_COUNT} codes")
    return codes


def remove_authenticator(request, *, device):
    """Remove one of the person's authenticators or passkeys; never the last factor of
    someone who needs one."""
    user = request.user
    if device.user_id != user.pk:
        raise ValidationError("That is not one of your sign-in factors.")
    if factor_count(user) <= 1 and requires_two_factor(user):
        security.log(security.Kind.FACTOR_REMOVAL_REFUSED, user=user, detail=factor_label(device))
        raise ValidationError(
            "Your role needs a second factor, so you cannot remove your only one. "
            "Add another authenticator app or passkey first, then remove this one."
        )
    name = factor_label(device)
    with transaction.atomic():
        device.delete()
        if not has_factor(user):
            StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).delete()
        security.log(security.Kind.FACTOR_REMOVED, user=user, detail=name)


def reset_factors(*, by, user, reason):
    """Remove every second factor of `user` (who lost their phone and recovery codes), on an
    administrator's word after checking who they are. If their role needs a factor they set up
    a new one at their next sign-in; any session of theirs is no longer verified."""
    if user.pk == by.pk:
        raise ValidationError("Manage your own second factors from your sign-in settings.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why, and how you checked who asked."})
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        keys = (
            WebAuthnCredential.objects.filter(user=user)
            .delete()[1]
            .get(WebAuthnCredential._meta.label, 0)
        )
        StaticDevice.objects.filter(user=user).delete()
        security.log(
            security.Kind.FACTOR_REMOVED,
            user=by,
            detail=(
                f"Second factors of {user.get_full_name() or user.username} ({user.username}) "
                f"reset: {plural(removed, 'authenticator')}, {plural(keys, 'passkey')} and the recovery "
                f"codes. Reason: {reason}"
            ),
        )
    return removed + keys


# --- the fresh-factor gate for sensitive acts ---------------------------------------------


def fresh_factor_response(request, next_url=None):
    """For a sensitive act: None when the session gave its second factor recently enough;
    otherwise the redirect that asks for a code and comes back here (or to `next_url`, for an
    act that is only ever posted from another page). Call it after the view's access checks,
    so that a person who may not act still gets 404."""
    if has_fresh_factor(request):
        return None
    here = next_url or request.get_full_path()
    if not has_factor(request.user):
        messages.info(request, "Set up a second factor to do this.")
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': here})}")
    messages.info(
        request,
        "This is a sensitive act: enter a code from your authenticator app, or use your "
        "passkey, to confirm it is you.",
    )
    return redirect(verify_url(here, fresh=True))


def fresh_factor_required(view=None, *, methods=None):
    """Decorate a view so that it (or only its `methods`, e.g. ("POST",)) asks for a fresh
    second factor first. Put it beneath @login_required."""

    def decorate(fn):
        @wraps(fn)
        def wrapper(request, *args, **kwargs):
            if methods is None or request.method in methods:
                response = fresh_factor_response(request)
                if response is not None:
                    return response
            return fn(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def verify_session(request, device):
    """Mark the session as verified by `device` now (django-otp's own login-with-device):
    what a successful code does, for callers that already hold a verified device."""
    otp_login(request, device)
    request.session[FACTOR_AT] = time.time()


__all__ = [
    "DEVICE_ID_SESSION_KEY",
    "fresh_factor_required",
    "fresh_factor_response",
    "has_fresh_factor",
    "requires_two_factor",
]


# --- the demo's authenticators ----------------------------------------------------------------

# seed_demo gives every demo user an authenticator of this name whose secret is public.
DEMO_AUTHENTICATOR = "Demo authenticator"


def demo_code(user):
    """The code `user`'s demo authenticator accepts now (the next window's if this one's was
    just used), or None: no demo authenticator, or production, where the demo never runs."""
    if settings.PRODUCTION:
        return None
    from django_otp.oath import hotp

    device = TOTPDevice.objects.filter(user=user, name=DEMO_AUTHENTICATOR, confirmed=True).first()
    if device is None:
        return None
    now = (int(time.time()) - device.t0) // device.step + device.drift
    t = max(now, device.last_t + 1)
    if t > now + device.tolerance:
        return None  # used just now: the page asks again in 30 seconds
    return f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}"


def refuse_demo_authenticators_in_production():
    """Production does not start while any demo authenticator exists: their secrets are
    public, so an account holding one has no second factor at all."""
    from django.core.exceptions import ImproperlyConfigured

    if not settings.PRODUCTION:
        return
    found = TOTPDevice.objects.filter(name=DEMO_AUTHENTICATOR).count()
    if found:
        raise ImproperlyConfigured(
            f"{found} demo authenticator{' exists' if found == 1 else 's exist'}: their secrets are "
            "public. Remove them (Concord's demo data does not belong in production) before "
            "starting with CONCORD_ENV=production."
        )
