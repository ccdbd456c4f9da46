"""A person's own sign-in: giving a second factor, setting one up, recovery codes, the page
where they manage their factors, and their API keys. The rules live in consortium.twofactor
and consortium.tokens."""

import base64

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from consortium import access, tokens, twofactor
from consortium.forms import (
    ApiKeyForm,
    AuthenticatorForm,
    CodeForm,
    PasskeyForm,
    PasswordAgainForm,
)
from consortium.models import ApiToken
from consortium.views import REFUSED, act_or_refuse, apply_errors, save_or_refuse


def _locked(request):
    return AxesProxyHandler.is_locked(request, {"username": request.user.get_username()})


def _locked_response(request):
    logout(request)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)


@login_required
def two_factor_verify(request):
    """Give a code from an authenticator app (or a recovery code) to finish signing in, or to
    confirm it is you before a sensitive act."""
    user = request.user
    if not twofactor.has_factor(user):
        return redirect("two_factor_setup")
    if _locked(request):
        return _locked_response(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify_code(request, form.cleaned_data["code"])
        if device is not None:
            left = twofactor.recovery_codes_left(user)
            if device.name == twofactor.RECOVERY_NAME and left <= 3:
                messages.warning(
                    request,
                    f"You have {left} recovery code{'s' if left != 1 else ''} left. "
                    "Make new ones from your sign-in settings.",
                )
            return redirect(twofactor.safe_next(request))
        if getattr(request, "axes_locked_out", False):
            return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
        form.add_error("code", "That code is not right, or it has been used already.")
    fresh = request.GET.get("fresh") == "1" or twofactor.is_verified(request)
    return render(
        request,
        "registration/two_factor_verify.html",
        {
            "form": form,
            "fresh": fresh,
            "next": request.GET.get("next", ""),
            "passkey": twofactor.has_passkey(user),
            # The demo's sign-in, painless but still two factors (never in production).
            "demo_code": twofactor.demo_code(user),
        },
    )


def _qr_svg(device):
    # A data: URI would need img-src data: in the content security policy; inline SVG
    # markup needs nothing (segno writes no script or style).
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#0b0c0c", light="#ffffff"
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-label="QR code to scan" ', 1))


def _password_refusal(request, form, asked=True):
    """None when the password given again on `form` is right (or was not asked for). Otherwise
    the form carries the error and this returns what to answer: the locked-out page when this
    wrong password locked the person out, or False to show the form again."""
    if not asked or twofactor.check_password(request, form.cleaned_data["password"]):
        return None
    if getattr(request, "axes_locked_out", False):
        return _locked_response(request)
    form.add_error("password", "Your password is not right.")
    return False


def _after_new_factor(request):
    """Where a new second factor leads: the recovery codes first when they are new."""
    if twofactor.NEW_CODES in request.session:
        return f"{reverse('two_factor_recovery_codes')}?next={twofactor.safe_next(request)}"
    return twofactor.safe_next(request, default="account_security")


@login_required
def two_factor_setup(request):
    """Set up an authenticator app: scan the code (or type the key), then give a code from it.
    A person who already has a factor must have given it in this session, and their password
    again."""
    user = request.user
    has_factor = twofactor.has_factor(user)
    if has_factor and not twofactor.is_verified(request):
        return redirect(twofactor.verify_url(request.get_full_path()))
    ask_password = has_factor or not twofactor.password_is_fresh(request)
    form = AuthenticatorForm(request.POST or None, ask_password=ask_password)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        refusal = _password_refusal(request, form, asked=ask_password)
        if refusal is not None:
            if refusal:
                return refusal
        else:
            response = save_or_refuse(
                request,
                form,
                lambda: twofactor.add_authenticator(request, code=data["code"], name=data["name"]),
                success="Your authenticator app is set up.",
                to=lambda _: _after_new_factor(request),
            )
            if response:
                return response
    device = twofactor.pending_device(request)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": _qr_svg(device),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "first": not has_factor,
            "required": twofactor.requires_two_factor(user),
            "next": request.GET.get("next", ""),
        },
    )


@login_required
def two_factor_recovery_codes(request):
    """Show newly made recovery codes, once."""
    codes = request.session.pop(twofactor.NEW_CODES, None)
    if not codes:
        return redirect("account_security")
    return render(
        request,
        "registration/two_factor_recovery_codes.html",
        {"codes": codes, "next": twofactor.safe_next(request, default="account_security")},
    )


@login_required
def account_security(request):
    """The person's own sign-in settings: their factors and recovery codes."""
    user = request.user
    return render(
        request,
        "registration/account_security.html",
        {
            "factors": twofactor.factors(user),
            "passkeys": twofactor.passkeys(user),
            "codes_left": twofactor.recovery_codes_left(user),
            "required": twofactor.requires_two_factor(user),
            "password_form": PasswordAgainForm(prefix="codes"),
            "makes_api_keys": access.member_of_consortium(user),
        },
    )


@login_required
def recovery_codes_renew(request):
    user = request.user
    form = PasswordAgainForm(request.POST or None, prefix="codes")
    if not twofactor.has_factor(user):
        return redirect("account_security")
    if request.method == "POST" and form.is_valid():
        refusal = _password_refusal(request, form)
        if refusal is None:
            twofactor.issue_recovery_codes(request)
            return redirect("two_factor_recovery_codes")
        if refusal:
            return refusal
    return render(
        request,
        "consortium/form_page.html",
        {
            "form": form,
            "title": "Make new recovery codes",
            "submit_label": "Make new codes (the old ones stop working)",
        },
    )


@login_required
def passkey_add(request):
    """Add a passkey or security key: name it and give the password again (as for an
    authenticator app), then the browser registers it (consortium.passkeys)."""
    user = request.user
    if twofactor.has_factor(user) and not twofactor.is_verified(request):
        return redirect(twofactor.verify_url(request.get_full_path()))
    name = twofactor.passkey_grant(request)
    if request.method == "GET" and name is not None:
        return render(request, "registration/passkey_add.html", {"granted": True, "name": name})
    ask_password = twofactor.has_factor(user) or not twofactor.password_is_fresh(request)
    form = PasskeyForm(request.POST or None, ask_password=ask_password)
    if request.method == "POST" and form.is_valid():
        refusal = _password_refusal(request, form, asked=ask_password)
        if refusal is None:
            twofactor.grant_passkey(request, name=form.cleaned_data["name"])
            return redirect("passkey_add")
        if refusal:
            return refusal
    return render(request, "registration/passkey_add.html", {"form": form})


def _remove_factor(request, device):
    form = PasswordAgainForm(request.POST or None)
    label = twofactor.factor_label(device)
    if request.method == "POST" and form.is_valid():
        refusal = _password_refusal(request, form)
        if refusal is not None:
            if refusal:
                return refusal
        else:
            response = save_or_refuse(
                request,
                form,
                lambda: twofactor.remove_authenticator(request, device=device),
                success=f"{label} removed.",
                to=lambda _: reverse("account_security"),
            )
            if response:
                return response
    return render(
        request,
        "consortium/form_page.html",
        {"form": form, "title": f"Remove {label}", "submit_label": "Remove"},
    )


@login_required
def factor_remove(request, pk):
    device = get_object_or_404(TOTPDevice, pk=pk, user=request.user, confirmed=True)
    return _remove_factor(request, device)


@login_required
def passkey_remove(request, pk):
    """Only one's own passkeys: anybody else's answers 404."""
    device = get_object_or_404(WebAuthnCredential, pk=pk, user=request.user, confirmed=True)
    return _remove_factor(request, device)


# --- API keys (consortium.tokens) ------------------------------------------------------------


@login_required
def api_keys(request):
    """The person's own API keys, in the consortium they work in."""
    access.require(access.member_of_consortium(request.user))
    keys = ApiToken.objects.visible_to(request.user).filter(user=request.user)
    return render(request, "registration/api_keys.html", {"keys": keys})


@login_required
def api_key_create(request):
    """Make an API key, after a fresh second factor. The key is shown once, on the answer to
    this POST itself: it is never put in the session, a message or a URL."""
    access.require(access.member_of_consortium(request.user))
    if ask := twofactor.fresh_factor_response(request):
        return ask
    form = ApiKeyForm(request.POST or None, initial={"expires_on": tokens.default_expiry()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, raw = tokens.token_create(
                by=request.user,
                name=data["name"],
                scopes=data["scopes"],
                expires_on=data["expires_on"],
            )
        except REFUSED as error:
            apply_errors(form, error)
        else:
            response = render(
                request, "registration/api_key_made.html", {"token": token, "raw": raw}
            )
            add_never_cache_headers(response)
            return response
    return render(
        request,
        "consortium/form_page.html",
        {"form": form, "title": "Make an API key", "submit_label": "Make the key"},
    )


@login_required
@require_POST
def api_key_revoke(request, pk):
    """Revoke one of the person's own keys (an administrator revokes others' from the
    consortium's list)."""
    token = access.get_visible_or_404(
        ApiToken.objects.filter(user=request.user), request.user, pk=pk
    )
    access.require(access.can_revoke_token(request.user, token))
    return act_or_refuse(
        request,
        lambda: tokens.token_revoke(by=request.user, token=token),
        success=lambda t: f"API key “{t.name}” revoked. It no longer works.",
        back=reverse("api_keys"),
    )
