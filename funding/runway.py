"""Funding runway: secured money per month for the next 24 months, by funder.

A stream's amount is spread over the months it covers in proportion to its days in each
month, split exactly to the penny (funding.money.split), so the months of a stream add up to
its amount. A member's runway spreads its lines of each pot's latest approved allocation over
the allocation period in the same way.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.utils import timezone

from consortium import access, charts, dates
from consortium.templatetags.concord import money as money_text
from funding import money
from funding.models import Allocation, AllocationLine, FundingStream
from funding.money import ZERO

HORIZON_MONTHS = 24
SHORT_MONTHS = 12
# Said wherever a runway is drawn for someone who sees only some of the consortium's streams
# (a commissioner sees the streams they fund): its cliff and end are of those streams only.
STREAMS_LIMITED = (
    "Over the funding streams you fund only: the consortium's other funding is not shown "
    "here, so its first fall and the day its secured funding runs out may differ."
)
# Funders beyond the largest few are shown together, so the chart and table stay readable.
NAMED_FUNDERS = 8


# Other apps add sections to the runway page without funding depending on them (the
# workforce adds the posts whose funding ends), with @runway_section in their dashboard.py:
# fn(request, member) -> a dict for templates/funding/partials/_runway_section.html
# ({"title", "headers", "rows", "empty"}; optionally "intro", "link": (text, url), and
# "row_headers"/"numeric" for a table of figures), or None when the section is not for this
# person. A section summarises: a long list belongs on its own paged page, linked from here.
RUNWAY_SECTIONS = []


def runway_section(fn):
    """Register a section of the runway page (in a module discovered at start-up)."""
    if fn not in RUNWAY_SECTIONS:
        RUNWAY_SECTIONS.append(fn)
    return fn


def runway_sections(request, member):
    sections = []
    for section in RUNWAY_SECTIONS:
        found = section(request, member)
        if found:
            sections.append(found)
    return sections


def spread(amount, start, end):
    """{first day of month: Decimal} for `amount` spread by days over [start, end]."""
    shares, m = [], dates.month_start(start)
    while m <= end:
        lo, hi = max(m, start), min(dates.month_end(m), end)
        shares.append(money.Share(m, Decimal((hi - lo).days + 1), m.isoformat(), m.toordinal()))
        m = dates.add_months(m, 1)
    return money.split(amount, shares)


@dataclass
class Cliff:
    month: datetime.date
    before: Decimal
    after: Decimal
    percent: int
    funders: list

    def sentence(self):
        who = f" as {', '.join(self.funders)} money ends or falls" if self.funders else ""
        return (
            f"From {self.month:%B %Y} secured income falls by {self.percent}%, from "
            f"{money_text(self.before)} to {money_text(self.after)} a month{who}."
        )


@dataclass
class Runway:
    months: list
    funders: list = field(default_factory=list)  # [(funder name, [amount per month], total)]
    totals: list = field(default_factory=list)
    runs_out: datetime.date | None = None
    months_secured: int = 0
    title: str = "Secured funding"
    limited: str = ""  # why these figures cover only part of the consortium, when they do

    @property
    def total(self):
        """Secured income over the whole horizon: the funders' totals added up."""
        return sum(self.totals, ZERO)

    @property
    def short(self):
        return self.months_secured < SHORT_MONTHS

    @property
    def first_cliff(self):
        """The first month in which secured income falls by more than
        CONCORD_RUNWAY_CLIFF_PERCENT of the month before — often long before the last money
        ends. None when income never falls that far within the horizon."""
        share = Decimal(settings.CONCORD_RUNWAY_CLIFF_PERCENT) / 100
        for i in range(1, len(self.totals)):
            before, after = self.totals[i - 1], self.totals[i]
            if before > 0 and (before - after) > before * share:
                ending = [f[0] for f in self.funders if f[1][i - 1] > 0 and f[1][i] < f[1][i - 1]]
                return Cliff(
                    month=self.months[i],
                    before=before,
                    after=after,
                    percent=int(((before - after) / before * 100).to_integral_value()),
                    funders=ending,
                )
        return None

    def rows(self):
        """(month, [amount per funder], total) for the table and the XLSX."""
        return [
            (m, [f[1][i] for f in self.funders], self.totals[i]) for i, m in enumerate(self.months)
        ]


def _build(pieces, today, title, limited=""):
    """`pieces`: (funder name, amount, start, end) of secured money."""
    first = dates.month_start(today)
    months = [first]
    while len(months) < HORIZON_MONTHS:
        months.append(dates.add_months(months[-1], 1))
    by_funder = {}
    runs_out = None
    for funder, amount, start, end in pieces:
        if end < today or amount <= 0:
            continue
        runs_out = max(runs_out, end) if runs_out else end
        row = by_funder.setdefault(funder, [ZERO] * HORIZON_MONTHS)
        for m, value in spread(amount, start, end).items():
            if m in months:
                row[months.index(m)] += value
    funders = sorted(
        ((name, row, sum(row, ZERO)) for name, row in by_funder.items()),
        key=lambda f: (-f[2], f[0]),
    )
    if len(funders) > NAMED_FUNDERS:
        rest = funders[NAMED_FUNDERS - 1 :]
        row = [sum((f[1][i] for f in rest), ZERO) for i in range(HORIZON_MONTHS)]
        funders = [
            *funders[: NAMED_FUNDERS - 1],
            (f"{len(rest)} other funders", row, sum(row, ZERO)),
        ]
    totals = [sum((f[1][i] for f in funders), ZERO) for i in range(HORIZON_MONTHS)]
    secured = dates.whole_months_between(today, runs_out) if runs_out else 0
    return Runway(
        months=months,
        funders=funders,
        totals=totals,
        runs_out=runs_out,
        months_secured=secured,
        title=title,
        limited=limited,
    )


def consortium_runway(user, today=None):
    """Secured streams the user may see, by funder. The figures are cached against a summary
    of the streams (count, total, last change), so an unchanged set is not spread again.
    Someone who does not oversee the consortium (a commissioner) sees the runway of the
    streams they may see, titled and labelled as such (`limited`)."""
    today = today or timezone.localdate()
    streams = FundingStream.objects.visible_to(user).filter(
        status=FundingStream.Status.SECURED, end__gte=today
    )
    summary = streams.aggregate(n=Count("id"), total=Sum("amount"), last=Max("updated_at"))
    a = access.actor(user)
    scope = sorted((role, sorted(orgs)) for role, orgs in a.roles.items())
    key = (
        "runway:"
        + hashlib.sha256(
            json.dumps([a.consortium_id, scope, today, summary], default=str).encode()
        ).hexdigest()
    )
    data = cache.get(key)
    if data is None:
        pieces = list(streams.values_list("funder__name", "amount", "start", "end"))
        if a.oversees_consortium:
            data = _build(pieces, today, "Secured funding for the consortium")
        else:
            data = _build(
                pieces, today, "Secured funding from the streams you fund", STREAMS_LIMITED
            )
        cache.set(key, data, 60 * 60)
    return data


def member_runway(user, organisation, today=None):
    """A member's secured money: its lines in the latest approved allocation of each pot of a
    secured stream."""
    today = today or timezone.localdate()
    allocations = (
        Allocation.objects.visible_to(user)
        .filter(
            status=Allocation.Status.APPROVED,
            stream__status=FundingStream.Status.SECURED,
            period_end__gte=today,
        )
        .select_related("stream__funder")
        .order_by("stream_id", "period_start", "period_end", "-revision")
    )
    latest, seen = [], set()
    for a in allocations:
        key = (a.stream_id, a.period_start, a.period_end)
        if key not in seen:
            seen.add(key)
            latest.append(a)
    amounts = {}
    for line in AllocationLine.objects.visible_to(user).filter(
        allocation__in=[a.pk for a in latest], organisation=organisation
    ):
        amounts[line.allocation_id] = amounts.get(line.allocation_id, ZERO) + line.amount
    pieces = [
        (a.stream.funder.name, amounts[a.pk], a.period_start, a.period_end)
        for a in latest
        if a.pk in amounts
    ]
    return _build(pieces, today, f"Secured funding for {organisation.name}")


def secured_until(user, today, organisation=None):
    """{organisation id: (name, last day)}: how long the secured money reaching each member
    runs — its lines in approved allocations of secured streams, and the secured streams that
    pay its posts (the workforce's `posts` link to a stream), whichever runs longer. The one
    reading of "a member's funding ends" for suggestions and pages alike: a member whose posts
    are paid by a grant that runs beyond its allocation is funded until the grant ends."""
    secured = {"status": FundingStream.Status.SECURED, "end__gte": today}
    by_lines = AllocationLine.objects.visible_to(user).filter(
        kind=AllocationLine.Kind.MEMBER,
        allocation__status=Allocation.Status.APPROVED,
        **{f"allocation__stream__{k}": v for k, v in secured.items()},
    )
    by_posts = FundingStream.objects.visible_to(user).filter(**secured)
    if organisation is not None:
        by_lines = by_lines.filter(organisation=organisation)
        by_posts = by_posts.filter(posts__organisation=organisation)
    found = {}
    for rows in (
        by_lines.values_list("organisation", "organisation__name").annotate(
            end=Max("allocation__stream__end")
        ),
        by_posts.exclude(posts__status="frozen")
        .filter(posts__organisation__isnull=False)
        .values_list("posts__organisation", "posts__organisation__name")
        .annotate(end=Max("end")),
    ):
        for org_id, name, end in rows:
            if org_id not in found or end > found[org_id][1]:
                found[org_id] = (name, end)
    return found


def chart_svg(runway):
    """The runway as a stacked bar chart (SVG), cached by a hash of its figures."""
    figures = (runway.title, tuple(runway.months), tuple(map(tuple, runway.funders)))
    return charts.render_svg("funding-runway", figures, _draw).image


COLOURS = ["#1d70b8", "#00703c", "#f47738", "#4c2c92", "#d4351c", "#505a5f", "#28a197"]


def funder_colour(name):
    """A funder keeps its colour in every chart, whatever its rank this time: the colour is
    chosen from its name, not its place in the list."""
    return COLOURS[int(hashlib.sha256(name.encode()).hexdigest(), 16) % len(COLOURS)]


def _draw(figures):
    title, months, funders = figures
    return charts.stacked_bars_svg(
        title,
        [m.strftime("%b %y") for m in months],
        # Drawing only; the figures stay Decimal in the table.
        [(name, funder_colour(name), [float(v) for v in row]) for name, row, _total in funders],
        value_label="£{:,.0f}".format,
        axis_title="£ per month",
    )
