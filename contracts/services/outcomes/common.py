"""What the writes for payment by results share: the claim states, the upload refusals, the
participant pseudonym and re-reading a claim under a lock."""

from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError

from contracts.models import ClaimLine, MeasureClaimant, OutcomeMeasure, PbRClaim
from contracts.validation import outcomes as rules

S = PbRClaim.Status
L = ClaimLine.Status
LIVE = (S.APPROVED, S.PAID)
CHUNK = 2000


class UploadRemovesLines(ValidationError):
    """The evidence is right, but lines on the claim are not in it: the upload would remove
    them, so it asks first. Nothing was written."""

    def __init__(self, codes: list[str], count: int):
        self.codes = codes
        self.count = count
        shown = ", ".join(codes[:10]) + (f" and {len(codes) - 10} more" if len(codes) > 10 else "")
        lines = "line" if self.count == 1 else "lines"
        super().__init__(
            f"This upload replaces the claim's lines and would remove {self.count} {lines} "
            f"that are on the claim but not in your spreadsheet ({shown}), such as lines "
            "added by hand after the template was downloaded. Nothing was saved. To keep them, "
            "download the template again (it carries every line on the claim) and add your "
            f"rows to it; to remove them, confirm and upload the file again."
        )


# --- pseudonyms ----------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _key(consortium_id: int) -> bytes:
    return rules.consortium_key(settings.PSEUDONYM_KEY, consortium_id)


def participant_hash(consortium_id: int, reference: str) -> str:
    """The keyed hash of a case reference in a consortium (what Concord stores)."""
    if not rules.normalise_reference(reference):
        raise ValidationError({"reference": "Enter the participant's case reference."})
    return rules.pseudonym(_key(consortium_id), reference)


# --- shared by the claim's stages ----------------------------------------------------------


def _share(measure: OutcomeMeasure, organisation_id: int) -> Decimal | None:
    row = MeasureClaimant.objects.filter(measure=measure, organisation_id=organisation_id).first()
    if row is None:
        return None
    return row.share_percent if row.share_percent is not None else rules.HUNDRED


def _fresh(claim: PbRClaim) -> PbRClaim:
    return claim.for_transition("measure", "measure__contract", "claimant")
