"""Risks Concord can see coming: the registry of suggestion sources.

Each app registers its own sources in its own `suggestions.py` (discovered once at start-up
by ConsortiumConfig.ready) with `@suggestion_source`. A source is
fn(*, user, organisation, today, limits) -> list[Suggestion]: it reads only what `user` may see
(through `visible_to`) and, given an organisation, only what concerns that member. Nothing is
added to a register by itself: people open a suggestion as a risk or dismiss it.

A suggestion's `key` names the condition (stable while the condition lasts); its
`fingerprint` is a digest of its evidence, so a dismissed suggestion comes back when the
evidence changes.
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


@dataclass(frozen=True)
class Limits:
    """What counts as a warning sign (a consortium's risk settings)."""

    horizon_days: int = 90
    vacancy_days: int = 60
    compliance_threshold: int = 80


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
