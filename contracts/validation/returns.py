"""The rules a performance return must pass before it is submitted.

Plain functions over plain data, so the form, the XLSX upload and the services run the same
rules: `values` maps indicator code → Decimal or None (blank); `rules` are objects (or the
`Rule` dataclass here) describing each indicator as the library declares it. Every message
names the indicator and says how to fix the figure.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median

COUNT, PERCENTAGE, DAYS = "count", "percentage", "days"
# A figure is "far outside" the subcontract's history when it is more than this many times
# its usual (median) level, or less than its usual level divided by it; small numbers are
# allowed to move more before a warning, hence the floor.
OUTLIER_FACTOR = Decimal(3)
OUTLIER_FLOOR = Decimal(10)
MIN_HISTORY = 3
# The largest figure an indicator holds, whatever its unit: far more than any service counts
# in a period, and room for totals across members and years within the 14 digits a figure is
# stored in. Beyond it a figure is a slip (a reference pasted into the value, a stray key).
LARGEST_FIGURE = Decimal("9999999")
PLACES = 2  # a figure is stored to two decimal places


def figure_cannot_be_held(name, value):
    """Why a return figure cannot be stored as it is (more than two decimal places, or more
    than LARGEST_FIGURE either way), or None. Saving never rounds a figure silently."""
    if value is None:
        return None
    if value.as_tuple().exponent < -PLACES:
        return (
            f"{name} is {value:f}, which has more than two decimal places. "
            "Enter it to two places at most."
        )
    if abs(value) > LARGEST_FIGURE:
        return (
            f"{name} is {value:,f}, more than a return can hold ({LARGEST_FIGURE:,f}). "
            "Check the figure: it may be a reference or a date typed into the value."
        )
    return None


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    unit: str = COUNT
    required: bool = False
    not_more_than: str | None = None  # funnel: this stage cannot exceed the stage before it
    breakdown_of: str | None = None  # a breakdown cannot exceed its total
    breakdown_group: str = ""  # breakdowns in one group are exclusive parts of the total


@dataclass(frozen=True)
class Message:
    code: str
    text: str
    level: str = "error"  # or "warning"


@dataclass
class Outcome:
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors

    def by_code(self):
        out = {}
        for m in self.errors + self.warnings:
            out.setdefault(m.code, []).append(m)
        return out


def label(rule):
    """How a message names an indicator: by its name, which is what people read (the code
    stays in templates and downloads)."""
    return rule.name


def fmt(value):
    if value is None:
        return "blank"
    value = Decimal(value)
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def check_values(values, rules):
    """Rules about one figure at a time: required, not negative, whole counts, percentages."""
    errors = []
    for r in rules:
        v = values.get(r.code)
        if v is None:
            if r.required:
                errors.append(
                    Message(r.code, f"Enter a figure for {label(r)}. Enter 0 if there were none.")
                )
            continue
        if v < 0:
            errors.append(
                Message(
                    r.code,
                    f"{label(r)} is {fmt(v)}: it cannot be negative. Enter 0 or more.",
                )
            )
            continue
        if r.unit == COUNT and v != v.to_integral_value():
            errors.append(
                Message(
                    r.code,
                    f"{label(r)} is {fmt(v)}: it is a count, so enter a whole number "
                    f"(for example {fmt(v.to_integral_value())}).",
                )
            )
        if r.unit == PERCENTAGE and v > 100:
            errors.append(
                Message(
                    r.code,
                    f"{label(r)} is {fmt(v)}: a percentage cannot be more than 100. "
                    "Enter a figure from 0 to 100.",
                )
            )
    return errors


def check_funnel(values, rules):
    """Each pathway stage cannot exceed the stage before it (screened ≤ referred, …)."""
    by_code = {r.code: r for r in rules}
    errors = []
    for r in rules:
        parent = by_code.get(r.not_more_than) if r.not_more_than else None
        v = values.get(r.code)
        if parent is None or v is None or values.get(parent.code) is None:
            continue
        pv = values[parent.code]
        if v > pv:
            errors.append(
                Message(
                    r.code,
                    f"{label(r)} is {fmt(v)}, more than {label(parent)} ({fmt(pv)}). "
                    "Nobody reaches this stage without the one before it: check both figures.",
                )
            )
    return errors


def check_breakdowns(values, rules):
    """A breakdown cannot exceed its total; exclusive parts cannot add up to more than it."""
    by_code = {r.code: r for r in rules}
    errors = []
    groups = {}
    for r in rules:
        total = by_code.get(r.breakdown_of) if r.breakdown_of else None
        v = values.get(r.code)
        if total is None or v is None or values.get(total.code) is None:
            continue
        tv = values[total.code]
        if v > tv:
            errors.append(
                Message(
                    r.code,
                    f"{label(r)} is {fmt(v)}, more than its total {label(total)} ({fmt(tv)}). "
                    "A breakdown cannot exceed its total: correct one of them.",
                )
            )
        if r.breakdown_group:
            groups.setdefault((total.code, r.breakdown_group), []).append(r)
    for (total_code, group), parts in groups.items():
        total = by_code[total_code]
        tv = values[total_code]
        s = sum((values[p.code] for p in parts), Decimal(0))
        if s > tv:
            names = ", ".join(p.name for p in parts)
            errors.append(
                Message(
                    total_code,
                    f"The {group} breakdown of {label(total)} adds up to {fmt(s)}, more than the "
                    f"total ({fmt(tv)}). Each person counts once in {names}: correct the "
                    f"breakdown or the total.",
                )
            )
    return errors


def check_history(values, rules, history):
    """Warnings for figures far outside this subcontract's own history (`history` maps code →
    earlier approved figures). The submitter must confirm them."""
    warnings = []
    for r in rules:
        v = values.get(r.code)
        past = [h for h in history.get(r.code, []) if h is not None]
        if v is None or v < 0 or len(past) < MIN_HISTORY:
            continue
        usual = Decimal(median(past))
        high = max(usual * OUTLIER_FACTOR, usual + OUTLIER_FLOOR)
        low = usual / OUTLIER_FACTOR if usual >= OUTLIER_FLOOR else None
        if v > high or (low is not None and v < low):
            direction = "higher" if v > high else "lower"
            low_seen, high_seen = min(past), max(past)
            usual_range = (
                fmt(low_seen) if low_seen == high_seen else f"{fmt(low_seen)}–{fmt(high_seen)}"
            )
            warnings.append(
                Message(
                    r.code,
                    f"{r.name}: {fmt(v)} is much {direction} than this service's usual "
                    f"{usual_range} (its last {len(past)} approved returns). Check it and "
                    "confirm.",
                    level="warning",
                )
            )
    return warnings


def validate(values, rules, history=None):
    """All the rules. Errors block submission; warnings need the submitter's confirmation."""
    outcome = Outcome()
    outcome.errors += check_values(values, rules)
    # Relations are only meaningful between figures that are themselves valid.
    bad = {m.code for m in outcome.errors}
    clean = {k: v for k, v in values.items() if k not in bad}
    outcome.errors += check_funnel(clean, rules)
    outcome.errors += check_breakdowns(clean, rules)
    outcome.warnings += check_history(clean, rules, history or {})
    return outcome
