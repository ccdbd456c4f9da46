"""Risks Concord can see coming: the registry of suggestion sources.

Each app registers its own sources in its own `suggestions.py` (discovered once at start-up
by ConsortiumConfig.ready) with `@suggestion_source`. A source is
fn(*, user, organisation, today, limits) -> list[Suggestion]: it reads only what `user` may see
(through `visible_to`) and, given an organisation, only what concerns that member. Nothing is
added to a register by itself: people open a suggestion as a risk or dismiss it.

A suggestion's `key` names the condition (stable while the condition lasts); its
`fingerprint` is a digest of its evidence, so a dismissed suggestion comes back when the
evidence changes. The part of the key before the colon is its kind ("supervision.single_post");
a source names its kinds with `suggestion_kind`, saying how a line of many of them reads, and
`grouped` puts the suggestions of one kind on one line, the list behind it. A risk opened from
a kind's line (its key is the kind) covers every suggestion of that kind.
"""

import hashlib
from dataclasses import dataclass, field

SOURCES = []


@dataclass(frozen=True)
class Suggestion:
    key: str
    title: str
    evidence: str
    category: str  # a default risk category name
    likelihood: int = 3
    consequence: int = 3
    link: str = ""  # where the evidence can be seen
    organisation_id: int | None = None  # the member it concerns, if any
    concerns: tuple = field(default_factory=tuple)  # (model label, pk) of what it concerns

    @property
    def fingerprint(self):
        return hashlib.sha256(f"{self.key}|{self.evidence}".encode()).hexdigest()

    @property
    def kind(self):
        return self.key.partition(":")[0]


@dataclass(frozen=True)
class Limits:
    """What counts as a warning sign, kind by kind (a consortium's risk settings, whose fields
    carry the same names)."""

    horizon_days: int = 90  # funding ending within this many days
    vacancy_days: int = 60  # a post vacant longer than this
    compliance_threshold: int = 80  # supervision held below this percentage
    single_post_sites: int = 1  # a member with at least this many single-post sites; 0: never
    secured_months: int = 12  # a member with less than this many months' funding secured
    payment_overdue_days: int = 0  # payments overdue by more than this many days
    late_returns_running: int = 2  # returns late this many periods running
    red_percent: int = 80  # an indicator below this percentage of its target


@dataclass(frozen=True)
class Kind:
    key: str
    many: str  # how a line of n of them reads: "{n} sites are covered by a single post"


KINDS = {}


def suggestion_kind(key, *, many):
    KINDS[key] = Kind(key=key, many=many)
    return KINDS[key]


@dataclass
class Group:
    """The suggestions of one kind, as one line. `covered_by`: the open risks that already
    cover the kind (opened from its line); `covered`: the suggestions an open risk covers."""

    kind: str
    suggestions: list
    covered_by: list = field(default_factory=list)
    covered: set = field(default_factory=set)

    @property
    def title(self):
        if len(self.suggestions) == 1:
            return self.suggestions[0].title
        kind = KINDS.get(self.kind)
        n = len(self.suggestions)
        return kind.many.format(n=f"{n:,}") if kind else f"{n:,} suggestions"

    @property
    def new(self):
        """The suggestions no open risk covers."""
        if self.covered_by:
            return []
        return [s for s in self.suggestions if s.key not in self.covered]

    @property
    def is_covered(self):
        return not self.new

    @property
    def first(self):
        return self.suggestions[0]

    def as_suggestion(self):
        """The whole line as one suggestion, to open one risk for all of them."""
        first = self.first
        if len(self.suggestions) == 1:
            return first
        evidence = " ".join(s.evidence for s in self.suggestions)
        return Suggestion(
            key=self.kind,
            title=self.title,
            evidence=evidence,
            category=first.category,
            likelihood=max(s.likelihood for s in self.suggestions),
            consequence=max(s.consequence for s in self.suggestions),
            link="",
            concerns=tuple(c for s in self.suggestions for c in s.concerns),
        )


def grouped(found, *, covered_kinds=None, covered_keys=()):
    """`found` as one Group per kind, in the order of their first suggestion. `covered_kinds`:
    {kind: [risks]} opened from a kind's line; `covered_keys`: keys an open risk came from."""
    covered_kinds = covered_kinds or {}
    groups = {}
    for s in found:
        group = groups.setdefault(s.kind, Group(kind=s.kind, suggestions=[]))
        group.suggestions.append(s)
        if s.key in covered_keys:
            group.covered.add(s.key)
    for group in groups.values():
        group.covered_by = list(covered_kinds.get(group.kind, []))
    # New lines first, then the covered ones, each in the order they were found.
    return sorted(groups.values(), key=lambda g: g.is_covered)


def suggestion_source(fn):
    if fn not in SOURCES:
        SOURCES.append(fn)
    return fn


def suggestions_for(user, *, organisation=None, today, limits=None):
    """Every source's suggestions for `user` (about `organisation`, if given)."""
    limits = limits or Limits()
    found = []
    for source in SOURCES:
        found.extend(source(user=user, organisation=organisation, today=today, limits=limits))
    return sorted(found, key=lambda s: (s.category, s.title))
