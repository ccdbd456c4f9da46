"""Reads over assurance packs for dashboards and reminders: every one scoped by the access
policy."""

from django.db.models import Exists, OuterRef, Q

from consortium import assurance
from consortium.access import actor
from consortium.models import Role
from contracts.access.assurance import can_read_pack_queries
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
    """Packs still in the lead's hands: drafts, and packs being signed off (their figures not
    yet frozen)."""
    return (
        AssurancePack.objects.visible_to(user)
        .filter(state__in=(S.DRAFT, S.SIGNING))
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


def pack_queries(user, pack):
    """The queries on `pack` that `user` reads, oldest first, or None for a reader who does not
    read the commissioner's queries at all (a member): the page, the PDF and the XLSX all say
    nothing of queries to them."""

    if not can_read_pack_queries(user, pack):
        return None
    return list(
        PackQuery.objects.visible_to(user)
        .filter(pack=pack)
        .select_related("raised_by", "answered_by")
        .order_by("raised_at", "pk")
    )


RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green"}


def pack_summary(snapshot, *, missing=None, queries=()):
    """Page 1 of a pack as a board paper, from what the reader may see of it: a line and a
    RAG per section (the section's own headline and rating, when it gives one), what was
    missing at sign-off, queries still open and actions carried from the last pack. The
    screen, the PDF and the XLSX cover all read it from here."""

    sections = []
    for s in snapshot.get("sections", []):
        lines = s.get("summary") or []
        if lines:
            text = " ".join(lines[:2])
        elif assurance.is_empty(s):
            text = s.get("empty", "")
        else:
            text = "See the section."
        rag = s.get("rag") or {}
        status = rag.get("status") if isinstance(rag, dict) else rag
        sections.append(
            {
                "key": s["key"],
                "title": s["title"],
                "rag": status if status in RAG_WORDS else "",
                "rag_label": RAG_WORDS.get(status, "Not rated"),
                "text": text,
            }
        )
    actions = snapshot.get("actions", [])
    return {
        "sections": sections,
        "missing": missing,
        # None: the reader does not see the commissioner's queries (members), so no line.
        "queries_shown": queries is not None,
        "open_queries": [q for q in queries or () if q.is_open],
        "answered_queries": sum(1 for q in queries or () if not q.is_open),
        "carried": [a for a in actions if a.get("carried")],
        "new_actions": sum(1 for a in actions if not a.get("carried")),
    }


def other_versions(user, pack):
    """The other versions of the pack (same contract and period) that `user` may see, oldest
    first."""
    return list(
        AssurancePack.objects.visible_to(user)
        .filter(
            contract_id=pack.contract_id,
            period_start=pack.period_start,
            period_end=pack.period_end,
        )
        .exclude(pk=pack.pk)
        .order_by("revision")
    )
