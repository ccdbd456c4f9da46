"""Payment-by-results rules as pure functions: what a claim's verified lines earn under a
measure's payment rule, then its caps, to the penny; pseudonyms; and the checks on one line.

Every amount is split down to the lines (largest remainder, funding.money.split) so that the
payable amount of a claim is always the sum of its lines' amounts, never above a cap and
never negative.

The three rules:

* binary: the tariff once per participant who achieves the outcome in the window;
* per event: the tariff per event, at most `cap_per_participant` events per participant;
* cohort: a cohort (say a quarter's engaged participants) earns the tariff for each participant
  above the baseline rate — (achieved − baseline% × cohort) × tariff — and only when the
  achieved rate reaches the hurdle.
"""

import datetime
import hashlib
import hmac
from dataclasses import dataclass, field
from decimal import Decimal

from funding import money
from funding.money import ZERO

BINARY, PER_EVENT, COHORT = "binary", "per_event", "cohort"
HUNDRED = Decimal(100)


# --- pseudonyms ----------------------------------------------------------------------------


def normalise_reference(reference):
    """A case reference as typed, made comparable: letters and digits only, upper case (so
    "nhs 99-88" and "NHS9988" are the same person)."""
    return "".join(c for c in str(reference or "") if c.isalnum()).upper()


def consortium_key(master, consortium_identity):
    """The per-consortium secret: HMAC-SHA256(master secret, consortium identity)."""
    return hmac.new(
        master.encode(), f"concord-consortium:{consortium_identity}".encode(), hashlib.sha256
    ).digest()


def pseudonym(key, reference):
    """The keyed hash Concord stores instead of a case reference (64 hex characters)."""
    return hmac.new(key, normalise_reference(reference).encode(), hashlib.sha256).hexdigest()


def short_code(digest):
    """The first 8 hex characters, shown as XXXX-XXXX."""
    d = (digest or "")[:8].upper()
    return f"{d[:4]}-{d[4:]}"


# --- payable amounts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    kind: str
    tariff: Decimal
    cap_per_participant: int | None = None  # per event: most events paid per participant
    baseline_percent: Decimal = ZERO  # cohort
    hurdle_percent: Decimal = ZERO  # cohort
    share_percent: Decimal = HUNDRED  # the claimant's stated share of the outcome


@dataclass(frozen=True)
class PaidLine:
    key: object
    participant: str
    events: int = 1
    when: datetime.date | None = None


@dataclass
class Payable:
    earned: Decimal = ZERO  # verified lines under the rule, before caps
    payable: Decimal = ZERO
    lines: dict = field(default_factory=dict)  # key -> Decimal, summing to `payable`
    capped_by: list = field(default_factory=list)  # names of the caps that bit
    notes: list = field(default_factory=list)  # how the rule worked, in words

    @property
    def capped(self):
        return self.earned - self.payable


def _spread(total, weights):
    """{key: Decimal} summing exactly to `total`, in proportion to `weights`."""
    weights = {k: Decimal(w) for k, w in weights.items() if Decimal(w) > 0}
    if not weights or total <= 0:
        return {}
    return money.split(
        total, [money.Share(k, w, str(k), i) for i, (k, w) in enumerate(weights.items())]
    )


def earned_lines(rule, lines, *, cohort_size=None):
    """(total, {key: amount}, notes) that `lines` (verified) earn under `rule`, before caps."""
    tariff = money.to_money(rule.tariff)
    share = Decimal(rule.share_percent) / HUNDRED
    notes = []
    if rule.kind == BINARY:
        seen, gross = set(), {}
        for line in sorted(lines, key=lambda x: (x.when or datetime.date.min, str(x.key))):
            if line.participant in seen:
                gross[line.key] = ZERO
                continue
            seen.add(line.participant)
            gross[line.key] = tariff
        notes.append(f"{len(seen)} participants × £{tariff:,.2f}")
    elif rule.kind == PER_EVENT:
        limit = rule.cap_per_participant
        counted, gross, over = {}, {}, 0
        for line in sorted(lines, key=lambda x: (x.when or datetime.date.min, str(x.key))):
            already = counted.get(line.participant, 0)
            events = max(0, int(line.events))
            allowed = events if limit is None else max(0, min(events, limit - already))
            over += events - allowed
            counted[line.participant] = already + allowed
            gross[line.key] = tariff * allowed
        paid_events = sum(counted.values())
        notes.append(f"{paid_events} events × £{tariff:,.2f}")
        if over:
            notes.append(f"{over} events above the cap of {limit} per participant are not paid")
    elif rule.kind == COHORT:
        if not cohort_size:
            return ZERO, {line.key: ZERO for line in lines}, ["No cohort size: nothing earned."]
        participants = {line.participant for line in lines}
        achieved = len(participants)
        rate = Decimal(achieved) * HUNDRED / Decimal(cohort_size)
        if rate < Decimal(rule.hurdle_percent):
            notes.append(
                f"{achieved} of {cohort_size} achieved ({rate:.2f}%), below the hurdle of "
                f"{rule.hurdle_percent}%: nothing is paid"
            )
            return ZERO, {line.key: ZERO for line in lines}, notes
        expected = Decimal(rule.baseline_percent) * Decimal(cohort_size) / HUNDRED
        above = max(Decimal(0), Decimal(achieved) - expected)
        total = money.to_money(above * tariff)
        notes.append(
            f"{achieved} of {cohort_size} achieved ({rate:.2f}%, hurdle {rule.hurdle_percent}% "
            f"met); {above} above the baseline of {rule.baseline_percent}% × £{tariff:,.2f}"
        )
        first = {}
        for line in sorted(lines, key=lambda x: (x.when or datetime.date.min, str(x.key))):
            first.setdefault(line.participant, line.key)
        parts = _spread(total, {k: 1 for k in first.values()})
        gross = {line.key: parts.get(line.key, ZERO) for line in lines}
    else:
        raise ValueError(f"Unknown payment rule: {rule.kind}")
    total = sum(gross.values(), ZERO)
    if share != 1:
        shared = money.to_money(total * share)
        notes.append(f"the claimant's stated share {rule.share_percent}%")
        parts = _spread(shared, gross)
        gross = {k: parts.get(k, ZERO) for k in gross}
        total = shared
    return total, gross, notes


def apply_caps(earned, amounts, caps):
    """Bring `amounts` ({key: Decimal}) within each cap in `caps` [(name, room or None)], in
    order, scaling the lines in proportion. Returns (payable, {key: amount}, [caps that bit])."""
    total = sum(amounts.values(), ZERO)
    bit = []
    for name, room in caps:
        if room is None:
            continue
        room = max(ZERO, money.to_money(room))
        if total > room:
            bit.append(name)
            parts = _spread(room, amounts)
            amounts = {k: parts.get(k, ZERO) for k in amounts}
            total = room
    return total, amounts, bit


def payable(rule, lines, *, caps=(), cohort_size=None):
    """What verified `lines` earn under `rule`, then within `caps`, to the penny."""
    if Decimal(rule.tariff) < 0:
        raise ValueError("A tariff cannot be negative.")
    earned, amounts, notes = earned_lines(rule, lines, cohort_size=cohort_size)
    total, amounts, bit = apply_caps(earned, amounts, caps)
    return Payable(earned=earned, payable=total, lines=amounts, capped_by=bit, notes=notes)


# --- one line ------------------------------------------------------------------------------


@dataclass
class LineFacts:
    engagement_date: datetime.date | None
    outcome_date: datetime.date | None
    events: int | None
    evidence: str


def line_problems(facts, *, rule_kind, valid_from, valid_to, window_days, period_start, period_end):
    """What is wrong with one claim line, each message saying what to do."""
    problems = []
    e, o = facts.engagement_date, facts.outcome_date
    if e is None:
        problems.append("Enter the engagement date (when the participant engaged).")
    if o is None:
        problems.append("Enter the outcome date (when the outcome was achieved).")
    if e and o:
        if o < e:
            problems.append(
                f"The outcome date {o:%d %b %Y} is before the engagement date {e:%d %b %Y}. "
                "Check both dates."
            )
        elif window_days is not None and (o - e).days > window_days:
            problems.append(
                f"The outcome came {(o - e).days} days after engagement; this measure counts "
                f"outcomes within {window_days} days. Leave this participant out."
            )
    if e and (e < valid_from or (valid_to and e > valid_to)):
        problems.append(
            f"The engagement date {e:%d %b %Y} is outside the measure's dates "
            f"({valid_from:%d %b %Y} to {valid_to:%d %b %Y}). Claim it under the measure that "
            "applied then."
            if valid_to
            else f"The engagement date {e:%d %b %Y} is before the measure began."
        )
    if o and not (period_start <= o <= period_end):
        problems.append(
            f"The outcome date {o:%d %b %Y} is outside this claim's period "
            f"({period_start:%d %b %Y} to {period_end:%d %b %Y}). Claim it in that period's claim."
        )
    if facts.events is None or facts.events < 1:
        problems.append("Enter the number of events: 1 or more.")
    elif rule_kind != PER_EVENT and facts.events != 1:
        problems.append("This measure pays once per participant: the events must be 1.")
    evidence = (facts.evidence or "").strip()
    if not evidence:
        problems.append("Enter the evidence reference (where the evidence for this line is kept).")
    elif len(evidence) > 100:
        problems.append("The evidence reference is longer than 100 characters.")
    elif evidence[0] in "=+-@\t\r":
        problems.append("The evidence reference cannot start with =, +, - or @. Type plain text.")
    return problems


def window_key(rule_kind, *, period_start, outcome_date):
    """Which window a participant may be paid once in: the measure (binary), the day of the
    event (per event) or the cohort's period (cohort)."""
    if rule_kind == PER_EVENT:
        return outcome_date.isoformat() if outcome_date else ""
    if rule_kind == COHORT:
        return period_start.isoformat()
    return "once"


# --- verification by sample ----------------------------------------------------------------


def draw_sample(keys, size, seed):
    """The same `size` keys for the same keys and seed, whoever draws them: the keys are
    sorted first, then random.Random(seed) picks."""
    import random

    keys = sorted(keys)
    size = max(0, min(int(size), len(keys)))
    return sorted(random.Random(int(seed)).sample(keys, size))
