"""API keys (consortium.tokens): made after a fresh second factor and shown once, kept only as a
keyed hash, named, scoped and expiring within a year; revoked by their owner or an
administrator; refused at once when revoked, expired, or when their person leaves or loses
their roles; each act in the security log; rate limited per key."""

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from consortium import services, tokens
from consortium.models import ApiToken, SecurityEvent
from sample import UserFactory

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind
NOW = datetime.datetime(2026, 7, 15, 12, 0, 20, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 7, 15)
KEY = re.compile(r"concord_[A-Za-z0-9_-]{43}")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make(user, name="Case system", scopes=("read",), **kwargs):
    return tokens.token_create(by=user, name=name, scopes=list(scopes), **kwargs)


def api_request(rf, ip="203.0.113.9"):
    return rf.get("/api/v1/contracts/", REMOTE_ADDR=ip)


def last(kind, **filters):
    return SecurityEvent.objects.filter(kind=kind, **filters).order_by("-id").first()


def form(name="Case system at CVO Alpha", scopes=("read", "returns"), day=TODAY):
    day = day + datetime.timedelta(days=30)
    return {
        "name": name,
        "scopes": list(scopes),
        "expires_on_day": day.day,
        "expires_on_month": day.month,
        "expires_on_year": day.year,
    }


# --- making a key ------------------------------------------------------------------------------


def test_making_a_key_needs_a_fresh_second_factor(client, world, cvo_a, _now):
    client.force_login(cvo_a)
    _now.shift(datetime.timedelta(minutes=20))
    url = reverse("api_key_create")
    for answer in (client.get(url), client.post(url, form())):
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("two_factor_verify"))
        assert "fresh=1" in answer["Location"]
    assert not ApiToken.objects.filter(user=cvo_a).exists()


def test_the_form_offers_90_days_ahead(client, world, cvo_a):
    client.force_login(cvo_a)
    page = client.get(reverse("api_key_create")).content.decode()
    assert 'value="13"' in page and 'value="10"' in page and 'value="2026"' in page
    assert "Fill in and submit performance returns" in page


def test_the_key_is_shown_once_and_only_its_keyed_hash_is_kept(client, world, cvo_a, rf):
    client.force_login(cvo_a)
    answer = client.post(reverse("api_key_create"), form())
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    page = answer.content.decode()
    assert "Copy it now: Concord does not keep it and cannot show it again" in page
    raw = KEY.search(page).group(0)

    token = ApiToken.objects.get(user=cvo_a)
    assert token.consortium == world.home
    assert token.name == "Case system at CVO Alpha"
    assert token.scopes == ["read", "returns"]
    assert token.prefix == raw[:12]
    assert token.digest != raw and raw not in token.digest
    assert token.digest == tokens.digest_of(raw)
    assert token.expires_at.date() == TODAY + datetime.timedelta(days=30)
    # Neither the session nor a message carries it to the next page.
    assert raw not in str(dict(client.session.items()))
    listing = client.get(reverse("api_keys")).content.decode()
    assert raw not in listing
    assert token.prefix in listing and "Case system at CVO Alpha" in listing
    assert "Active" in listing

    made = last(Kind.TOKEN_CREATED)
    assert made.user == cvo_a and made.consortium == world.home
    assert token.prefix in made.detail and "read, returns" in made.detail
    assert raw not in made.detail
    assert tokens.authenticate(raw, api_request(rf)) == token


def test_a_refused_form_says_why_and_makes_nothing(client, world, cvo_a):
    client.force_login(cvo_a)
    answer = client.post(reverse("api_key_create"), form(name="", scopes=()))
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "Enter a name for the key" in page and "Select what the key may do" in page
    assert not ApiToken.objects.filter(user=cvo_a).exists()


def test_a_key_expires_after_90_days_unless_told_otherwise(world, cvo_a):
    token, raw = make(cvo_a)
    assert raw.startswith("concord_") and len(raw) == len("concord_") + 43
    assert token.expires_at.date() == TODAY + datetime.timedelta(days=90)
    assert token.expires_at > datetime.datetime(2026, 10, 13, 22, 59, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"expires_on": TODAY - datetime.timedelta(days=1)}, "expires_on"),
        ({"expires_on": TODAY + datetime.timedelta(days=366)}, "expires_on"),
        ({"scopes": ()}, "scopes"),
        ({"scopes": ("read", "delete_everything")}, "scopes"),
        ({"name": "   "}, "name"),
    ],
)
def test_a_key_is_refused_with_a_reason_by_field(world, cvo_a, kwargs, field):
    with pytest.raises(ValidationError) as refused:
        make(cvo_a, **kwargs)
    assert list(refused.value.message_dict) == [field]
    assert not ApiToken.objects.filter(user=cvo_a).exists()


def test_a_key_may_last_a_year_and_expires_at_the_end_of_its_day(world, cvo_a):
    token, _ = make(cvo_a, expires_on=TODAY + datetime.timedelta(days=365))
    assert token.expires_at.date() == datetime.date(2027, 7, 15)
    today, _ = make(cvo_a, expires_on=TODAY)
    assert today.expires_at > NOW


def test_a_person_with_no_role_makes_no_key(world):
    nobody = UserFactory(username="nobody")
    with pytest.raises(ValidationError):
        make(nobody)


# --- revoking ----------------------------------------------------------------------------------


def test_the_owner_revokes_their_key(client, world, cvo_a, rf):
    token, raw = make(cvo_a)
    client.force_login(cvo_a)
    answer = client.post(reverse("api_key_revoke", args=[token.pk]))
    assert answer.status_code == 302 and answer["Location"] == reverse("api_keys")
    token.refresh_from_db()
    assert token.revoked_at == NOW and token.revoked_by == cvo_a
    assert "Revoked" in client.get(reverse("api_keys")).content.decode()
    entry = last(Kind.TOKEN_REVOKED)
    assert entry.user == cvo_a and entry.consortium == world.home
    assert "revoked by its owner" in entry.detail
    assert tokens.authenticate(raw, api_request(rf)) is None


def test_an_administrator_lists_and_revokes_any_key_of_the_consortium(
    client, world, admin_user, cvo_a, cvo_b, outsider
):
    mine, _ = make(cvo_a, name="Alpha's case system")
    theirs, _ = make(cvo_b, name="Beta's case system")
    away, _ = make(outsider, name="Away case system")
    client.force_login(admin_user)
    page = client.get(reverse("consortium:api_keys")).content.decode()
    assert "Alpha&#x27;s case system" in page and "Beta&#x27;s case system" in page
    assert "Away case system" not in page
    assert client.post(reverse("consortium:api_key_revoke", args=[away.pk])).status_code == 404
    answer = client.post(reverse("consortium:api_key_revoke", args=[theirs.pk]))
    assert answer["Location"] == reverse("consortium:api_keys")
    theirs.refresh_from_db()
    assert theirs.revoked_by == admin_user
    entry = last(Kind.TOKEN_REVOKED)
    assert entry.user == cvo_b and entry.consortium == world.home
    assert f"revoked by {admin_user.get_full_name()} (admin)" in entry.detail
    mine.refresh_from_db()
    assert mine.revoked_at is None


def test_revoking_anothers_key_asks_the_administrator_for_a_fresh_code(
    client, world, admin_user, cvo_b, _now
):
    token, _ = make(cvo_b)
    client.force_login(admin_user)
    _now.shift(datetime.timedelta(minutes=20))
    answer = client.post(reverse("consortium:api_key_revoke", args=[token.pk]))
    assert answer["Location"].startswith(reverse("two_factor_verify"))
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("role", ["cvo_a", "lead", "commissioner", "practitioner"])
def test_nobody_else_revokes_a_key_or_sees_it(client, world, cvo_b, role):
    token, _ = make(cvo_b, name="Beta's case system")
    client.force_login(world.users[role])
    assert client.post(reverse("api_key_revoke", args=[token.pk])).status_code == 404
    assert client.post(reverse("consortium:api_key_revoke", args=[token.pk])).status_code == 404
    assert client.get(reverse("consortium:api_keys")).status_code == 404
    assert "Beta" not in client.get(reverse("api_keys")).content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_revoked_key_is_not_revoked_twice(world, cvo_a):
    token, _ = make(cvo_a)
    tokens.token_revoke(by=cvo_a, token=token)
    with pytest.raises(ValidationError):
        tokens.token_revoke(by=cvo_a, token=token)
    assert SecurityEvent.objects.filter(kind=Kind.TOKEN_REVOKED).count() == 1


def test_the_scoped_list_gives_a_person_their_own_keys_and_an_administrator_all(
    world, admin_user, cvo_a, cvo_b, outsider
):
    mine, _ = make(cvo_a)
    theirs, _ = make(cvo_b)
    make(outsider)
    assert list(ApiToken.objects.visible_to(cvo_a)) == [mine]
    assert set(ApiToken.objects.visible_to(admin_user)) == {mine, theirs}


# --- using a key -------------------------------------------------------------------------------


def refused(reason, user=None):
    entry = last(Kind.TOKEN_REFUSED)
    assert entry is not None and reason in entry.detail
    if user is not None:
        assert entry.user == user
    return entry


def test_a_revoked_key_is_refused(world, cvo_a, rf):
    token, raw = make(cvo_a)
    tokens.token_revoke(by=cvo_a, token=token)
    assert tokens.authenticate(raw, api_request(rf)) is None
    entry = refused("revoked", cvo_a)
    assert entry.consortium == world.home and entry.ip_address == "203.0.113.9"


def test_an_expired_key_is_refused(world, cvo_a, rf, _now):
    _, raw = make(cvo_a, expires_on=TODAY)
    assert tokens.authenticate(raw, api_request(rf)) is not None
    _now.shift(datetime.timedelta(days=1))
    assert tokens.authenticate(raw, api_request(rf)) is None
    refused("expired", cvo_a)


def test_the_key_of_a_person_who_left_is_refused_at_once(world, cvo_a, rf):
    _, raw = make(cvo_a)
    assert tokens.authenticate(raw, api_request(rf)) is not None
    cvo_a.is_active = False
    cvo_a.save()
    assert tokens.authenticate(raw, api_request(rf)) is None
    refused("switched off", cvo_a)


def test_the_key_of_a_person_whose_roles_were_removed_is_refused_at_once(
    world, admin_user, cvo_a, rf
):
    _, raw = make(cvo_a)
    assert tokens.authenticate(raw, api_request(rf)) is not None
    services.role_revoke(
        by=admin_user, assignment=cvo_a.role_assignments.get(), reason="Left CVO Alpha"
    )
    assert tokens.authenticate(raw, api_request(rf)) is None
    entry = refused("no role", cvo_a)
    assert entry.consortium == world.home


def test_an_unknown_key_is_refused_and_logged_by_its_first_characters(world, rf):
    assert tokens.authenticate("concord_not-a-key-at-all", api_request(rf)) is None
    entry = refused("concord_not-")
    assert entry.user is None and entry.username == "" and entry.consortium is None
    assert "concord_not-a" not in entry.detail


def test_an_accepted_key_comes_with_its_person(world, cvo_a, rf, django_assert_max_num_queries):
    _, raw = make(cvo_a)
    token = tokens.authenticate(raw, api_request(rf))
    with django_assert_max_num_queries(0):
        assert token.user.username == "cvo_a"


def test_a_new_address_is_logged_once_and_use_is_recorded_at_most_once_a_minute(
    world, cvo_a, rf, _now
):
    token, raw = make(cvo_a)
    tokens.authenticate(raw, api_request(rf, "203.0.113.9"))
    tokens.authenticate(raw, api_request(rf, "203.0.113.9"))
    token.refresh_from_db()
    assert token.addresses == ["203.0.113.9"]
    assert token.last_used_at == NOW and token.last_used_ip == "203.0.113.9"
    news = SecurityEvent.objects.filter(kind=Kind.TOKEN_NEW_ADDRESS)
    assert news.count() == 1 and "203.0.113.9" in news.get().detail
    assert news.get().user == cvo_a and news.get().consortium == world.home

    _now.shift(datetime.timedelta(seconds=30))
    tokens.authenticate(raw, api_request(rf, "203.0.113.9"))
    token.refresh_from_db()
    assert token.last_used_at == NOW  # not written again within the minute

    tokens.authenticate(raw, api_request(rf, "198.51.100.4"))  # a new address is written
    token.refresh_from_db()
    assert token.addresses == ["203.0.113.9", "198.51.100.4"]
    assert token.last_used_ip == "198.51.100.4"
    assert news.count() == 2

    _now.shift(datetime.timedelta(minutes=1))
    tokens.authenticate(raw, api_request(rf, "203.0.113.9"))
    token.refresh_from_db()
    assert token.last_used_at == NOW + datetime.timedelta(seconds=90)
    assert token.last_used_ip == "203.0.113.9"
    assert news.count() == 2
    page_keys = ApiToken.objects.visible_to(cvo_a)
    assert list(page_keys) == [token]


def test_a_key_keeps_its_last_20_addresses(world, cvo_a, rf):
    token, raw = make(cvo_a)
    for i in range(25):
        tokens.authenticate(raw, api_request(rf, f"198.51.100.{i}"))
    token.refresh_from_db()
    assert token.addresses == [f"198.51.100.{i}" for i in range(5, 25)]


def test_a_key_allows_only_its_scopes(world, cvo_a):
    token, _ = make(cvo_a, scopes=("read", "claims"))
    assert tokens.allows(token, ApiToken.Scope.READ)
    assert tokens.allows(token, "claims")
    assert not tokens.allows(token, ApiToken.Scope.RETURNS)
    assert not tokens.allows(token, "sessions")


def test_a_key_is_rate_limited_per_minute(world, cvo_a, cvo_b, settings, _now):
    settings.CONCORD_API_REQUESTS_PER_MINUTE = 3
    token, _ = make(cvo_a)
    other, _ = make(cvo_b)
    assert [tokens.rate_limited(token) for _ in range(3)] == [None, None, None]
    assert tokens.rate_limited(token) == 40  # NOW is 20 seconds into its minute
    assert tokens.rate_limited(other) is None  # each key counts for itself
    _now.shift(datetime.timedelta(seconds=39))
    assert tokens.rate_limited(token) == 1
    _now.shift(datetime.timedelta(seconds=1))
    assert tokens.rate_limited(token) is None


def test_the_limit_is_a_setting_of_120_a_minute_by_default():
    from django.conf import settings

    assert settings.CONCORD_API_REQUESTS_PER_MINUTE == 120


def test_the_account_pages_link_to_api_keys(client, world, cvo_a, admin_user):
    client.force_login(cvo_a)
    assert reverse("api_keys") in client.get(reverse("account_security")).content.decode()
    client.force_login(admin_user)
    people = client.get(reverse("consortium:people")).content.decode()
    assert reverse("consortium:api_keys") in people
    client.force_login(world.users["lead"])
    people = client.get(reverse("consortium:people")).content.decode()
    assert reverse("consortium:api_keys") not in people
