"""The README's worked API example, run as written — the curl script in bash, the Python
script with httpx — against a running Concord (pytest-django's live server), as CVO A's case
system would."""

import csv
import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from consortium import tokens
from contracts.models import ClaimLine, PbRClaim, PerformanceReturn
from sample import build_money, build_pbr, build_returns
from sample.contracts import GOOD_VALUES, make_period

README = Path(__file__).resolve().parent.parent / "README.md"


def example(name):
    """The fenced block after `<!-- api-example: name -->` in the README."""
    text = README.read_text()
    found = re.search(rf"<!-- api-example: {re.escape(name)} -->\n```\w+\n(.*?)\n```", text, re.S)
    assert found, f"the README has no example {name}"
    return found.group(1)


@pytest.fixture
def case_system(world, live_server, tmp_path, settings):
    """CVO A's case system: a key with the returns and claims scopes, the live server's
    address, and a folder of its own."""
    build_money(world)
    build_returns(world)
    build_pbr(world)
    _, raw = tokens.token_create(
        by=world.users["cvo_a"], name="Case system", scopes=["returns", "claims"]
    )
    env = {**os.environ, "CONCORD_URL": live_server.url, "CONCORD_API_KEY": raw}
    return world, env, tmp_path


def test_the_readme_curl_example_files_a_return(case_system):
    """One period's return started, filled in and submitted with curl; a few seconds."""
    world, env, folder = case_system
    period = make_period(world.money["sub_a"], datetime.date(2026, 9, 1))
    (folder / "figures.json").write_text(
        json.dumps(
            {"values": {k: str(v) for k, v in GOOD_VALUES.items()}, "narrative": "A steady month."}
        )
    )
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", example("curl")],
        cwd=folder,
        env={**env, "PERIOD_ID": str(period.pk)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    ret = PerformanceReturn.objects.get(period=period)
    assert ret.status == "submitted" and ret.narrative == "A steady month."
    assert ret.submitted_by == world.users["cvo_a"]


def test_the_readme_python_example_files_a_return_and_a_claim_in_batches(case_system):
    """The Python script, twice: a return, then a claim of 1,200 lines in three batches."""
    world, env, folder = case_system
    period = make_period(world.money["sub_a"], datetime.date(2026, 10, 1))
    script = folder / "file_month.py"
    script.write_text(example("file_month.py"))
    (folder / "figures.json").write_text(
        json.dumps({"values": {k: str(v) for k, v in GOOD_VALUES.items()}})
    )

    def run(*args):
        done = subprocess.run(
            [sys.executable, str(script), *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr + done.stdout
        return done.stdout

    said = run("return", str(period.pk), "figures.json")
    ret = PerformanceReturn.objects.get(period=period)
    assert f"Return {ret.pk}: submitted" in said and ret.status == "submitted"

    measure = world.pbr["measure"]
    taken = set(
        PbRClaim.objects.filter(measure=measure, claimant=world.orgs["cvo_a"]).values_list(
            "period_start", flat=True
        )
    )
    from contracts.services.outcomes.measures import claim_periods

    start, end = next(p for p in claim_periods(measure) if p[0] not in taken)
    with open(folder / "lines.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["reference", "engagement_date", "outcome_date", "evidence_ref"])
        for i in range(1200):
            out.writerow([f"CASE-{i:05d}", start.isoformat(), start.isoformat(), f"Case file {i}"])
    said = run(
        "claim", str(measure.pk), str(world.orgs["cvo_a"].pk), start.isoformat(), "lines.csv"
    )
    claim = PbRClaim.objects.get(measure=measure, claimant=world.orgs["cvo_a"], period_start=start)
    assert f"Claim {claim.pk}: submitted, 1200 lines" in said
    assert claim.status == "submitted" and ClaimLine.objects.filter(claim=claim).count() == 1200
    assert not ClaimLine.objects.filter(participant__startswith="CASE-").exists()
