"""Reads for risks: heat maps with movement since the last review, suggested risks not yet
dismissed, SWOT comparisons and the dashboard counts. Everything starts from querysets
scoped by the access policy, so counts and cells cover only what the reader may see."""

from collections import Counter
from dataclasses import dataclass, field, fields

from django.db.models import OuterRef, Prefetch, Subquery
from django.urls import reverse
from django.utils import timezone

from consortium import access, charts
from consortium.models import Organisation
from consortium.suggestions import Limits, grouped, suggestions_for
from risks.models import (
    Escalation,
    Risk,
    RiskLink,
    RiskRegister,
    RiskReview,
    SuggestionDismissal,
    SwotAction,
    SwotItem,
)
from risks.services import current_settings

KINDS = ("inherent", "residual", "target")


def with_previous_score(risks):
    """Annotate each risk with its residual score at the review before its latest one."""
    earlier = RiskReview.objects.filter(risk=OuterRef("pk")).order_by("-reviewed_on", "-id")
    return risks.annotate(
        previous_score=Subquery(earlier.values("residual_score")[1:2]),
        latest_score=Subquery(earlier.values("residual_score")[:1]),
    )


def movement(risk):
    """up / down / same since the previous review; new when there is no earlier review."""
    previous = getattr(risk, "previous_score", None)
    if previous is None:
        return "new"
    if risk.residual_score > previous:
        return "up"
    if risk.residual_score < previous:
        return "down"
    return "same"


@dataclass
class HeatMap:
    kind: str
    matrix: object
    rows: list  # [(likelihood, label, [Cell × 5])], likelihood 5 → 1
    total: int
    consequence_labels: list
    movement: Counter = field(default_factory=Counter)


@dataclass
class Cell:
    likelihood: int
    consequence: int
    count: int
    band: object
    url: str


def heat_map(user, *, register=None, kind="residual"):
    """Counts of open risks per cell of the 5×5 grid, with each cell's band and a link to
    the risks in it. The consortium view (no register) is the consortium register: its own
    risks and those escalated to it."""
    if kind not in KINDS:
        kind = "residual"
    consortium_id = access.actor(user).consortium_id
    risks = Risk.objects.visible_to(user).open()
    if register is None:
        register = RiskRegister.objects.visible_to(user).filter(organisation__isnull=True).first()
    matrix = register.matrix if register else current_settings(consortium_id).matrix
    risks = risks.filter(register=register) if register else risks.none()
    counts = Counter({(lk, c): n for lk, c, n in _cell_counts(risks, kind)})
    base = reverse("risks:risk_list")
    rows = []
    for lk in range(5, 0, -1):
        cells = []
        for c in range(1, 6):
            query = f"?register={register.pk if register else ''}&kind={kind}&likelihood={lk}&consequence={c}&status=open"
            cells.append(
                Cell(
                    likelihood=lk,
                    consequence=c,
                    count=counts.get((lk, c), 0),
                    band=matrix.band(lk * c),
                    url=base + query,
                )
            )
        rows.append((lk, matrix.likelihood_labels[lk - 1], cells))
    moved = Counter(movement(r) for r in with_previous_score(risks).only("pk", "residual_score"))
    return HeatMap(
        kind=kind,
        matrix=matrix,
        rows=rows,
        total=sum(counts.values()),
        consequence_labels=list(enumerate(matrix.consequence_labels, start=1)),
        movement=moved,
    ), register


def _cell_counts(risks, kind):
    from django.db.models import Count

    return (
        risks.values_list(f"{kind}_likelihood", f"{kind}_consequence")
        .annotate(n=Count("pk"))
        .order_by()
    )


def own_organisation(user):
    """The organisation a CVO manager keeps a register for (their first, if several)."""

    orgs = access.actor(user).orgs("cvo_manager")
    return Organisation.objects.filter(pk__in=orgs).order_by("name").first() if orgs else None


def registers_to_open(user):
    """[(organisation id or "", label)] of the registers this person may open and that are
    not open yet: the consortium's for the lead, their own organisation's for a CVO manager."""
    kept = RiskRegister.objects.visible_to(user)
    out = []
    if access.actor(user).oversees_consortium and not kept.filter(organisation=None).exists():
        out.append(("", "Open the consortium register"))
    own = own_organisation(user)
    if own and not kept.filter(organisation=own).exists():
        out.append((own.pk, f"Open {own.name}'s register"))
    return out


def _limits(consortium_id):
    row = current_settings(consortium_id)
    return Limits(**{f.name: getattr(row, f.name) for f in fields(Limits)})


def open_suggestions(user, *, organisation=None, today=None):
    """Suggested risks for `user` (about `organisation`) that nobody dismissed while their
    evidence stayed the same, and that no open risk already came from."""
    return _open_suggestions(user, organisation, today)[0]


def _open_suggestions(user, organisation, today):
    """The open suggestions, and the open risks opened from a suggestion or a kind's line
    (one query for both)."""
    today = today or timezone.localdate()
    consortium_id = access.actor(user).consortium_id
    if consortium_id is None:
        return [], []
    found = suggestions_for(
        user, organisation=organisation, today=today, limits=_limits(consortium_id)
    )
    if not found:
        return [], []
    dismissed = set(
        SuggestionDismissal.objects.filter(
            consortium_id=consortium_id, organisation=organisation
        ).values_list("key", "fingerprint")
    )
    risks = list(
        Risk.objects.visible_to(user)
        .open()
        .filter(register__organisation=organisation)
        .exclude(suggestion_key="")
        .only("pk", "reference", "title", "suggestion_key", "register_id")
    )
    opened = {r.suggestion_key for r in risks}
    kept = [s for s in found if (s.key, s.fingerprint) not in dismissed and s.key not in opened]
    return kept, risks


def suggestion_groups(user, *, organisation=None, today=None):
    """The open suggestions, one line a kind; a kind an open risk was opened for (from its
    line) is covered by that risk. New lines first."""
    found, risks = _open_suggestions(user, organisation, today)
    if not found:
        return []
    covering = {}
    for risk in risks:
        covering.setdefault(risk.suggestion_key, []).append(risk)
    return grouped(found, covered_kinds=covering)


def find_suggestion(user, key, *, organisation=None):
    """The open suggestion with `key`, or a kind's whole line when `key` names a kind."""
    found = open_suggestions(user, organisation=organisation)
    for s in found:
        if s.key == key:
            return s
    of_kind = [s for s in found if s.kind == key]
    if len(of_kind) > 1:
        return grouped(of_kind)[0].as_suggestion()
    return None


@dataclass
class Comparison:
    new: list
    dropped: list
    up: list
    down: list


LEVELS = {"single": 0, "reasonable": 1, "high": 2}


def compare_rounds(older, newer, settings_row):
    """Items new in `newer`, dropped since `older`, and those whose consensus went up or
    down (matched by quadrant and statement)."""

    def index(analysis):
        return {
            (i.quadrant, i.statement.strip().lower()): i
            for i in SwotItem.objects.filter(analysis=analysis).select_related("analysis")
        }

    before, after = index(older), index(newer)
    up, down = [], []
    for key in before.keys() & after.keys():
        was = LEVELS[before[key].consensus(settings_row)]
        now = LEVELS[after[key].consensus(settings_row)]
        if now > was:
            up.append(after[key])
        elif now < was:
            down.append(after[key])
    return Comparison(
        new=[after[k] for k in sorted(after.keys() - before.keys())],
        dropped=[before[k] for k in sorted(before.keys() - after.keys())],
        up=up,
        down=down,
    )


# GOV.UK tag colours (background, text), so the image matches the table's labels.
TAG_COLOURS = {
    "green": ("#cce2d8", "#005a30"),
    "yellow": ("#fff7bf", "#594d00"),
    "orange": ("#fcd6c3", "#6e3619"),
    "red": ("#f4cdc6", "#2a0b06"),
    "purple": ("#dbd5e9", "#3d2375"),
    "pink": ("#efcfe1", "#6b1c40"),
    "blue": ("#bbd4ea", "#0c2d4a"),
    "grey": ("#eeefef", "#383f43"),
    "turquoise": ("#bfe3e0", "#10403c"),
}


def heat_map_svg(heat):
    """The heat map as an SVG (consortium.charts: cached by a hash of its figures); each
    cell carries its count and its band's label, so colour is never the only signal."""

    figures = (
        heat.kind,
        tuple(label for _, label in heat.consequence_labels),
        tuple(
            (lk, label, tuple((c.count, c.band.label, c.band.colour) for c in cells))
            for lk, label, cells in heat.rows
        ),
    )
    return charts.render("risk-heat-map", figures, _draw_heat_map, figsize=(7.5, 5)).image


def _draw_heat_map(fig, figures):
    from matplotlib.patches import Rectangle

    kind, consequences, rows = figures
    ax = fig.add_subplot()
    for r, (_lk, _label, cells) in enumerate(rows):
        y = 4 - r
        for x, (count, band, colour) in enumerate(cells):
            back, text = TAG_COLOURS.get(colour, TAG_COLOURS["grey"])
            ax.add_patch(Rectangle((x, y), 1, 1, facecolor=back, edgecolor="white", linewidth=2))
            ax.text(x + 0.5, y + 0.6, str(count), ha="center", va="center", fontsize=15,
                    color=text, fontweight="bold")  # fmt: skip
            ax.text(x + 0.5, y + 0.25, band, ha="center", va="center", fontsize=8, color=text)
    ax.set_xlim(0, 5)
    ax.set_ylim(0, 5)
    ax.set_xticks([i + 0.5 for i in range(5)], [f"{i + 1} {c}" for i, c in enumerate(consequences)])
    ax.set_yticks([4 - r + 0.5 for r in range(5)], [f"{lk} {label}" for lk, label, _ in rows])
    ax.tick_params(length=0, labelsize=8)
    ax.set_xlabel("Consequence")
    ax.set_ylabel("Likelihood")
    ax.set_title(f"{kind.capitalize()} scores: open risks")
    for side in ax.spines.values():
        side.set_visible(False)
    fig.tight_layout()


def risk_record(user, risk):
    """What a risk's page shows around it, as `user` may see it: what it concerns, its
    controls, actions, acceptances, reviews and escalations (the one waiting for a decision),
    the consortium risk it was escalated to and the members' risks escalated to it, and the
    SWOT item it came from."""
    links = []
    for link in RiskLink.objects.visible_to(user).filter(risk=risk).select_related("content_type"):
        model = link.content_type.model_class()
        target = model.objects.visible_to(user).filter(pk=link.object_id).first()
        if target is not None:
            links.append((model._meta.verbose_name, target))
    escalations = Escalation.objects.visible_to(user).filter(member_risk=risk)
    return {
        "links": links,
        "controls": risk.controls.visible_to(user).select_related("owner"),
        "actions": risk.actions.visible_to(user).select_related("owner"),
        "acceptances": risk.acceptances.visible_to(user).select_related("accepted_by"),
        "reviews": risk.reviews.visible_to(user).select_related("reviewer"),
        "escalations": escalations.select_related("requested_by", "decided_by"),
        "waiting": escalations.filter(status="requested").first(),
        "escalated_to": (
            Risk.objects.visible_to(user).filter(pk=risk.escalated_to_id).first()
            if risk.escalated_to_id
            else None
        ),
        "escalated_from": Risk.objects.visible_to(user).filter(escalated_to=risk),
        "swot_item": (
            SwotItem.objects.visible_to(user).filter(pk=risk.swot_item_id).first()
            if risk.swot_item_id
            else None
        ),
    }


def escalation_proposed(risk):
    """Is an open member's risk, not yet escalated, at or above the consortium's escalation
    threshold (so its page proposes escalating it)?"""
    return (
        not risk.register.is_consortium
        and risk.is_open
        and not risk.escalated_to_id
        and risk.residual_score
        >= current_settings(risk.register.consortium_id).escalation_threshold
    )


def swot_quadrants(user, analysis, settings_row):
    """[(quadrant, label, [(item, its consensus, the risks opened from it)])] of an analysis,
    as `user` may see it, in the quadrants' order."""
    items = list(
        SwotItem.objects.visible_to(user)
        .filter(analysis=analysis)
        .prefetch_related(
            Prefetch(
                "actions",
                queryset=SwotAction.objects.select_related("owner"),
                to_attr="action_list",
            )
        )
    )
    risks_by_item = {}
    for risk in Risk.objects.visible_to(user).filter(swot_item__in=items):
        risks_by_item.setdefault(risk.swot_item_id, []).append(risk)
    return [
        (
            value,
            label,
            [
                (i, i.consensus(settings_row), risks_by_item.get(i.pk, []))
                for i in items
                if i.quadrant == value
            ],
        )
        for value, label in SwotItem.Quadrant.choices
    ]
