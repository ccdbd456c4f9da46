"""Reads over assurance packs for dashboards and reminders: every one scoped by the access
policy."""

from django.db.models import Exists, OuterRef, Q

from consortium.access import actor
from consortium.models import Role
from contracts.models import AssurancePack, PackQuery

S = AssurancePack.State


def packs_awaiting_acknowledgement(user):
    """Signed-off packs waiting for `user`'s acknowledgement (as a commissioner of their
    contract): a visible_to-scoped queryset."""
    return (
        AssurancePack.objects.visible_to(user)
        .filter(state=S.SIGNED_OFF, contract__commissioner__in=actor(user).orgs(Role.COMMISSIONER))
        .select_related("contract")
        .order_by("period_end", "contract__reference")
    )


def latest_packs(user, *, with_waiting=False):
    """The latest published pack of each contract `user` may see (and, `with_waiting`, every
    pack waiting for their acknowledgement): one query."""
    published = AssurancePack.objects.visible_to(user).filter(
        state__in=(S.SIGNED_OFF, S.ACKNOWLEDGED)
    )
    newer = published.filter(contract=OuterRef("contract")).filter(
        period_end__gt=OuterRef("period_end")
    )
    wanted = Q(has_newer=False)
    if with_waiting:
        wanted |= Q(
            state=S.SIGNED_OFF, contract__commissioner__in=actor(user).orgs(Role.COMMISSIONER)
        )
    return (
        published.annotate(has_newer=Exists(newer))
        .filter(wanted)
        .select_related("contract")
        .order_by("contract__reference", "-period_end")
    )


def drafts(user):
    return (
        AssurancePack.objects.visible_to(user)
        .filter(state=S.DRAFT)
        .select_related("contract")
        .order_by("period_end", "contract__reference")
    )


def queries_to_answer(user):
    return (
        PackQuery.objects.visible_to(user)
        .filter(answered_at__isnull=True)
        .select_related("pack__contract")
        .order_by("raised_at")
    )
