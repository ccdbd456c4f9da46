"""Funding's line of the Getting started checklist (consortium.getting_started)."""

from consortium.getting_started import step
from funding.access import can_see_streams
from funding.models import FundingStream


@step(
    "streams", title="Funding streams", order=50, url="funding:stream_list", check=can_see_streams
)
def _streams(user):
    return [
        (FundingStream.objects.visible_to(user).count(), "funding stream", "funding streams", 1)
    ]
