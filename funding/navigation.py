"""The funding app's pages in the navigation: each entry's check is the one its view uses."""

from consortium.navigation import register
from funding.access import (
    can_read_statements,
    can_see_allocations,
    can_see_payments,
    can_see_runway,
    can_see_streams,
)

MONEY = {"section": "Money", "order": 10}

register("Funding streams", "funding:stream_list", check=can_see_streams, **MONEY)
register("Runway", "funding:runway", check=can_see_runway, **MONEY)
register("Allocations", "funding:allocation_list", check=can_see_allocations, **MONEY)
register("Allocation statement", "funding:statement", check=can_read_statements, **MONEY)
register("Payments", "funding:payment_list", check=can_see_payments, **MONEY)
