"""Passkeys and security keys (WebAuthn) as a second factor, on django-otp-webauthn.

The library runs the two ceremonies (its JSON endpoints and its browser script); Concord
decides who may run them and what follows, through the same rules as codes
(consortium.twofactor):

* Registering needs a session already verified by a factor (when the person has one) and the
  password given again on the "Add a passkey" page, within a few minutes; that page names the
  passkey. The first factor comes with recovery codes.
* Authenticating is only ever a second factor, after the password (no passwordless sign-in):
  the browser offers only the person's own credentials, and a credential that is not theirs
  answers 404, like any object outside someone's scope. Success sets the same session markers
  as a code; a failure is logged and counts towards the lockout like a wrong code.
"""

import json

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions, helpers, views
from django_otp_webauthn.models import WebAuthnCredential

from consortium import security, twofactor


class ConcordWebAuthnHelper(helpers.WebAuthnHelper):
    """Names a new credential as the person asked, and keeps it with its log entry and, for
    a first factor, recovery codes."""

    def create_credential(self, user, response, parsed_credential, original_data):
        device = super().create_credential(user, response, parsed_credential, original_data)
        device.name = twofactor.passkey_grant(self.request) or "Passkey"
        return device

    def register_complete(self, user, state, data):
        first = not twofactor.has_factor(user)
        device = super().register_complete(user=user, state=state, data=data)
        twofactor.add_passkey(self.request, device, first=first)
        return device


class PasswordNotGiven(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = "Give your password again on the Add a passkey page first."
    default_code = "password_not_given"


class NotYours(exceptions.OTPWebAuthnApiError):
    status_code = 404
    default_detail = "That passkey is not one of yours."
    default_code = "not_found"


class LockedOut(exceptions.OTPWebAuthnApiError):
    status_code = 429
    default_detail = "Too many failed attempts: the account is locked for now."
    default_code = "locked_out"


def _locked(request):
    return AxesProxyHandler.is_locked(request, {"username": request.user.get_username()})


@method_decorator(login_required, name="dispatch")
class BeginRegistration(views.BeginCredentialRegistrationView):
    def check_can_register(self):
        if twofactor.passkey_grant(self.request) is None:
            raise PasswordNotGiven()


@method_decorator(login_required, name="dispatch")
class CompleteRegistration(views.CompleteCredentialRegistrationView):
    def check_can_register(self):
        if twofactor.passkey_grant(self.request) is None:
            raise PasswordNotGiven()

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        data = json.loads(response.content)
        device = WebAuthnCredential.objects.get(pk=data["id"], user=self.request.user)
        twofactor.passkey_added(self.request, device)
        # The page's script goes on to the new recovery codes, or back to the settings.
        if twofactor.NEW_CODES in self.request.session:
            data["redirect_url"] = reverse("two_factor_recovery_codes")
        else:
            data["redirect_url"] = reverse("account_security")
        return JsonResponse(data)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and not isinstance(
            exc, exceptions.InvalidState | PasswordNotGiven
        ):
            security.log(
                security.Kind.FACTOR_FAILED, user=self.request.user, detail="Adding a passkey"
            )
        return super().handle_exception(exc)


@method_decorator(login_required, name="dispatch")
class BeginAuthentication(views.BeginCredentialAuthenticationView):
    def check_can_authenticate(self):
        if _locked(self.request):
            raise LockedOut()
        super().check_can_authenticate()


@method_decorator(login_required, name="dispatch")
class CompleteAuthentication(views.CompleteCredentialAuthenticationView):
    """Check the browser's answer; a credential that is missing or somebody else's is 404.
    Every refusal of an actual answer counts towards the lockout."""

    def check_can_authenticate(self):
        if _locked(self.request):
            raise LockedOut()
        super().check_can_authenticate()

    def complete_auth(self, device):
        twofactor.factor_given(self.request, device)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.CredentialNotFound | exceptions.CredentialUserMismatch):
            exc = NotYours()
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and not isinstance(
            exc, exceptions.InvalidState | LockedOut
        ):
            twofactor.factor_failed(self.request, detail=f"Passkey: {exc.code}")
            if getattr(self.request, "axes_locked_out", False):
                exc = LockedOut()
        return super().handle_exception(exc)


urlpatterns = [
    path("registration/begin/", BeginRegistration.as_view(), name="credential-registration-begin"),
    path(
        "registration/complete/",
        CompleteRegistration.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        BeginAuthentication.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        CompleteAuthentication.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
