import io

import pytest
from django.core.management import call_command

from contracts.models import OutcomeMeasure, PbRClaim


@pytest.mark.django_db
def test_the_demo_has_measures_and_claims_in_every_state_one_refused_and_one_capped(demo_db):
    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    assert set(OutcomeMeasure.objects.values_list("code", flat=True)) == {"MH28", "APPT1", "COH-Q"}
    states = set(PbRClaim.objects.values_list("status", flat=True))
    assert states == {"draft", "submitted", "verified", "approved", "paid", "rejected"}
    assert PbRClaim.objects.filter(lines__status="refused", status="paid").exists()
    assert PbRClaim.objects.exclude(caps_applied="").exists()
    assert PbRClaim.objects.filter(verification="sample").exists()
