from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from concord.api import api
from consortium import account, forms, history, passkeys, views
from consortium import admin as consortium_admin

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path(
        "account/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True,
            authentication_form=forms.LoginForm,
            extra_context={
                "lockout_limit": settings.AXES_FAILURE_LIMIT,
                "lockout_minutes": settings.CONCORD_LOGIN_COOLOFF_MINUTES,
            },
        ),
        name="login",
    ),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", account.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/set-up/", account.two_factor_setup, name="two_factor_setup"),
    path(
        "account/two-factor/recovery-codes/",
        account.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    # django-otp-webauthn's ceremonies (JSON), under the pages open before the second factor.
    path(
        "account/two-factor/passkeys/",
        include((passkeys.urlpatterns, "otp_webauthn")),
    ),
    path("account/security/", account.account_security, name="account_security"),
    path("account/security/passkeys/add/", account.passkey_add, name="passkey_add"),
    path(
        "account/security/passkeys/<int:pk>/remove/",
        account.passkey_remove,
        name="passkey_remove",
    ),
    path("account/api-keys/", account.api_keys, name="api_keys"),
    path("account/api-keys/new/", account.api_key_create, name="api_key_create"),
    path("account/api-keys/<int:pk>/revoke/", account.api_key_revoke, name="api_key_revoke"),
    path("account/reminders/", views.account_reminders, name="account_reminders"),
    path(
        "account/security/recovery-codes/",
        account.recovery_codes_renew,
        name="recovery_codes_renew",
    ),
    path("account/security/factors/<int:pk>/remove/", account.factor_remove, name="factor_remove"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(form_class=forms.ConcordPasswordChangeForm),
        name="password_change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "account/reset/",
        auth_views.PasswordResetView.as_view(form_class=forms.ConcordPasswordResetForm),
        name="password_reset",
    ),
    path(
        "account/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "account/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=forms.ConcordSetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "account/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("consortium/", include("consortium.urls")),
    path("workforce/", include("supervision.urls")),
    path("funding/", include("funding.urls")),
    path("contracts/", include("contracts.urls.agreements")),
    path("", include("contracts.urls.returns")),
    path("pbr/", include("contracts.urls.outcomes")),
    path("assurance/", include("contracts.urls.assurance")),
    path("risks/", include("risks.urls")),
    path("history/<str:label>/<int:pk>/", history.object_history, name="history"),
    # Shadows the admin's unscoped "view on site" shortcut with a scoped one.
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        consortium_admin.view_on_site,
        name="admin_view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
