"""PbR claim lines added through the API in batches, as a member's case system sends them:
is each batch's cost the same as the claim grows?

    DATABASE_URL=postgres://… .venv/bin/python bench/api_lines.py \
        [--lines 10000] [--batch 500] [--background 480000]

Builds the bench database (bench/run.py's, on PostgreSQL or SQLite) afresh:
the sample world's consortium with its PbR measure, and `--background` lines already claimed by
another member on the same measure (the national scale's 480,000), so every batch's
never-claimed-twice check reads a full index. Then it adds `--lines` lines to a new claim of
CVO A's in batches of `--batch`, twice:

1. in-process through Django's test client, counting each batch's SQL queries;
2. through gunicorn with production settings (bench/server.py), timing each batch end to end
   over HTTP, with the key in the Authorization header, as a case system would.

Prints one row per batch: lines on the claim before it, milliseconds through the server,
milliseconds in-process, and queries.
"""

import argparse
import http.client
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import analyze, prepare_environment, reset_database  # noqa: E402


def world(background):
    """The sample world with PbR, and `background` lines of CVO B's on the same measure."""
    from django_scopes import scopes_disabled

    from contracts.models import ClaimLine
    from contracts.services.outcomes.common import participant_hash
    from sample import ConsortiumWorld, build_money, build_pbr

    with scopes_disabled():
        w = ConsortiumWorld.build()
        build_money(w)
        build_pbr(w)
        claim = w.pbr["verified_b"]
        rows, made = [], 0
        while made < background:
            for i in range(made, min(background, made + 10000)):
                rows.append(
                    ClaimLine(
                        consortium_id=claim.consortium_id,
                        claim=claim,
                        series=claim.measure.series,
                        window=f"bg-{i % 97}",
                        participant=participant_hash(claim.consortium_id, f"BG-{i}"),
                        engagement_date=claim.period_start,
                        outcome_date=claim.period_start,
                        events=1,
                        evidence_ref="background",
                        status="verified",
                    )
                )
            ClaimLine.objects.bulk_create(rows, batch_size=2000)
            made += len(rows)
            rows = []
    return w


def free_periods(w, n):
    from django_scopes import scopes_disabled

    from contracts.models import PbRClaim
    from contracts.services.outcomes.measures import claim_periods

    measure = w.pbr["measure"]
    with scopes_disabled():
        taken = set(
            PbRClaim.objects.filter(measure=measure, claimant=w.orgs["cvo_a"]).values_list(
                "period_start", flat=True
            )
        )
        return [p for p in claim_periods(measure) if p[0] not in taken][:n]


def batches(prefix, lines, size, day):
    refs = [f"{prefix}-{i:06d}" for i in range(lines)]
    for start in range(0, lines, size):
        yield [
            {
                "reference": ref,
                "engagement_date": day.isoformat(),
                "outcome_date": day.isoformat(),
                "evidence_ref": f"Case file {ref}",
            }
            for ref in refs[start : start + size]
        ]


def start_body(w, period):
    return {
        "measure": w.pbr["measure"].pk,
        "claimant": w.orgs["cvo_a"].pk,
        "period_start": period[0].isoformat(),
    }


def in_process(w, raw, period, lines, size):
    """[(lines before, ms, queries)] through the test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_X_FORWARDED_PROTO": "https"}
    made = client.post(
        "/api/v1/claims",
        json.dumps(start_body(w, period)),
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201, made.content
    url, etag = f"/api/v1/claims/{made.json()['id']}/lines", made["ETag"]
    out, before = [], 0
    for batch in batches("IN", lines, size, period[0]):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            answer = client.post(
                url,
                json.dumps({"lines": batch}),
                content_type="application/json",
                HTTP_IF_MATCH=etag,
                **auth,
            )
            ms = (time.perf_counter() - started) * 1000
        assert answer.status_code == 200, answer.content
        etag = answer["ETag"]
        out.append((before, ms, len(captured.captured_queries)))
        before += len(batch)
    return out


def served(w, raw, period, lines, size):
    """[(lines before, ms)] through gunicorn."""
    from bench.server import Server

    headers = {
        "Authorization": f"Bearer {raw}",
        "Content-Type": "application/json",
        "X-Forwarded-Proto": "https",
    }
    out = []
    server = Server()
    _, message = server.collectstatic()
    if message:
        print(message)
    with server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)

        def send(path, body, extra=None):
            conn.request("POST", path, json.dumps(body), {**headers, **(extra or {})})
            response = conn.getresponse()
            data = response.read()
            if response.status >= 300:
                raise SystemExit(f"{path}: {response.status} {data[:300]!r}")
            return response, data

        response, data = send("/api/v1/claims", start_body(w, period))
        url = f"/api/v1/claims/{json.loads(data)['id']}/lines"
        etag, before = response.getheader("ETag"), 0
        for batch in batches("SRV", lines, size, period[0]):
            started = time.perf_counter()
            response, _ = send(url, {"lines": batch}, {"If-Match": etag})
            out.append((before, (time.perf_counter() - started) * 1000))
            etag = response.getheader("ETag")
            before += len(batch)
        conn.close()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--background", type=int, default=480000)
    args = parser.parse_args()
    prepare_environment()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django_scopes import scopes_disabled

    from consortium import tokens

    settings.CONCORD_API_REQUESTS_PER_MINUTE = 10**6
    call_command("migrate", verbosity=0)
    reset_database()
    started = time.perf_counter()
    w = world(args.background)
    print(
        f"Built the world and {args.background:,} background lines in "
        f"{time.perf_counter() - started:.0f} s; ANALYZE {analyze():.1f} s"
    )
    with scopes_disabled():
        _, raw = tokens.token_create(by=w.users["cvo_a"], name="Bench", scopes=["claims"])
    first, second = free_periods(w, 2)
    local = in_process(w, raw, first, args.lines, args.batch)
    remote = served(w, raw, second, args.lines, args.batch)
    print(
        f"\n{args.lines:,} lines in batches of {args.batch} "
        f"({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
    )
    print(
        f"{'batch':>5} {'lines before':>12} {'server ms':>10} {'in-process ms':>14} {'queries':>8}"
    )
    for i, ((before, ms_local, queries), (_, ms_server)) in enumerate(
        zip(local, remote, strict=True)
    ):
        print(f"{i + 1:>5} {before:>12,} {ms_server:>10.0f} {ms_local:>14.0f} {queries:>8}")
    server_ms = [ms for _, ms in remote]
    half = len(server_ms) // 2
    print(
        f"\nserver: median {statistics.median(server_ms):.0f} ms a batch; first half "
        f"{statistics.median(server_ms[:half]):.0f} ms, second half "
        f"{statistics.median(server_ms[half:]):.0f} ms; queries a batch "
        f"{sorted({q for _, _, q in local})}"
    )


if __name__ == "__main__":
    main()
