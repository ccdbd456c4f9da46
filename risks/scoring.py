"""Scoring and banding on a 5×5 risk matrix, as pure functions.

The default matrix is the one NHS trusts use (NPSA, "A risk matrix for risk managers", 2008):
score = likelihood × consequence (1–25), banded low 1–3, moderate 4–6, high 8–12, extreme
15–25. A consortium may rename the descriptors, move the band thresholds and recolour the
bands; the four bands themselves (low, moderate, high, extreme) stay, because review intervals
and escalation are set per band.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

LIKELIHOOD = ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"]
CONSEQUENCE = ["Negligible", "Minor", "Moderate", "Major", "Catastrophic"]
BAND_KEYS = ["low", "moderate", "high", "extreme"]
# GOV.UK tag colours a band may take (text labels always accompany them).
COLOURS = ["green", "yellow", "orange", "red", "purple", "pink", "blue", "grey", "turquoise"]
DEFAULT_BANDS = [
    {"key": "low", "label": "Low", "from": 1, "colour": "green"},
    {"key": "moderate", "label": "Moderate", "from": 4, "colour": "yellow"},
    {"key": "high", "label": "High", "from": 8, "colour": "orange"},
    {"key": "extreme", "label": "Extreme", "from": 15, "colour": "red"},
]
SCORE_MESSAGE = "Give a {what} from 1 ({low}) to 5 ({high})."


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    colour: str


def check_level(value, what="likelihood"):
    """A likelihood or consequence must be a whole number from 1 to 5."""
    labels = LIKELIHOOD if what == "likelihood" else CONSEQUENCE
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise ValidationError(
            SCORE_MESSAGE.format(what=what, low=labels[0].lower(), high=labels[-1].lower())
        )
    return value


def score(likelihood, consequence):
    """Likelihood × consequence, each 1–5."""
    return check_level(likelihood, "likelihood") * check_level(consequence, "consequence")


def check_bands(bands):
    """Bands in order low → extreme, starting at 1, with strictly rising thresholds."""
    keys = [b.get("key") for b in bands]
    if keys != BAND_KEYS:
        raise ValidationError("Give the four bands in order: low, moderate, high, extreme.")
    starts = [b.get("from") for b in bands]
    if starts[0] != 1:
        raise ValidationError("The low band must start at a score of 1.")
    if any(not isinstance(s, int) or not 1 <= s <= 25 for s in starts) or any(
        a >= b for a, b in zip(starts, starts[1:], strict=False)
    ):
        raise ValidationError("Each band must start at a higher score (1–25) than the one below.")
    for b in bands:
        if not str(b.get("label", "")).strip():
            raise ValidationError("Give every band a label.")
        if b.get("colour") not in COLOURS:
            raise ValidationError(f"Choose each band's colour from: {', '.join(COLOURS)}.")
    return bands


def band_for(value, bands=DEFAULT_BANDS):
    """The band a score (1–25) falls in: the highest band whose threshold it reaches."""
    if not 1 <= value <= 25:
        raise ValidationError("A score runs from 1 to 25.")
    chosen = bands[0]
    for b in bands:
        if value >= b["from"]:
            chosen = b
    return Band(key=chosen["key"], label=chosen["label"], colour=chosen["colour"])


def band_ranges(bands=DEFAULT_BANDS):
    """Each band's scores as text, e.g. "8–12", counting only scores the grid can produce."""
    products = sorted({lk * c for lk in range(1, 6) for c in range(1, 6)})
    out = []
    for b in bands:
        mine = [p for p in products if band_for(p, bands).key == b["key"]]
        text = f"{mine[0]}–{mine[-1]}" if len(mine) > 1 else (str(mine[0]) if mine else "none")
        out.append((b, text))
    return out


def consensus(support, sources, *, high=60, reasonable=25):
    """A SWOT item's consensus from the share of sources that support it: "high" at `high`
    per cent or more, "reasonable" at `reasonable` per cent or more, otherwise (or when only
    one source says it) "single" — the seed's three levels."""
    if support <= 1 or sources <= 0:
        return "single"
    share = support * 100 / sources
    if share >= high:
        return "high"
    if share >= reasonable:
        return "reasonable"
    return "single"
