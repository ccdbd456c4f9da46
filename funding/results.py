"""Payment by results as funding sees it, without depending on the contracts app that owns
it: apps above funding register providers here (from a module discovered at start-up).

* `support` providers: fn(payment) -> Decimal, what approved PbR claims support for a payment
  whose basis is "results" (checked before it is scheduled, changed or approved).
* `exposure` providers: fn(user, organisation) -> dict or None, the share of income that
  depends on outcomes, for the allocation statement: {"title", "headers", "rows", "empty"}.
"""

from decimal import Decimal

from funding.money import ZERO

SUPPORT = []
EXPOSURE = []


def support(fn):
    if fn not in SUPPORT:
        SUPPORT.append(fn)
    return fn


def exposure(fn):
    if fn not in EXPOSURE:
        EXPOSURE.append(fn)
    return fn


def supported(payment) -> Decimal:
    """What approved claims support for `payment` (nothing, if no provider is registered)."""
    return sum((fn(payment) for fn in SUPPORT), ZERO)


def exposure_sections(user, organisation=None):
    sections = []
    for fn in EXPOSURE:
        found = fn(user, organisation)
        if found:
            sections.append(found)
    return sections
