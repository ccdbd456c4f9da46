"""The access matrix: every URL pattern × every role (and anonymous) × objects outside scope.

For every URL pattern in the project there must be an entry in MATRIX (or, for the admin, an
out-of-scope object of its model in OUTSIDE). Each role requests the URL with objects it must
not reach and gets 404 (anonymous: a redirect to sign in), and no page a role may open shows
text planted in data that role must not see. A URL pattern without an entry fails the test.
"""

from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from sample import ConsortiumWorld
from tests.worlds import EVERY_DOMAIN, shared_world

AWAY = ConsortiumWorld.SENTINEL  # planted in the other consortium's data
PRIVATE_B = "SENTINEL-B-PRIVATE"  # planted in CVO B's own data
NOTES = "SENTINEL-NOTES"  # planted in every confidential supervision note
NOT_ATTENDED = "SENTINEL-NOT-ATTENDED"  # in the notes of a session the practitioner missed
QUERY = "SENTINEL-PACK-QUERY"  # in a commissioner's query on a pack, and the lead's answer
ROLES = ["admin", "lead", "cvo_a", "cvo_b", "supervisor", "commissioner", "practitioner"]
# What each role must never read: the other consortium always; CVO B's private data unless
# the role oversees the consortium or is CVO B; confidential supervision notes unless the
# person is the session's supervisor (the supervisor persona, for its own sessions only).
# Queries on an assurance pack and their answers are between the contract's commissioner and
# the lead (and the administrator): no member reads them, even on a pack it may read.
FORBIDDEN = {
    "admin": [AWAY, NOTES],
    "lead": [AWAY, NOTES],
    "cvo_a": [AWAY, PRIVATE_B, NOTES, QUERY],
    "cvo_b": [AWAY, NOTES, QUERY],
    "supervisor": [AWAY, PRIVATE_B, QUERY],
    "commissioner": [AWAY, PRIVATE_B, NOTES],
    # A practitioner reads the notes of sessions they attended, and nothing of anyone else's.
    "practitioner": [AWAY, PRIVATE_B, NOT_ATTENDED, QUERY],
    "anonymous": [AWAY, PRIVATE_B, NOTES, QUERY],
}
# The pages a practitioner opens (with the objects in `reachable`: their own record and a
# session they attended); every other page answers them 404 with those objects.
PRACTITIONER_OPENS = {
    "logout",
    "password_change",
    "password_change_done",
    "dashboard",
    "consortium:switch",
    "two_factor_verify",
    "two_factor_setup",
    "two_factor_recovery_codes",
    "account_security",
    "account_reminders",
    "recovery_codes_renew",
    # Their own API keys, like every person with a role.
    "api_keys",
    "api_key_create",
    # Their own passkeys, like every signed-in person.
    "passkey_add",
    "passkey_remove",
    "otp_webauthn:credential-registration-begin",
    "otp_webauthn:credential-registration-complete",
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "supervision:staff_detail",
    "supervision:session_detail",
    "supervision:my_record",
    "supervision:my_supervision",
}


@dataclass
class Entry:
    """How to exercise one URL pattern.

    `public`: reachable signed out (sign-in pages). `reachable`: kwargs of an object the roles
    may open (or {} for pages without arguments) — requested and checked for leaks.
    `outside`: kwargs of objects out of everyone's scope (another consortium) → 404.
    `denied`: role → kwargs of objects that role may not open even at home → 404.
    """

    public: bool = False
    url: object = ""  # for patterns without a name: the URL to request (or fn(world) -> URL)
    reachable: object = None
    outside: object = None
    denied: dict = field(default_factory=dict)


def device_of(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "Authenticator app"}
    )[0]


def passkey_of(user):
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.get_or_create(
        user=user,
        credential_id_sha256=f"{user.pk:064x}",
        defaults={"name": f"Passkey {AWAY}", "credential_id": b"x", "public_key": b"x"},
    )[0]


def pk(key, group="orgs"):
    return lambda w: {"pk": getattr(w, group)[key].pk}


def user_id(key):
    return lambda w: {"user_id": w.users[key].pk}


def history(label, getter):
    return lambda w: {"label": label, "pk": getter(w).pk}


def ct(obj):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(obj).pk


def role_assignment(key):
    return lambda w: {"pk": w.users[key].role_assignments.get().pk}


NOT_SETUP = ("cvo_a", "cvo_b", "supervisor", "commissioner")


def prepared(key):
    return lambda w: {"pk": w.extra["downloads"][key].pk}


def prepared_downloads(world):
    """A list download prepared for CVO B (its title private to CVO B) and one for the
    outsider in the other consortium."""
    import datetime

    from django.utils import timezone

    from consortium.models import PreparedDownload

    made = {}
    for key, consortium, title in (
        ("cvo_b", world.home, f"Payments {PRIVATE_B}"),
        ("outsider", world.away, f"Payments {AWAY}"),
    ):
        made[key] = PreparedDownload.objects.create(
            consortium=consortium,
            user=world.users[key],
            title=title,
            path="/funding/payments/",
            query="export=xlsx",
            filename="payments",
            status=PreparedDownload.Status.FAILED,
            rows_total=5,
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )
    world.extra["downloads"] = made


def api_keys(world):
    """An API key of CVO B's (its name private to CVO B) and one of the outsider's."""
    from consortium import tokens

    made = {}
    for key, name in (("cvo_b", f"Case system {PRIVATE_B}"), ("outsider", f"Case system {AWAY}")):
        made[key], _raw = tokens.token_create(by=world.users[key], name=name, scopes=["read"])
    world.extra["api_keys"] = made


def api_key(key):
    return lambda w: {"pk": w.extra["api_keys"][key].pk}


def wf(group, key):
    """kwargs for a workforce object (sample.supervision) by group and key."""
    return lambda w: {"pk": w.extra[group][key].pk}


# Someone else's staff member / session, per role.
STAFF_DENIED = {
    "practitioner": wf("staff", "a2"),
    "cvo_a": wf("staff", "b"),
    "cvo_b": wf("staff", "a1"),
    "supervisor": wf("staff", "b"),
    "commissioner": wf("staff", "a1"),
}
STAFF_EDIT_DENIED = {**STAFF_DENIED, "supervisor": wf("staff", "a1")}
SESSION_DENIED = {
    "practitioner": wf("sessions", "a2"),
    "cvo_a": wf("sessions", "b"),
    "cvo_b": wf("sessions", "a"),
    "supervisor": wf("sessions", "b"),
    "commissioner": wf("sessions", "a"),
}

MATRIX = {
    # Unnamed patterns are keyed by their pattern string.
    "admin/(?P<url>.*)$": Entry(url="/admin/no-such-page/", reachable=lambda w: {}),
    "login": Entry(public=True, reachable=lambda w: {}),
    "logout": Entry(reachable=lambda w: {}),
    "password_change": Entry(reachable=lambda w: {}),
    "password_change_done": Entry(reachable=lambda w: {}),
    "password_reset": Entry(public=True, reachable=lambda w: {}),
    "password_reset_done": Entry(public=True, reachable=lambda w: {}),
    "password_reset_confirm": Entry(
        public=True, reachable=lambda w: {"uidb64": "MQ", "token": "set-password"}
    ),
    "password_reset_complete": Entry(public=True, reachable=lambda w: {}),
    "dashboard": Entry(reachable=lambda w: {}),
    "consortium:organisation_list": Entry(reachable=lambda w: {}),
    "consortium:organisation_create": Entry(
        reachable=lambda w: {}, denied={r: lambda w: {} for r in NOT_SETUP}
    ),
    "consortium:organisation_detail": Entry(reachable=pk("cvo_b"), outside=pk("away_cvo")),
    "consortium:organisation_edit": Entry(
        reachable=pk("cvo_a"),
        outside=pk("away_cvo"),
        denied={r: pk("cvo_a") for r in NOT_SETUP},
    ),
    "consortium:site_list": Entry(reachable=lambda w: {}),
    "consortium:site_create": Entry(
        reachable=lambda w: {}, denied={r: lambda w: {} for r in NOT_SETUP}
    ),
    "consortium:site_detail": Entry(reachable=pk("home", "sites"), outside=pk("away", "sites")),
    "consortium:site_edit": Entry(
        reachable=pk("home", "sites"),
        outside=pk("away", "sites"),
        denied={r: pk("home", "sites") for r in NOT_SETUP},
    ),
    "consortium:people": Entry(reachable=lambda w: {}),
    "consortium:person_create": Entry(
        reachable=lambda w: {}, denied={r: lambda w: {} for r in NOT_SETUP}
    ),
    "consortium:person_detail": Entry(
        reachable=user_id("cvo_a"),
        outside=user_id("outsider"),
        denied={
            "cvo_a": user_id("cvo_b"),
            "supervisor": user_id("cvo_b"),
            "commissioner": user_id("cvo_b"),
        },
    ),
    "consortium:person_reset_two_factor": Entry(
        reachable=user_id("cvo_a"),
        outside=user_id("outsider"),
        denied={r: user_id("cvo_a") for r in ("lead",) + NOT_SETUP},
    ),
    "consortium:role_revoke": Entry(
        reachable=role_assignment("cvo_a"),
        outside=role_assignment("outsider"),
        denied={r: role_assignment("cvo_a") for r in NOT_SETUP},
    ),
    "consortium:settings": Entry(reachable=lambda w: {}),
    "consortium:switch": Entry(reachable=lambda w: {}),
    "two_factor_verify": Entry(reachable=lambda w: {}),
    "two_factor_setup": Entry(reachable=lambda w: {}),
    "two_factor_recovery_codes": Entry(reachable=lambda w: {}),
    "account_security": Entry(reachable=lambda w: {}),
    "recovery_codes_renew": Entry(reachable=lambda w: {}),
    # Only one's own factors: anybody else's (here the outsider's) answers 404.
    "factor_remove": Entry(outside=lambda w: {"pk": device_of(w.users["outsider"]).pk}),
    "passkey_add": Entry(reachable=lambda w: {}),
    "passkey_remove": Entry(outside=lambda w: {"pk": passkey_of(w.users["outsider"]).pk}),
    # The passkey ceremonies act only on the signed-in person's own credentials: there is no
    # object to name in the URL, and an answer signed with anybody else's credential is 404
    # (tests/test_security_passkeys.py). Signed out they send to sign-in; the script's
    # translations are public.
    "otp_webauthn:credential-registration-begin": Entry(reachable=lambda w: {}),
    "otp_webauthn:credential-registration-complete": Entry(reachable=lambda w: {}),
    "otp_webauthn:credential-authentication-begin": Entry(reachable=lambda w: {}),
    "otp_webauthn:credential-authentication-complete": Entry(reachable=lambda w: {}),
    "otp_webauthn:js-i18n-catalog": Entry(public=True, reachable=lambda w: {}),
    # A CVO manager imports their own staff; organisations and the rest are set-up.
    "consortium:import_list": Entry(
        reachable=lambda w: {}, denied={r: lambda w: {} for r in ("supervisor", "commissioner")}
    ),
    "consortium:import_upload": Entry(
        reachable=lambda w: {"kind": "organisations"},
        denied={r: lambda w: {"kind": "organisations"} for r in NOT_SETUP},
    ),
    "consortium:import_template": Entry(
        reachable=lambda w: {"kind": "sites"},
        denied={r: lambda w: {"kind": "sites"} for r in NOT_SETUP},
    ),
    # A prepared download is only ever its person's (CVO B's here; the outsider's away).
    "consortium:download_status": Entry(
        reachable=prepared("cvo_b"),
        outside=prepared("outsider"),
        denied={r: prepared("cvo_b") for r in ROLES if r != "cvo_b"},
    ),
    "consortium:download_file": Entry(
        reachable=prepared("cvo_b"),
        outside=prepared("outsider"),
        denied={r: prepared("cvo_b") for r in ROLES if r != "cvo_b"},
    ),
    "consortium:download_retry": Entry(
        outside=prepared("outsider"),
        denied={r: prepared("cvo_b") for r in ROLES if r != "cvo_b"},
    ),
    "consortium:security_log": Entry(
        reachable=lambda w: {}, denied={r: lambda w: {} for r in ("lead",) + NOT_SETUP}
    ),
    # A person's own API keys; every key of the consortium for its administrators only.
    "api_keys": Entry(reachable=lambda w: {}),
    "api_key_create": Entry(reachable=lambda w: {}),
    "api_key_revoke": Entry(
        outside=api_key("outsider"),
        denied={r: api_key("cvo_b") for r in ROLES if r != "cvo_b"},
    ),
    "consortium:api_keys": Entry(
        reachable=lambda w: {}, denied={r: lambda w: {} for r in ("lead",) + NOT_SETUP}
    ),
    "consortium:api_key_revoke": Entry(
        outside=api_key("outsider"),
        denied={r: api_key("cvo_b") for r in ROLES if r != "admin"},
    ),
    "admin_view_on_site": Entry(
        reachable=lambda w: {
            "content_type_id": ct(w.orgs["cvo_a"]),
            "object_id": w.orgs["cvo_a"].pk,
        },
        outside=lambda w: {
            "content_type_id": ct(w.orgs["away_cvo"]),
            "object_id": w.orgs["away_cvo"].pk,
        },
    ),
    "supervision:post_list": Entry(reachable=lambda w: {}, denied={"supervisor": lambda w: {}}),
    # Posts at risk carry the funding behind them: the lead and administrators only.
    "supervision:post_at_risk_list": Entry(
        reachable=lambda w: {},
        denied={r: lambda w: {} for r in ("cvo_a", "cvo_b", "supervisor", "commissioner")},
    ),
    "supervision:post_create": Entry(
        reachable=lambda w: {}, denied={r: lambda w: {} for r in ("supervisor", "commissioner")}
    ),
    "supervision:post_detail": Entry(
        reachable=wf("posts", "a"),
        outside=wf("posts", "away"),
        denied={
            "cvo_a": wf("posts", "b"),
            "cvo_b": wf("posts", "a"),
            "supervisor": wf("posts", "a"),
            "commissioner": wf("posts", "b"),
        },
    ),
    "supervision:post_edit": Entry(
        reachable=wf("posts", "a"),
        outside=wf("posts", "away"),
        denied={
            "cvo_a": wf("posts", "b"),
            "cvo_b": wf("posts", "a"),
            "supervisor": wf("posts", "a"),
            "commissioner": wf("posts", "a"),
        },
    ),
    "supervision:staff_list": Entry(reachable=lambda w: {}, denied={"commissioner": lambda w: {}}),
    "supervision:staff_create": Entry(
        reachable=lambda w: {}, denied={r: lambda w: {} for r in ("supervisor", "commissioner")}
    ),
    "supervision:staff_detail": Entry(
        reachable=wf("staff", "a1"), outside=wf("staff", "away"), denied=STAFF_DENIED
    ),
    "supervision:staff_edit": Entry(
        reachable=wf("staff", "a1"), outside=wf("staff", "away"), denied=STAFF_EDIT_DENIED
    ),
    "supervision:leave_add": Entry(
        reachable=wf("staff", "a1"), outside=wf("staff", "away"), denied=STAFF_EDIT_DENIED
    ),
    "supervision:requirement_add": Entry(
        reachable=wf("staff", "a1"), outside=wf("staff", "away"), denied=STAFF_EDIT_DENIED
    ),
    "supervision:session_list": Entry(
        reachable=lambda w: {}, denied={"commissioner": lambda w: {}}
    ),
    "supervision:session_create": Entry(
        reachable=lambda w: {},
        denied={r: lambda w: {} for r in ("admin", "lead", "cvo_a", "cvo_b", "commissioner")},
    ),
    "supervision:session_detail": Entry(
        reachable=wf("sessions", "a"), outside=wf("sessions", "away"), denied=SESSION_DENIED
    ),
    "supervision:action_done": Entry(
        outside=wf("actions", "away"),
        denied={
            "cvo_a": wf("actions", "b"),
            "cvo_b": wf("actions", "a"),
            "supervisor": wf("actions", "b"),
            "commissioner": wf("actions", "a"),
        },
    ),
    "supervision:compliance": Entry(reachable=lambda w: {}),
    "supervision:my_record": Entry(
        reachable=lambda w: {}, denied={r: lambda w: {} for r in ROLES if r != "practitioner"}
    ),
    "supervision:my_supervision": Entry(
        reachable=lambda w: {}, denied={r: lambda w: {} for r in ROLES if r != "practitioner"}
    ),
    "account_reminders": Entry(reachable=lambda w: {}),
    "supervision:compliance_chart": Entry(reachable=lambda w: {}),
    "history": Entry(
        reachable=history("consortium.Organisation", lambda w: w.orgs["cvo_a"]),
        outside=history("consortium.Organisation", lambda w: w.orgs["away_cvo"]),
        denied={
            "cvo_a": history(
                "consortium.RoleAssignment", lambda w: w.users["cvo_b"].role_assignments.get()
            ),
            "supervisor": history(
                "consortium.RoleAssignment", lambda w: w.users["cvo_b"].role_assignments.get()
            ),
            "commissioner": history(
                "consortium.RoleAssignment", lambda w: w.users["cvo_b"].role_assignments.get()
            ),
        },
    ),
}

# --- money (funding, contracts) ---


def obj(key):
    return lambda w: {"pk": w.money[key].pk}


def each(roles, make):
    return {r: make for r in roles}


NOT_MONEY = ("cvo_a", "cvo_b", "supervisor", "commissioner")
NOTHING = lambda w: {}  # noqa: E731

MATRIX.update(
    {
        "funding:stream_list": Entry(
            reachable=NOTHING, denied={r: NOTHING for r in ("supervisor", "cvo_a", "cvo_b")}
        ),
        "funding:stream_create": Entry(reachable=NOTHING, denied=each(NOT_MONEY, NOTHING)),
        "funding:stream_detail": Entry(
            reachable=obj("stream"),
            outside=obj("away_stream"),
            denied={
                **each(("cvo_a", "cvo_b", "supervisor"), obj("stream")),
                "commissioner": obj("stream_other"),
            },
        ),
        "funding:stream_edit": Entry(
            reachable=obj("stream"),
            outside=obj("away_stream"),
            denied=each(NOT_MONEY, obj("stream")),
        ),
        "funding:runway": Entry(
            reachable=NOTHING, denied=each(("cvo_a", "cvo_b", "supervisor"), NOTHING)
        ),
        "funding:runway_chart": Entry(
            reachable=NOTHING, denied=each(("cvo_a", "cvo_b", "supervisor"), NOTHING)
        ),
        "funding:allocation_list": Entry(reachable=NOTHING, denied={r: NOTHING for r in NOT_SETUP}),
        "funding:allocation_create": Entry(reachable=NOTHING, denied=each(NOT_MONEY, NOTHING)),
        "funding:statement": Entry(
            reachable=NOTHING, denied=each(("supervisor", "commissioner"), NOTHING)
        ),
        "funding:allocation_detail": Entry(
            reachable=obj("alloc"),
            outside=obj("away_alloc"),
            denied={
                "cvo_a": obj("alloc_b_only"),
                "cvo_b": obj("draft"),
                "supervisor": obj("alloc"),
                "commissioner": obj("alloc"),
            },
        ),
        "funding:allocation_edit": Entry(
            reachable=obj("draft"), outside=obj("away_draft"), denied=each(NOT_MONEY, obj("draft"))
        ),
        "funding:allocation_approve": Entry(
            reachable=obj("draft"), outside=obj("away_draft"), denied=each(NOT_MONEY, obj("draft"))
        ),
        "funding:allocation_revise": Entry(
            reachable=obj("alloc"), outside=obj("away_alloc"), denied=each(NOT_MONEY, obj("alloc"))
        ),
        "funding:allocation_compare": Entry(
            reachable=lambda w: {"pk": w.money["alloc"].pk, "other": w.money["draft"].pk},
            outside=lambda w: {"pk": w.money["away_alloc"].pk, "other": w.money["away_draft"].pk},
            denied=each(
                NOT_MONEY, lambda w: {"pk": w.money["alloc"].pk, "other": w.money["draft"].pk}
            ),
        ),
        "funding:schedule_generate": Entry(
            reachable=obj("alloc"), outside=obj("away_alloc"), denied=each(NOT_MONEY, obj("alloc"))
        ),
        "funding:payment_list": Entry(
            reachable=NOTHING, denied={r: NOTHING for r in ("supervisor", "commissioner")}
        ),
        "funding:payment_create": Entry(reachable=NOTHING, denied=each(NOT_MONEY, NOTHING)),
        "funding:payment_detail": Entry(
            reachable=obj("pay_b"),
            outside=obj("away_pay"),
            denied=each(("cvo_a", "supervisor", "commissioner"), obj("pay_b")),
        ),
        "funding:payment_edit": Entry(
            reachable=obj("pay_a"), outside=obj("away_pay"), denied=each(NOT_MONEY, obj("pay_b"))
        ),
        **{
            f"funding:payment_{act}": Entry(
                reachable=obj("pay_a"),
                outside=obj("away_pay"),
                denied=each(NOT_MONEY, obj("pay_b")),
            )
            for act in ("approve", "pay", "withhold")
        },
        "contracts:contract_list": Entry(
            reachable=NOTHING, denied={r: NOTHING for r in ("supervisor", "cvo_a", "cvo_b")}
        ),
        "contracts:contract_create": Entry(reachable=NOTHING, denied=each(NOT_MONEY, NOTHING)),
        "contracts:contract_detail": Entry(
            reachable=obj("contract"),
            outside=obj("away_contract"),
            denied={
                **each(("cvo_a", "cvo_b", "supervisor"), obj("contract")),
                "commissioner": obj("contract_b"),
            },
        ),
        "contracts:contract_edit": Entry(
            reachable=obj("contract"),
            outside=obj("away_contract"),
            denied=each(NOT_MONEY, obj("contract")),
        ),
        "contracts:contract_variation": Entry(
            reachable=obj("contract"),
            outside=obj("away_contract"),
            denied=each(NOT_MONEY, obj("contract")),
        ),
        "contracts:subcontract_list": Entry(
            reachable=NOTHING, denied={r: NOTHING for r in ("supervisor", "commissioner")}
        ),
        "contracts:subcontract_create": Entry(reachable=NOTHING, denied=each(NOT_MONEY, NOTHING)),
        "contracts:subcontract_detail": Entry(
            reachable=obj("sub_b"),
            outside=obj("away_sub"),
            denied=each(("cvo_a", "supervisor", "commissioner"), obj("sub_b")),
        ),
        "contracts:subcontract_edit": Entry(
            reachable=obj("sub_b"), outside=obj("away_sub"), denied=each(NOT_MONEY, obj("sub_b"))
        ),
        "contracts:subcontract_variation": Entry(
            reachable=obj("sub_b"), outside=obj("away_sub"), denied=each(NOT_MONEY, obj("sub_b"))
        ),
    }
)

# --- performance returns ---


def ret(key):
    return lambda w: {"pk": w.returns[key].pk}


NOT_LEAD = ("cvo_a", "cvo_b", "supervisor", "commissioner")
NOT_B = ("cvo_a", "supervisor", "commissioner")

MATRIX.update(
    {
        "returns:return_list": Entry(reachable=NOTHING, denied={"supervisor": NOTHING}),
        "returns:return_detail": Entry(
            reachable=ret("approved_b"),
            outside=ret("away_return"),
            denied=each(NOT_B, ret("approved_b")),
        ),
        "returns:return_edit": Entry(
            reachable=ret("submitted_b"),
            outside=ret("away_return"),
            denied=each(NOT_B + ("lead",), ret("submitted_b")),
        ),
        "returns:return_template": Entry(
            reachable=ret("submitted_b"),
            outside=ret("away_return"),
            denied=each(NOT_B, ret("submitted_b")),
        ),
        "returns:return_upload": Entry(
            reachable=ret("submitted_b"),
            outside=ret("away_return"),
            denied=each(NOT_B + ("lead",), ret("submitted_b")),
        ),
        # The buttons on a return's page, each refused (or harmless) when pressed empty.
        "returns:return_submit": Entry(
            reachable=ret("approved_b"),
            outside=ret("away_return"),
            denied=each(NOT_B + ("lead",), ret("submitted_b")),
        ),
        "returns:return_approve": Entry(
            reachable=ret("approved_b"),
            outside=ret("away_return"),
            denied=each(NOT_B, ret("approved_b")),
        ),
        "returns:return_return": Entry(
            reachable=ret("submitted_b"),
            outside=ret("away_return"),
            denied=each(NOT_B, ret("submitted_b")),
        ),
        "returns:return_reopen": Entry(
            reachable=ret("approved_b"),
            outside=ret("away_return"),
            denied=each(NOT_B, ret("approved_b")),
        ),
        "returns:return_lock": Entry(
            reachable=ret("approved_b"),
            outside=ret("away_return"),
            denied=each(NOT_B, ret("approved_b")),
        ),
        "returns:return_start": Entry(
            reachable=lambda w: {"period_pk": w.returns["periods_b"][2].pk},
            outside=lambda w: {"period_pk": w.returns["away_return"].period_id},
            denied=each(NOT_B, lambda w: {"period_pk": w.returns["periods_b"][2].pk}),
        ),
        "returns:indicator_list": Entry(reachable=NOTHING),
        "returns:indicator_create": Entry(reachable=NOTHING, denied=each(NOT_LEAD, NOTHING)),
        "returns:indicator_detail": Entry(
            reachable=lambda w: {"pk": w.returns["ind"]["REF"].pk},
            outside=lambda w: {"pk": w.returns["away_ind"]["REF"].pk},
        ),
        "returns:indicator_edit": Entry(
            reachable=lambda w: {"pk": w.returns["ind"]["REF"].pk},
            outside=lambda w: {"pk": w.returns["away_ind"]["REF"].pk},
            denied=each(NOT_LEAD, lambda w: {"pk": w.returns["ind"]["REF"].pk}),
        ),
        "returns:template_list": Entry(reachable=NOTHING, denied={"supervisor": NOTHING}),
        "returns:template_detail": Entry(
            reachable=ret("template"),
            outside=ret("away_template"),
            denied=each(("cvo_a", "cvo_b", "supervisor"), ret("template")),
        ),
        "returns:template_report": Entry(
            reachable=ret("template"),
            outside=ret("away_template"),
            denied=each(("cvo_a", "cvo_b", "supervisor"), ret("template")),
        ),
        "returns:performance": Entry(reachable=NOTHING, denied={"supervisor": NOTHING}),
        "returns:activity": Entry(reachable=NOTHING, denied=each(NOT_LEAD, NOTHING)),
        "returns:period_setup": Entry(
            reachable=obj("sub_b"), outside=obj("away_sub"), denied=each(NOT_LEAD, obj("sub_b"))
        ),
        "returns:subcontract_performance": Entry(
            reachable=obj("sub_b"), outside=obj("away_sub"), denied=each(NOT_B, obj("sub_b"))
        ),
    }
)

# --- payment by results ---


def pbr(key):
    return lambda w: {"pk": w.pbr[key].pk}


def pbr_line(key):
    return lambda w: {"pk": w.pbr[key].lines.first().pk}


NOT_LEAD_OR_A = ("cvo_b", "commissioner", "supervisor", "lead")

MATRIX.update(
    {
        "outcomes:measure_list": Entry(reachable=NOTHING, denied={"supervisor": NOTHING}),
        "outcomes:measure_create": Entry(reachable=NOTHING, denied=each(NOT_LEAD, NOTHING)),
        "outcomes:measure_detail": Entry(
            reachable=pbr("measure"),
            outside=pbr("away_measure"),
            denied={"supervisor": pbr("measure")},
        ),
        "outcomes:measure_edit": Entry(
            reachable=pbr("measure"),
            outside=pbr("away_measure"),
            denied=each(NOT_LEAD, pbr("measure")),
        ),
        "outcomes:measure_publish": Entry(
            reachable=pbr("measure"),
            outside=pbr("away_measure"),
            denied=each(NOT_LEAD, pbr("measure")),
        ),
        "outcomes:measure_revise": Entry(
            reachable=pbr("measure"),
            outside=pbr("away_measure"),
            denied=each(NOT_LEAD, pbr("measure")),
        ),
        "outcomes:claim_start": Entry(
            reachable=pbr("measure"),
            outside=pbr("away_measure"),
            denied=each(("supervisor", "commissioner"), pbr("measure")),
        ),
        "outcomes:claim_list": Entry(reachable=NOTHING, denied={"supervisor": NOTHING}),
        "outcomes:claim_detail": Entry(
            reachable=pbr("submitted_b"),
            outside=pbr("away_claim"),
            # A commissioner sees claims only from the point they are verified.
            denied=each(NOT_B, pbr("submitted_b")),
        ),
        "outcomes:line_add": Entry(
            reachable=pbr("draft_a"),
            outside=pbr("away_claim"),
            denied=each(NOT_LEAD_OR_A, pbr("draft_a")),
        ),
        "outcomes:claim_template": Entry(
            reachable=pbr("draft_a"),
            outside=pbr("away_claim"),
            denied=each(NOT_LEAD_OR_A, pbr("draft_a")),
        ),
        "outcomes:claim_upload": Entry(
            reachable=pbr("draft_a"),
            outside=pbr("away_claim"),
            denied=each(NOT_LEAD_OR_A, pbr("draft_a")),
        ),
        # The buttons on a claim's page. Pressed empty on an approved claim, each is refused
        # (or asks for a fresh second factor), so the world is the same for the next entry.
        **{
            f"outcomes:claim_{action}": Entry(
                reachable=pbr("approved_a"),
                outside=pbr("away_claim"),
                denied=each(NOT_LEAD_OR_A, pbr("draft_a")),
            )
            for action in ("counts", "submit")
        },
        **{
            f"outcomes:claim_{action}": Entry(
                reachable=pbr("approved_a"),
                outside=pbr("away_claim"),
                denied=each(("cvo_a", "cvo_b", "commissioner", "supervisor"), pbr("submitted_b")),
            )
            for action in ("sample", "verify_all", "verify", "return", "reject")
        },
        "outcomes:claim_approve": Entry(
            reachable=pbr("approved_a"),
            outside=pbr("away_claim"),
            denied={
                **each(("cvo_a", "cvo_b", "supervisor", "lead"), pbr("verified_b")),
                "commissioner": pbr("submitted_b"),
            },
        ),
        "outcomes:claim_pay": Entry(
            reachable=pbr("approved_a"),
            outside=pbr("away_claim"),
            denied=each(("cvo_a", "supervisor", "commissioner"), pbr("approved_a")),
        ),
        "outcomes:line_decide": Entry(
            reachable=pbr_line("submitted_b"),
            outside=pbr_line("away_claim"),
            denied=each(("cvo_a", "cvo_b", "commissioner", "supervisor"), pbr_line("submitted_b")),
        ),
        "outcomes:line_remove": Entry(
            reachable=pbr_line("draft_a"),
            outside=pbr_line("away_claim"),
            denied=each(NOT_LEAD_OR_A, pbr_line("draft_a")),
        ),
        "outcomes:pbr_statement": Entry(reachable=NOTHING, denied={"supervisor": NOTHING}),
        "outcomes:exposure": Entry(reachable=NOTHING, denied={"supervisor": NOTHING}),
        "outcomes:allocation_figures": Entry(reachable=NOTHING, denied=each(NOT_LEAD, NOTHING)),
    }
)

# --- risks and SWOT ---


def rk(key):
    return lambda w: {"pk": w.risks[key].pk}


NOT_RISKS = ("supervisor",)
NOT_KEEPERS_C = ("cvo_a", "cvo_b", "supervisor", "commissioner")  # of the consortium register
NOT_KEEPERS_B = ("lead", "admin", "cvo_a", "supervisor", "commissioner")  # of B's register

MATRIX.update(
    {
        "risks:register_list": Entry(reachable=NOTHING, denied=each(NOT_RISKS, NOTHING)),
        "risks:register_open": Entry(
            reachable=NOTHING, denied=each(("supervisor", "commissioner"), NOTHING)
        ),
        "risks:register_detail": Entry(
            reachable=rk("consortium"),
            outside=rk("away_register"),
            denied={
                **each(("cvo_a", "commissioner", "supervisor"), rk("reg_b")),
                "cvo_b": rk("reg_a"),
            },
        ),
        "risks:risk_create": Entry(
            reachable=lambda w: {"register_pk": w.risks["consortium"].pk},
            outside=lambda w: {"register_pk": w.risks["away_register"].pk},
            denied=each(NOT_KEEPERS_B, lambda w: {"register_pk": w.risks["reg_b"].pk}),
        ),
        "risks:register_adopt_matrix": Entry(
            reachable=rk("reg_b"),
            outside=rk("away_register"),
            denied=each(NOT_KEEPERS_B, rk("reg_b")),
        ),
        "risks:risk_list": Entry(reachable=NOTHING, denied=each(NOT_RISKS, NOTHING)),
        "risks:heatmap": Entry(reachable=NOTHING, denied=each(NOT_RISKS, NOTHING)),
        "risks:heatmap_chart": Entry(reachable=NOTHING, denied=each(NOT_RISKS, NOTHING)),
        "risks:risk_detail": Entry(
            reachable=rk("risk_c"),
            outside=rk("away_risk"),
            denied={
                **each(("cvo_a", "commissioner", "supervisor"), rk("risk_b")),
                "cvo_b": rk("risk_a"),
            },
        ),
        **{
            name: Entry(
                reachable=rk("risk_b"),
                outside=rk("away_risk"),
                denied=each(NOT_KEEPERS_B, rk("risk_b")),
            )
            for name in (
                "risks:risk_edit",
                "risks:risk_review",
                "risks:risk_close",
                "risks:control_add",
                "risks:action_add",
                "risks:risk_accept",
                "risks:risk_escalate",
            )
        },
        "risks:risk_deescalate": Entry(
            reachable=rk("risk_c"),
            outside=rk("away_risk"),
            denied=each(NOT_KEEPERS_C, rk("risk_c")),
        ),
        "risks:action_done": Entry(
            reachable=rk("action_b"),
            outside=rk("away_action"),
            denied=each(NOT_KEEPERS_B, rk("action_b")),
        ),
        "risks:escalation_decide": Entry(
            reachable=rk("escalation"),
            denied=each(NOT_KEEPERS_C, rk("escalation")),
        ),
        "risks:suggestions": Entry(
            reachable=NOTHING, denied=each(("supervisor", "commissioner"), NOTHING)
        ),
        "risks:suggestion_dismiss": Entry(
            url="/risks/suggested/dismiss/?key=no-such-suggestion",
            reachable=NOTHING,
            denied=each(("supervisor", "commissioner"), NOTHING),
        ),
        "risks:swot_list": Entry(reachable=NOTHING, denied=each(NOT_RISKS, NOTHING)),
        "risks:swot_action_add": Entry(
            reachable=lambda w: {"pk": w.risks["opportunity_b"].pk},
            outside=lambda w: {"pk": w.risks["away_swot"].items.get().pk},
            denied=each(
                ("cvo_a", "supervisor", "commissioner"),
                lambda w: {"pk": w.risks["opportunity_b"].pk},
            ),
        ),
        "risks:risk_settings": Entry(reachable=NOTHING, denied=each(NOT_KEEPERS_C, NOTHING)),
        "risks:swot_create": Entry(
            reachable=NOTHING, denied=each(("supervisor", "commissioner"), NOTHING)
        ),
        "risks:swot_detail": Entry(
            reachable=rk("swot"),
            outside=rk("away_swot"),
            denied={
                **each(("cvo_a", "commissioner", "supervisor"), rk("swot_b")),
                "cvo_b": rk("swot_draft"),
            },
        ),
        **{
            name: Entry(
                reachable=rk("swot_b"),
                outside=rk("away_swot"),
                denied=each(("cvo_a", "supervisor", "commissioner"), rk("swot_b")),
            )
            for name in ("risks:swot_item_add", "risks:swot_agree", "risks:swot_new_round")
        },
        "risks:swot_compare": Entry(
            reachable=lambda w: {"pk": w.risks["swot"].pk, "other": w.risks["swot_draft"].pk},
            outside=lambda w: {"pk": w.risks["away_swot"].pk, "other": w.risks["away_swot"].pk},
            denied=each(
                ("cvo_a", "supervisor", "commissioner"),
                lambda w: {"pk": w.risks["swot_b"].pk, "other": w.risks["swot_b"].pk},
            ),
        ),
        "risks:swot_item_override": Entry(
            reachable=lambda w: {"pk": w.risks["swot_draft"].items.get().pk},
            outside=lambda w: {"pk": w.risks["away_swot"].items.get().pk},
            denied=each(NOT_KEEPERS_C, lambda w: {"pk": w.risks["swot_draft"].items.get().pk}),
        ),
    }
)

# --- assurance packs ---


def pack(key):
    return lambda w: {"pk": w.packs[key].pk}


NOT_COMMISSIONER = ("admin", "lead", "cvo_a", "cvo_b", "supervisor")
# Whom each role must not reach at home: drafts are the lead's; contract B's pack is not the
# commissioner's nor CVO A's; contract A's is not CVO B's.
PACK_DENIED = {
    "cvo_a": pack("signed_b"),
    "cvo_b": pack("signed_a"),
    "supervisor": pack("signed_a"),
    "commissioner": pack("draft_a"),
}

MATRIX.update(
    {
        "assurance:pack_list": Entry(reachable=NOTHING, denied={"supervisor": NOTHING}),
        "assurance:pack_prepare": Entry(reachable=NOTHING, denied=each(NOT_LEAD, NOTHING)),
        **{
            name: Entry(reachable=pack("signed_a"), outside=pack("away"), denied=PACK_DENIED)
            for name in ("assurance:pack_detail", "assurance:pack_xlsx", "assurance:pack_pdf")
        },
        **{
            name: Entry(
                reachable=pack("draft_a"),
                outside=pack("away"),
                denied=each(NOT_LEAD, pack("draft_a")),
            )
            for name in (
                "assurance:pack_edit",
                "assurance:action_add",
                "assurance:pack_refresh",
                "assurance:pack_sign_off",
            )
        },
        # A sign-off's progress: its pack's page's readers (a pack being signed off is the
        # lead's and the administrator's only); trying again is the lead's.
        "assurance:pack_signing": Entry(
            reachable=pack("signed_a"), outside=pack("away"), denied=PACK_DENIED
        ),
        "assurance:pack_sign_off_retry": Entry(
            outside=pack("away"), denied=each(NOT_LEAD, pack("draft_a"))
        ),
        "assurance:pack_revise": Entry(
            reachable=pack("signed_a"),
            outside=pack("away"),
            denied=each(NOT_LEAD, pack("signed_a")),
        ),
        "assurance:action_edit": Entry(
            reachable=lambda w: {"pk": w.packs["draft_a"].pk, "action_pk": w.packs["action"].pk},
            outside=lambda w: {"pk": w.packs["away"].pk, "action_pk": w.packs["action"].pk},
            denied=each(
                NOT_LEAD,
                lambda w: {"pk": w.packs["draft_a"].pk, "action_pk": w.packs["action"].pk},
            ),
        ),
        **{
            name: Entry(
                reachable=pack("signed_a"),
                outside=pack("away"),
                denied={
                    **each(NOT_COMMISSIONER, pack("signed_a")),
                    "commissioner": pack("signed_b"),
                },
            )
            for name in ("assurance:pack_acknowledge", "assurance:query_raise")
        },
        "assurance:query_answer": Entry(
            reachable=pack("query"),
            denied=each(NOT_LEAD, pack("query")),
        ),
    }
)

# Admin pages: for each registered model, an object of it in the other consortium.
OUTSIDE = {
    "consortium.Consortium": lambda w: w.away,
    "consortium.Organisation": lambda w: w.orgs["away_cvo"],
    "consortium.Membership": lambda w: w.orgs["away_cvo"].memberships.get(),
    "consortium.Site": lambda w: w.sites["away"],
    "consortium.RoleAssignment": lambda w: w.users["outsider"].role_assignments.get(),
    "consortium.Event": lambda w: w.extra["away_event"],
    "auth.User": lambda w: w.users["outsider"],
    "django_otp_webauthn.WebAuthnCredential": lambda w: passkey_of(w.users["outsider"]),
    "funding.FundingStream": lambda w: w.money["away_stream"],
    "funding.Payment": lambda w: w.money["away_pay"],
    "contracts.Indicator": lambda w: w.returns["away_ind"]["REF"],
    "contracts.PerformanceReturn": lambda w: w.returns["away_return"],
    "contracts.ReturnValue": lambda w: w.returns["away_return"].values.first(),
    "contracts.CommissionerTemplate": lambda w: w.returns["away_template"],
    "contracts.OutcomeMeasure": lambda w: w.pbr["away_measure"],
    "contracts.PbRClaim": lambda w: w.pbr["away_claim"],
    "contracts.ClaimLine": lambda w: w.pbr["away_claim"].lines.first(),
    "contracts.AssurancePack": lambda w: w.packs["away"],
    "supervision.Post": lambda w: w.extra["posts"]["away"],
    "supervision.StaffMember": lambda w: w.extra["staff"]["away"],
    "supervision.LeavePeriod": lambda w: w.extra["away_leave"],
    "supervision.SupervisionRequirement": lambda w: w.extra["away_requirement"],
    "supervision.SupervisionSession": lambda w: w.extra["sessions"]["away"],
    "supervision.SessionAction": lambda w: w.extra["actions"]["away"],
    "risks.RiskRegister": lambda w: w.risks["away_register"],
    "risks.Risk": lambda w: w.risks["away_risk"],
    "risks.SwotAnalysis": lambda w: w.risks["away_swot"],
}
ADMIN_VIEWS_WITH_OBJECT = ("change", "delete", "history")


def walk(resolver=None, prefix="", namespace=""):
    """(name, pattern string) for every URL pattern in the project."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield (f"{namespace}{p.name}" if p.name else None), prefix + str(p.pattern)


def admin_entry(name):
    """Admin URL names look like admin:<app>_<model>_<view>."""
    for model in admin.site._registry:
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(base):
            view = name[len(base) :]
            label = model._meta.label
            if label not in OUTSIDE:
                return None
            if view in ADMIN_VIEWS_WITH_OBJECT:
                return Entry(outside=lambda w, label=label: {"object_id": OUTSIDE[label](w).pk})
            if view == "password_change":
                return Entry(outside=lambda w, label=label: {"id": OUTSIDE[label](w).pk})
            return Entry(reachable=lambda w: {})
    if name in (
        "admin:index",
        "admin:login",
        "admin:logout",
        "admin:password_change",
        "admin:password_change_done",
        "admin:jsi18n",
        "admin:autocomplete",
    ):
        public = name in ("admin:login", "admin:jsi18n", "admin:logout")
        return Entry(reachable=lambda w: {}, public=public)
    if name == "admin:app_list":
        return Entry(reachable=lambda w: {"app_label": "consortium"})
    if name == "admin:view_on_site":
        return MATRIX["admin_view_on_site"]
    return None


def admin_redirect_entry(pattern):
    """The admin's bare object URLs redirect to the change page: request them with an
    out-of-scope object and check nothing leaks."""
    for model in admin.site._registry:
        opts = model._meta
        if pattern == f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/":
            label = opts.label
            if label not in OUTSIDE:
                return None
            return Entry(
                url=lambda w, p=pattern, label=label: (
                    "/" + p.replace("<path:object_id>", str(OUTSIDE[label](w).pk))
                ),
                reachable=lambda w: {},
            )
    return None


def all_entries():
    entries = {}
    for name, pattern in walk():
        if pattern.startswith("api/v1/"):
            continue  # the API's own matrix: tests/test_api_access.py
        if name is None:
            entries[pattern] = MATRIX.get(pattern) or admin_redirect_entry(pattern)
            continue
        entries[name] = MATRIX.get(name) or (
            admin_entry(name) if name.startswith("admin:") else None
        )
    return entries


def test_every_url_pattern_has_a_matrix_entry():
    missing = sorted(name for name, entry in all_entries().items() if entry is None)
    assert not missing, f"URL patterns missing from the access matrix: {missing}"


def reverse_entry(name, kwargs):
    from django.urls import reverse

    return reverse(name, kwargs=kwargs)


def body_text(response):
    if response.get("Content-Type", "").startswith("text/html"):
        return response.content.decode()
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode(errors="ignore")
    return response.content.decode(errors="ignore")


def leaks(role, url, response):
    text = body_text(response)
    return [f"{role} saw {sentinel} at {url}" for sentinel in FORBIDDEN[role] if sentinel in text]


def form_problems(method, url, response):
    """GOV.UK forms: every error-summary link targets a field on the page, the title starts
    with "Error: " when there is a summary, and the server (not the browser) checks input."""
    import re

    if not response.get("Content-Type", "").startswith("text/html") or response.status_code >= 300:
        return []
    text = response.content.decode()
    problems = []
    for form in re.findall(r"<form\b[^>]*>", text):
        if 'method="post"' in form and "novalidate" not in form and "/admin/" not in url:
            problems.append(f"{method} {url}: a form without novalidate: {form}")
    summary = re.search(r'class="govuk-error-summary".*?</ul>', text, re.S)
    if summary:
        title = re.search(r"<title>(.*?)</title>", text, re.S).group(1).strip()
        if not title.startswith("Error: "):
            problems.append(f"{method} {url}: error summary but the title is {title!r}")
        for target in re.findall(r'href="#([^"]+)"', summary.group(0)):
            if f'id="{target}"' not in text:
                problems.append(f"{method} {url}: error summary links to missing #{target}")
    return problems


def practitioner_denied(name, entry):
    """A practitioner is refused every page they do not open, with the objects other roles
    reach."""
    if entry.public or name in PRACTITIONER_OPENS or name.startswith("admin"):
        return None
    return entry.denied.get("practitioner") or entry.reachable


def _request(client, method, url):
    if method == "post":
        return client.post(url, {})
    return client.get(url)


def away_event_and_passkey(world):
    """An event in the other consortium, and a passkey of the outsider's."""
    from consortium.models import Event

    world.extra = {
        "away_event": Event.objects.create(
            consortium=world.away,
            verb=f"Something {AWAY}",
            object_model="x",
            object_id="1",
            object_repr=AWAY,
        )
    }
    passkey_of(world.users["outsider"])


def answered_query(world):
    """A second query on contract A's signed-off pack, naming CVO B, answered by the lead."""
    from contracts.services import assurance as pack_svc

    pack, u = world.packs["signed_a"], world.users
    query = pack_svc.query_raise(
        pack=pack, by=u["commissioner"], question=f"Why is CVO B behind? {QUERY}"
    )
    pack_svc.query_answer(query=query, by=u["lead"], answer=f"CVO B lost a post. {QUERY}")


# Private data of CVO B carries its own sentinel in a field only CVO B and the lead see;
# supervision notes carry theirs (sample.supervision); CVO B's returns carry PRIVATE_B
# in their narrative and notes.
matrix_world = shared_world(
    "matrix_world",
    away_event_and_passkey,
    prepared_downloads,
    api_keys,
    *EVERY_DOMAIN,
    answered_query,
    doc="Every domain built, with the other consortium's event and passkey, API keys, and a "
    "query on a pack that members must not read.",
)


class SignedIn:
    """The session that signing `user` in (second factor included) gives, handed to the client
    afresh before each request, as if they had just signed in again: whatever one request does
    to its session (signing out, a flash message, a half-finished form) never reaches the
    next. Signing in for real before each of some 900 requests was half the matrix's time."""

    def __init__(self, client, user):
        client.logout()
        client.force_login(user)
        self.client = client
        self.data = dict(client.session.items())

    def again(self):
        from importlib import import_module

        from django.conf import settings

        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session.update(self.data)
        session.create()
        self.client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES + ["anonymous"])
def test_access_matrix(client, matrix_world, role):
    """Some 900 requests (every URL, twice, for objects in and out of reach) as one role: the
    suite's longest test, split by role so that workers share it."""
    w = matrix_world
    failures = []
    signed_in = None if role == "anonymous" else SignedIn(client, w.users[role])
    for name, entry in sorted(all_entries().items()):
        assert entry is not None, f"{name} has no matrix entry"
        denied = (
            practitioner_denied(name, entry) if role == "practitioner" else entry.denied.get(role)
        )
        reachable = entry.reachable
        if role == "practitioner" and denied is entry.reachable:
            reachable = None
        for kind, make in [("reachable", reachable), ("outside", entry.outside)] + [
            ("denied", denied)
        ]:
            if make is None:
                continue
            url = entry.url(w) if callable(entry.url) else entry.url
            url = url or reverse_entry(name, make(w))
            for method in ("get", "post"):
                if signed_in:
                    signed_in.again()
                else:
                    client.logout()
                response = _request(client, method, url)
                status = response.status_code
                if role == "anonymous":
                    if entry.public:
                        if kind != "reachable" and status != 404:
                            failures.append(f"{method} {url}: anonymous got {status} for {kind}")
                    elif status not in (302, 404, 405) or (
                        status == 302 and "login" not in response["Location"]
                    ):
                        failures.append(f"{method} {url}: anonymous got {status}, not sign-in")
                    failures.extend(leaks(role, url, response))
                    continue
                if kind in ("outside", "denied"):
                    is_admin_denial = (
                        name.startswith("admin:")
                        and status == 302
                        and ("login" in response["Location"])
                    )
                    if status not in (404, 405) and not is_admin_denial:
                        failures.append(f"{method} {url}: {role} got {status} for {kind} object")
                if status == 500:
                    failures.append(f"{method} {url}: {role} got a server error")
                failures.extend(leaks(role, url, response))
                failures.extend(form_problems(method, url, response))
    assert not failures, "\n".join(failures)
