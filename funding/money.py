"""Money, one way: two places, GBP, ROUND_HALF_UP, and an exact splitter.

`split()` divides an amount between shares in proportion to their weights so that the parts
add up to the amount to the penny (largest-remainder rounding). Each share first gets its
exact quota rounded down to the penny; the pennies left over go one each to the shares with
the largest remainders. Ties are broken, in order, by: the larger fractional remainder, the
larger weight (basis), the organisation name (A before Z), then the lower id. The result is
the same whatever order the shares are given in.

`allocate()` turns a pot, a formula and each member's figures into allocation lines, each
carrying its basis figures and the arithmetic in words.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError

PENNY = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0.00")


def to_money(value):
    """A Decimal rounded to the penny, half up (the one rounding rule for money)."""
    if isinstance(value, float):
        raise TypeError("Money is never a float: pass a Decimal or a string.")
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


def percent_of(amount, percent):
    return to_money(Decimal(amount) * Decimal(percent) / HUNDRED)


@dataclass
class Share:
    key: object
    weight: Decimal
    name: str = ""
    id: int = 0


def split(total, shares):
    """{share.key: Decimal} summing exactly to `total`, in proportion to the weights."""
    total = to_money(total)
    if total < 0:
        raise ValidationError("The amount to split cannot be negative.")
    shares = list(shares)
    if not shares:
        raise ValidationError("There is nobody to split the amount between.")
    if any(Decimal(s.weight) < 0 for s in shares):
        raise ValidationError("A share's basis cannot be negative.")
    # Whole numbers in the same proportions as the weights, so that each quota's remainder is
    # an integer over one common denominator (the same order as exact fractions, far faster).
    weights = _whole_numbers([Decimal(s.weight) for s in shares])
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValidationError("Every share's basis is zero, so there is nothing to divide by.")
    pennies = int(total * 100)
    quotas = {}
    for s, w in zip(shares, weights, strict=True):
        floor, remainder = divmod(pennies * w, weight_sum)
        quotas[s.key] = (floor, remainder)
    left = pennies - sum(q[0] for q in quotas.values())
    order = sorted(
        shares,
        key=lambda s: (-quotas[s.key][1], -Decimal(s.weight), s.name, s.id),
    )
    extra = {s.key: 0 for s in shares}
    for s in order[:left]:
        extra[s.key] = 1
    return {s.key: Decimal(quotas[s.key][0] + extra[s.key]) / 100 for s in shares}


def _whole_numbers(values):
    """Non-negative Decimals as integers scaled by one power of ten, exactly."""
    places = max(0, *(-v.as_tuple().exponent for v in values))
    out = []
    for v in values:
        _sign, digits, exponent = v.as_tuple()
        out.append(int("".join(map(str, digits)) or "0") * 10 ** (exponent + places))
    return out


# --- allocation formulas -----------------------------------------------------------------

FIXED = "fixed"
EQUAL = "equal"
FTE = "fte"
ACTIVITY = "activity"
OUTCOMES = "outcomes"
FULL_COST = "full_cost"

FIGURE_LABELS = {
    FIXED: "percentage",
    EQUAL: "",
    FTE: "funded FTE",
    ACTIVITY: "activity",
    OUTCOMES: "verified outcomes",
    FULL_COST: "direct costs",
}

MEMBER, OVERHEAD, FEE = "member", "overhead", "management_fee"


@dataclass
class Member:
    id: int
    name: str
    figure: Decimal = ZERO  # percentage, FTE, activity, outcomes or direct costs
    overhead_percent: Decimal = ZERO  # full cost recovery only


@dataclass
class Line:
    organisation_id: int
    name: str
    kind: str
    amount: Decimal
    basis: dict = field(default_factory=dict)
    arithmetic: str = ""


def _fmt(d):
    return f"£{Decimal(d):,.2f}"


def allocate(*, pot, formula, members, fee_percent=ZERO, fee_org=None):
    """Lines for `pot` split by `formula`; they sum to the pot to the penny.

    The lead's management fee (`fee_percent` of the pot, to `fee_org` = (id, name)) is taken
    first as its own line; the rest is divided between `members` by the formula. Full cost
    recovery gives each member a direct-costs line and an overhead line.
    """
    pot = to_money(pot)
    fee_percent = Decimal(fee_percent or 0)
    _check_inputs(pot, formula, members, fee_percent, fee_org)
    lines = []
    fee = ZERO
    if fee_percent:
        fee = percent_of(pot, fee_percent)
        lines.append(_fee_line(pot, fee_percent, fee, fee_org))
    rest = pot - fee
    rest_words = (
        f"{_fmt(rest)} (the pot {_fmt(pot)} less the management fee {_fmt(fee)})"
        if fee
        else _fmt(pot)
    )
    if formula == FULL_COST:
        return lines + _full_cost_lines(rest, rest_words, members)
    return lines + _weighted_lines(rest, rest_words, formula, members)


def _check_inputs(pot, formula, members, fee_percent, fee_org):
    """Refuse, with the reason, what cannot be allocated."""
    if pot <= 0:
        raise ValidationError("The pot must be more than £0.00.")
    if fee_percent < 0 or fee_percent >= 100:
        raise ValidationError("The management fee must be at least 0% and less than 100%.")
    if not members:
        raise ValidationError("Include at least one member in the allocation.")
    for m in members:
        if Decimal(m.figure) < 0 or Decimal(m.overhead_percent) < 0:
            raise ValidationError(f"{m.name}: figures cannot be negative.")
    if fee_percent and fee_org is None:
        raise ValidationError("Name the organisation that takes the management fee.")
    if formula == FIXED:
        total_pct = sum((Decimal(m.figure) for m in members), Decimal(0))
        if total_pct != HUNDRED:
            raise ValidationError(
                f"Fixed percentages add up to {total_pct}%; they must add up to exactly 100%."
            )
    if formula not in (FIXED, EQUAL, FTE, ACTIVITY, OUTCOMES, FULL_COST):
        raise ValidationError(f"Unknown formula: {formula}.")


def _fee_line(pot, fee_percent, fee, fee_org):
    """The lead's management fee, taken from the pot first."""
    return Line(
        organisation_id=fee_org[0],
        name=fee_org[1],
        kind=FEE,
        amount=fee,
        basis={"fee_percent": str(fee_percent), "pot": str(pot)},
        arithmetic=f"{fee_percent}% of {_fmt(pot)} = {_fmt(fee)} (rounded half up)",
    )


def _full_cost_lines(rest, rest_words, members):
    """Full cost recovery: each member's direct costs and overhead, scaled together to what is
    left of the pot when they do not add up to it."""
    shares, costs = [], {}
    for m in members:
        direct = to_money(m.figure)
        over = percent_of(direct, m.overhead_percent)
        costs[m.id] = (direct, over)
        shares.append(Share((m.id, MEMBER), direct, m.name, m.id))
        shares.append(Share((m.id, OVERHEAD), over, m.name, m.id))
    total_cost = sum(d + o for d, o in costs.values())
    parts = split(rest, shares)
    scaled = total_cost != rest
    lines = []
    for m in members:
        direct, over = costs[m.id]
        for kind, cost in ((MEMBER, direct), (OVERHEAD, over)):
            amount = parts[(m.id, kind)]
            if kind == OVERHEAD:
                words = (
                    f"{m.overhead_percent}% overhead on direct costs {_fmt(direct)} = {_fmt(cost)}"
                )
            else:
                words = f"direct costs {_fmt(cost)}"
            if scaled:
                words += (
                    f"; full costs {_fmt(total_cost)} scaled to {rest_words} = {_fmt(rest)}: "
                    f"{_fmt(cost)} × {_fmt(rest)} ÷ {_fmt(total_cost)} = {_fmt(amount)}"
                )
            lines.append(
                Line(
                    organisation_id=m.id,
                    name=m.name,
                    kind=kind,
                    amount=amount,
                    basis={
                        "direct_costs": str(direct),
                        "overhead_percent": str(m.overhead_percent),
                        "cost": str(cost),
                        "total_cost": str(total_cost),
                    },
                    arithmetic=words,
                )
            )
    return lines


def _weighted_lines(rest, rest_words, formula, members):
    """Every other formula: what is left of the pot split by a weight per member (1 each for
    equal shares, otherwise the member's figure)."""
    weights = {m.id: (Decimal(1) if formula == EQUAL else Decimal(m.figure)) for m in members}
    parts = split(rest, [Share(m.id, weights[m.id], m.name, m.id) for m in members])
    total_weight = sum(weights.values())
    label = FIGURE_LABELS[formula]
    lines = []
    for m in members:
        amount = parts[m.id]
        if formula == EQUAL:
            words = f"{rest_words} ÷ {len(members)} equal shares = {_fmt(amount)}"
        elif formula == FIXED:
            words = f"{m.figure}% of {rest_words} = {_fmt(amount)}"
        else:
            words = f"{label} {m.figure} ÷ {total_weight} × {rest_words} = {_fmt(amount)}"
        lines.append(
            Line(
                organisation_id=m.id,
                name=m.name,
                kind=MEMBER,
                amount=amount,
                basis={
                    "formula": formula,
                    "figure": str(weights[m.id]),
                    "total": str(total_weight),
                    "distributable": str(rest),
                },
                arithmetic=words + " (largest-remainder rounding to the penny)",
            )
        )
    return lines
