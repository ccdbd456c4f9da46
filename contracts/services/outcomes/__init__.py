"""Writes for payment by results: measures (draft → published, new versions with a reason),
claims and their lines, and the workflow

    draft → submitted → verified (lead) → approved (commissioner) → paid, or rejected

with lines queried (the claim goes back to its member) or refused. Every transition re-reads
the claim under a row lock (`for_transition()`) and checks its state on that fresh row, so of
two racing transitions exactly one wins. Approval also locks the measure, so that two claims
approved at once cannot both fit under a cap that only one fits under.

Concord never stores a case reference: `participant_hash` turns it into HMAC-SHA256 under a
per-consortium key, itself HMAC-SHA256(settings.PSEUDONYM_KEY, the consortium's id).

One module per stage (measures, claims, verification, approval, and what they share in
common); this package names them all, so callers write `outcomes.claim_pay(...)`.
"""

from contracts.services.outcomes.approval import (  # noqa: F401
    caps_for,
    claim_approve,
    claim_pay,
    compute,
    figures,
    supported_by_claims,
)
from contracts.services.outcomes.claims import (  # noqa: F401
    claim_save_counts,
    claim_start,
    claim_submit,
    claim_upload,
    line_add,
    line_remove,
    template_bytes,
    template_key,
)
from contracts.services.outcomes.common import (  # noqa: F401
    UploadRemovesLines,
    participant_hash,
)
from contracts.services.outcomes.measures import (  # noqa: F401
    claim_periods,
    measure_publish,
    measure_revise,
    measure_save,
)
from contracts.services.outcomes.verification import (  # noqa: F401
    claim_draw_sample,
    claim_reject,
    claim_return,
    claim_verify,
    claim_verify_every_line,
    line_decide,
)
