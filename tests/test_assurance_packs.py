"""Assurance packs: sections from every app, sign-off freezing a snapshot with its digest,
acknowledgement and queries, corrections as new versions, XLSX and PDF, and the access
policy."""

import datetime
import io
import json

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from consortium import assurance
from contracts.models import AssurancePack, PackAction, PackFrozen, PackQuery
from contracts.models.assurance import canonical_json, digest_of
from contracts.services import assurance as svc
from contracts.services import returns as return_svc
from sample import (
    make_pack,
    on,
)

Q2 = (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
Q3 = (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))


def section(pack, key):
    return next(s for s in pack.snapshot["sections"] if s["key"] == key)


@pytest.mark.django_db
def test_every_app_provides_a_section_of_the_pack(packs_world):
    keys = [s["key"] for s in packs_world.packs["signed_a"].snapshot["sections"]]
    assert keys == [
        "delivery",
        "returns",
        "restatements",
        "workforce",
        "risks",
        "pbr",
        "runway",
        "payments",
    ]
    assert set(keys) == set(assurance.SECTIONS)


@pytest.mark.django_db
def test_the_delivery_section_gives_each_indicator_its_rag_trend_and_definition(packs_world):
    delivery = section(packs_world.packs["signed_a"], "delivery")
    current, trend, definitions = delivery["tables"]
    assert current["columns"][-1] == "RAG"
    ref = next(r for r in current["rows"] if r[0] == "REF")
    # Only April's return of CVO A under contract A is approved: GOOD_VALUES' referrals.
    assert ref[5] == "40.00"
    assert len(trend["columns"]) == 5  # the code and four periods
    assert trend["columns"][-1] == "Apr–Jun 2026"
    assert any(r[0] == "REF" and r[2] for r in definitions["rows"])


@pytest.mark.django_db
def test_the_returns_section_counts_completeness_and_timeliness_per_member(packs_world):
    returns = section(packs_world.packs["signed_a"], "returns")
    (t,) = returns["tables"]
    (row,) = t["rows"]
    assert row[0] == "CVO Alpha"
    assert row[1] == 3  # returns due: April, May, June
    assert row[2] == 1  # approved


@pytest.mark.django_db
def test_the_payments_section_shows_what_each_member_was_owed_and_whether_paid_on_time(
    packs_world,
):
    payments = section(packs_world.packs["signed_a"], "payments")
    (t,) = payments["tables"]
    (row,) = t["rows"]
    assert row[0] == "CVO Alpha"
    assert row[1] == 1 and row[2] == "5000.00"
    # Due 1 May, still unpaid when the pack was signed off on 20 July: overdue 80 days.
    assert row[6] == 1
    assert row[8] == 80


@pytest.mark.django_db
def test_a_section_with_nothing_says_so_plainly(packs_world):
    assert section(packs_world.packs["signed_a"], "restatements")["empty"].startswith(
        "No approved return was reopened"
    )


@pytest.mark.django_db
def test_the_stored_digest_matches_the_one_recomputed_from_the_snapshot(packs_world):
    pack = AssurancePack.objects.get(pk=packs_world.packs["signed_a"].pk)
    assert len(pack.digest) == 64
    assert pack.digest == digest_of(pack.snapshot) == pack.computed_digest()
    assert canonical_json(pack.snapshot) == json.dumps(
        pack.snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


@pytest.mark.django_db
def test_the_snapshot_prints_the_audit_chains_daily_head(packs_world):
    head = packs_world.packs["signed_a"].snapshot["meta"]["audit_head"]
    assert head is not None and len(head["hash"]) == 64


@pytest.mark.django_db
def test_reopening_a_return_after_sign_off_leaves_the_pack_alone_and_the_next_shows_it(
    packs_world,
):
    w = packs_world
    signed = AssurancePack.objects.get(pk=w.packs["signed_a"].pk)
    before = (signed.snapshot, signed.digest)
    ret = w.returns["approved_a"]
    with on(datetime.date(2026, 8, 3)):
        return_svc.return_reopen(ret=ret, by=w.users["lead"], reason="Referrals double counted")
    signed.refresh_from_db()
    assert (signed.snapshot, signed.digest) == before
    with on(datetime.date(2026, 10, 6)):
        draft = svc.pack_refresh(pack=w.packs["draft_a"], by=w.users["lead"])
    restated = section(draft, "restatements")
    (t,) = restated["tables"]
    assert t["rows"][0][0] == "CVO Alpha"
    assert t["rows"][0][3] == "Referrals double counted"


@pytest.mark.django_db
def test_a_signed_off_pack_refuses_every_write(packs_world):
    pack = packs_world.packs["signed_a"]
    pack.narrative = "Rewritten"
    with pytest.raises(PackFrozen):
        pack.save()
    with pytest.raises(PackFrozen):
        AssurancePack.objects.filter(pk=pack.pk).update(narrative="x")
    with pytest.raises(PackFrozen):
        AssurancePack.objects.filter(pk=pack.pk).delete()
    with pytest.raises(PackFrozen):
        pack.delete()
    action = PackAction(consortium=pack.consortium, pack=pack, text="Sneaked in")
    with pytest.raises(PackFrozen):
        action.save()
    with pytest.raises(ValidationError):
        svc.pack_save_narrative(
            pack=AssurancePack.objects.get(pk=pack.pk),
            by=packs_world.users["lead"],
            narrative="x",
            expected_version=None,
        )
    assert AssurancePack.objects.get(pk=pack.pk).narrative == "Referrals held up."


@pytest.mark.django_db
def test_signing_off_with_returns_missing_needs_the_list_confirmed(packs_world):
    w = packs_world
    pack = make_pack(
        w.money["contract"],
        datetime.date(2026, 4, 1),
        datetime.date(2026, 4, 30),
        by=w.users["lead"],
    )
    with on(datetime.date(2026, 7, 1)):
        gaps = svc.signoff_gaps(pack, w.users["lead"])
        assert any("CVO Alpha" in g for g in gaps) is False  # April is approved
        pack2 = make_pack(
            w.money["contract"],
            datetime.date(2026, 6, 1),
            datetime.date(2026, 6, 30),
            by=w.users["lead"],
            on_day=datetime.date(2026, 7, 1),
        )
        gaps = svc.signoff_gaps(pack2, w.users["lead"])
        assert gaps and "CVO Alpha" in gaps[0]
        with pytest.raises(Exception) as refused:
            svc.pack_sign_off(pack=pack2, by=w.users["lead"], confirmed=None)
        assert "CVO Alpha" in str(refused.value)
        signed = svc.pack_sign_off(pack=pack2, by=w.users["lead"], confirmed=gaps)
    assert signed.state == "signed_off" and "CVO Alpha" in signed.missing_confirmed


@pytest.mark.django_db
def test_signing_off_a_period_not_yet_over_names_it(packs_world):
    w = packs_world
    with on(datetime.date(2026, 9, 15)):
        gaps = svc.signoff_gaps(w.packs["draft_a"], w.users["lead"])
    assert gaps[0].startswith("The period does not end until 30 September 2026")


@pytest.mark.django_db
def test_the_commissioner_acknowledges_and_the_lead_answers_the_query(packs_world):
    w = packs_world
    with on(datetime.date(2026, 7, 26)):
        pack = svc.pack_acknowledge(pack=w.packs["signed_a"], by=w.users["commissioner"])
        query = svc.query_answer(
            query=w.packs["query"], by=w.users["lead"], answer="Two members were short-staffed."
        )
    assert pack.state == "acknowledged" and pack.acknowledged_by == w.users["commissioner"]
    assert pack.digest == digest_of(pack.snapshot)
    query = PackQuery.objects.get(pk=query.pk)
    assert query.question == "Why were returns late?"
    assert query.answer == "Two members were short-staffed."
    with pytest.raises(ValidationError):
        svc.query_answer(query=query, by=w.users["lead"], answer="Changed my mind")
    from consortium.models import Event

    verbs = set(Event.objects.filter(object_id=str(pack.pk)).values_list("verb", flat=True))
    assert {"assurance pack signed off", "assurance pack acknowledged"} <= verbs


@pytest.mark.django_db
def test_a_correction_is_a_new_version_and_the_old_stays_readable(packs_world):
    w = packs_world
    old = w.packs["signed_a"]
    with on(datetime.date(2026, 8, 1)):
        new = svc.pack_new_version(pack=old, by=w.users["lead"], reason="Payments restated")
        assert new.revision == 2 and new.previous == old and new.state == "draft"
        new = svc.pack_sign_off(
            pack=new, by=w.users["lead"], confirmed=svc.signoff_gaps(new, w.users["lead"])
        )
    old.refresh_from_db()
    assert old.state == "superseded"
    assert old.digest == digest_of(old.snapshot)
    assert new.snapshot["meta"]["revision_reason"] == "Payments restated"


@pytest.mark.django_db
def test_concurrent_edits_of_the_narrative_never_silently_overwrite(packs_world):
    from consortium.base import StaleEdit

    w = packs_world
    pack = w.packs["draft_a"]
    opened = pack.version
    svc.pack_save_narrative(
        pack=pack, by=w.users["lead"], narrative="First", expected_version=opened
    )
    with pytest.raises(StaleEdit):
        svc.pack_save_narrative(
            pack=AssurancePack.objects.get(pk=pack.pk),
            by=w.users["lead"],
            narrative="Second",
            expected_version=opened,
        )
    assert AssurancePack.objects.get(pk=pack.pk).narrative == "First"


@pytest.mark.django_db
def test_the_xlsx_has_a_cover_with_the_digest_and_a_sheet_per_section(packs_world, client):
    w = packs_world
    pack = w.packs["signed_a"]
    client.force_login(w.users["commissioner"])
    response = client.get(f"/assurance/{pack.pk}/pack.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[0] == "Cover"
    assert len(wb.sheetnames) == 1 + len(pack.snapshot["sections"])
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(values_only=True) if r and r[0]}
    assert cover["SHA-256 digest"] == pack.digest
    # The executive summary's line for each section, as on page 1 of the PDF.
    assert cover["Delivery against targets"] == section(pack, "delivery")["summary"][0]
    payments = wb[wb.sheetnames[-1]]
    values = [r for r in payments.iter_rows(values_only=True) if r and r[0] == "CVO Alpha"]
    assert values[0][2] == 5000


@pytest.mark.django_db
def test_a_narrative_that_looks_like_a_formula_stays_text_in_the_xlsx(packs_world, client):
    w = packs_world
    pack = w.packs["draft_a"]
    svc.pack_save_narrative(
        pack=pack, by=w.users["lead"], narrative='=HYPERLINK("x")', expected_version=pack.version
    )
    client.force_login(w.users["lead"])
    response = client.get(f"/assurance/{pack.pk}/pack.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    cell = next(r[1] for r in wb["Cover"].iter_rows() if r[0].value == "Narrative")
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("x")'


@pytest.mark.django_db
def test_the_pdf_is_made_from_the_page_and_carries_the_digest(packs_world, client):
    """Renders a pack's PDF twice (about 2.5 s)."""
    w = packs_world
    pack = w.packs["signed_a"]
    client.force_login(w.users["commissioner"])
    response = client.get(f"/assurance/{pack.pk}/pack.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    # The same PDF uncompressed: the digest is in its metadata, and the page text holds it
    # too (only readable with a PDF text extractor, which Concord does not install).
    from contracts.pdf.assurance import pdf_bytes

    raw = pdf_bytes(pack, uncompressed=True)
    assert raw.startswith(b"%PDF")
    assert f"SHA-256 {pack.digest}".encode() in raw


@pytest.mark.django_db
def test_a_published_packs_pdf_is_rendered_once_per_reader_view(packs_world, client, monkeypatch):
    """Renders a pack's PDF twice (about 2 s)."""
    from contracts.pdf import assurance as pdf

    w = packs_world
    pack = w.packs["signed_a"]
    renders = []
    real = pdf.pdf_bytes
    monkeypatch.setattr(pdf, "pdf_bytes", lambda *a, **k: renders.append(1) or real(*a, **k))
    client.force_login(w.users["commissioner"])
    first = client.get(f"/assurance/{pack.pk}/pack.pdf").content
    second = client.get(f"/assurance/{pack.pk}/pack.pdf").content
    assert first == second and len(renders) == 1
    # Kept in the cache: with the cache emptied, it is rendered again.
    pdf.cache.clear()
    assert client.get(f"/assurance/{pack.pk}/pack.pdf").content.startswith(b"%PDF")
    assert len(renders) == 2


def test_the_pdf_fetches_nothing():
    from contracts.pdf.assurance import _no_fetching

    with pytest.raises(ValueError):
        _no_fetching("https://example.org/font.woff")


@pytest.mark.django_db
def test_packs_are_seen_by_the_right_people_only(packs_world):
    w = packs_world
    p = w.packs

    def seen(role):
        return set(AssurancePack.objects.visible_to(w.users[role]).values_list("pk", flat=True))

    assert seen("lead") == {p["signed_a"].pk, p["draft_a"].pk, p["signed_b"].pk}
    assert seen("commissioner") == {p["signed_a"].pk}
    assert seen("cvo_a") == {p["signed_a"].pk}
    assert seen("cvo_b") == {p["signed_b"].pk}
    assert seen("supervisor") == set()
    assert set(PackQuery.objects.visible_to(w.users["cvo_b"])) == set()


@pytest.mark.django_db
def test_queries_are_between_the_commissioner_and_the_lead_never_a_member(packs_world, client):
    """Reads the pack page, its history and the PDF as three people (about 3 s: a PDF rendered)."""
    w = packs_world
    pack = w.packs["signed_a"]
    with on(datetime.date(2026, 7, 26)):
        svc.query_answer(query=w.packs["query"], by=w.users["lead"], answer="CVO B lost a post.")
    for role in ("lead", "admin", "commissioner"):
        assert set(PackQuery.objects.visible_to(w.users[role])) == {w.packs["query"]}, role
    # CVO A reads the pack, but neither the question nor the answer, anywhere.
    assert pack in AssurancePack.objects.visible_to(w.users["cvo_a"])
    assert set(PackQuery.objects.visible_to(w.users["cvo_a"])) == set()
    client.force_login(w.users["cvo_a"])
    for url in (pack.get_absolute_url(), f"/history/contracts.AssurancePack/{pack.pk}/"):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert "Why were returns late?" not in text and "CVO B lost a post." not in text, url
    assert "Queries" not in client.get(pack.get_absolute_url()).content.decode()
    # Nor in the PDF, where the executive summary counts the queries for those who read them.
    member_pdf = " ".join(pdf_pages(client.get(f"/assurance/{pack.pk}/pack.pdf").content))
    assert "query" not in member_pdf.lower() and "returns late" not in member_pdf
    query_history = f"/history/contracts.PackQuery/{w.packs['query'].pk}/"
    assert client.get(query_history).status_code == 404
    # The commissioner and the lead read both, and the query's history keeps both acts.
    for role in ("commissioner", "lead"):
        client.force_login(w.users[role])
        text = client.get(pack.get_absolute_url()).content.decode()
        assert "Why were returns late?" in text and "CVO B lost a post." in text, role
        history = client.get(query_history).content.decode()
        assert "assurance pack query raised" in history and "CVO B lost a post." in history
    lead_pdf = " ".join(pdf_pages(client.get(f"/assurance/{pack.pk}/pack.pdf").content))
    assert "query from the commissioner still open" in lead_pdf or "answered" in lead_pdf


@pytest.mark.django_db
def test_the_commissioners_dashboard_shows_the_pack_waiting_with_its_download(packs_world, client):
    w = packs_world
    client.force_login(w.users["commissioner"])
    page = client.get("/").content.decode()
    pack = w.packs["signed_a"]
    assert f"/assurance/{pack.pk}/" in page
    assert f"/assurance/{pack.pk}/pack.pdf" in page
    assert "Waiting for your acknowledgement" in page
    from contracts.selectors.assurance import packs_awaiting_acknowledgement

    assert list(packs_awaiting_acknowledgement(w.users["commissioner"])) == [pack]
    assert list(packs_awaiting_acknowledgement(w.users["cvo_a"])) == []


@pytest.mark.django_db
def test_the_pack_page_and_list_run_a_bounded_number_of_queries(
    packs_world, client, django_assert_max_num_queries
):
    w = packs_world
    client.force_login(w.users["lead"])
    # More packs and queries do not add queries: the page renders the stored snapshot.
    for month in (1, 2, 3):
        start = datetime.date(2025, month, 1)
        make_pack(
            w.money["contract"],
            start,
            start + datetime.timedelta(days=27),
            by=w.users["lead"],
            sign_off=True,
            on_day=datetime.date(2026, 7, 10),
        )
    with on(datetime.date(2026, 7, 26)):
        for n in range(3):
            svc.query_raise(pack=w.packs["signed_a"], by=w.users["commissioner"], question=f"Q{n}")
    with django_assert_max_num_queries(20):
        assert client.get(f"/assurance/{w.packs['signed_a'].pk}/").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get("/assurance/").status_code == 200


@pytest.mark.django_db
def test_signing_off_through_the_page_asks_for_a_fresh_second_factor(packs_world, client):
    import time_machine
    from django.utils import timezone

    w = packs_world
    client.force_login(w.users["lead"])
    url = f"/assurance/{w.packs['draft_a'].pk}/sign-off/"
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=30), tick=False):
        response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/")
    assert AssurancePack.objects.get(pk=w.packs["draft_a"].pk).state == "draft"


@pytest.mark.django_db
def test_the_lead_signs_off_through_the_page_confirming_what_is_missing(packs_world, client):
    w = packs_world
    june = (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
    pack = make_pack(w.money["contract"], *june, by=w.users["lead"])
    client.force_login(w.users["lead"])
    url = f"/assurance/{pack.pk}/sign-off/"
    page = client.get(url).content.decode()
    assert "Return not submitted: CVO Alpha, June 2026" in page
    refused = client.post(url, {})
    assert refused.status_code == 200
    assert AssurancePack.objects.get(pk=pack.pk).state == "draft"
    done = client.post(url, {"confirm": "on"})
    assert done.status_code == 302
    pack = AssurancePack.objects.get(pk=pack.pk)
    assert pack.state == "signed_off"
    assert pack.digest in client.get(f"/assurance/{pack.pk}/").content.decode()


@pytest.mark.django_db
def test_the_demo_has_last_quarters_pack_acknowledged_with_a_query_and_this_quarters_draft(demo_db):
    from django.core.management import call_command

    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    acknowledged = AssurancePack.objects.get(state="acknowledged")
    assert acknowledged.digest == digest_of(acknowledged.snapshot)
    (query,) = PackQuery.objects.filter(pack=acknowledged)
    assert query.answer
    draft = AssurancePack.objects.get(state="draft")
    assert draft.period_start > acknowledged.period_end
    assert draft.contract == acknowledged.contract
    # The workforce and risks are seeded after the contracts: the pack still reads them.
    keys = {s["key"]: s for s in acknowledged.snapshot["sections"]}
    assert keys["workforce"]["tables"] and keys["risks"]["tables"]


@pytest.mark.django_db
def test_a_packs_history_page_follows_the_access_policy(packs_world, client):
    w = packs_world
    url = f"/history/contracts.AssurancePack/{w.packs['signed_a'].pk}/"
    client.force_login(w.users["lead"])
    assert "Signed off" in client.get(url).content.decode()
    client.force_login(w.users["supervisor"])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_member_reads_only_its_own_rows_of_the_tables_that_name_members(packs_world):
    from contracts.views.assurance import reader_snapshot

    w = packs_world
    pack = w.packs["signed_a"]
    # A made-up row about another member, as if CVO Beta were paid under contract A too.
    snapshot = dict(pack.snapshot)
    payments = next(s for s in snapshot["sections"] if s["key"] == "payments")
    payments["tables"][0]["rows"].append(["CVO Beta", 1, "10.00", 0, 0, 1, 0, 0, 0, 0])
    pack.snapshot = snapshot

    def members(user):
        seen = reader_snapshot(user, pack)
        rows = next(s for s in seen["sections"] if s["key"] == "payments")["tables"][0]["rows"]
        return {r[0] for r in rows}

    assert members(w.users["cvo_a"]) == {"CVO Alpha"}
    assert members(w.users["commissioner"]) == {"CVO Alpha", "CVO Beta"}
    assert members(w.users["lead"]) == {"CVO Alpha", "CVO Beta"}


@pytest.mark.django_db
def test_a_narrative_of_digits_stays_text_in_the_xlsx(packs_world):
    from contracts.xlsx.assurance import pack_workbook

    pack = packs_world.packs["draft_a"]
    data = pack_workbook(pack, {**pack.snapshot, "narrative": "2026"}, "")
    wb = load_workbook(io.BytesIO(data))
    cell = next(r[1] for r in wb["Cover"].iter_rows() if r[0].value == "Narrative")
    assert cell.value == "2026" and cell.data_type == "s"


def pdf_pages(data: bytes, *, layout=True) -> list[str]:
    """Each page's text, as poppler's pdftotext reads it (pages end with a form feed): laid out
    as printed, or (`layout=False`) in reading order."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        text = subprocess.run(
            ["pdftotext", *(["-layout"] if layout else []), f.name, "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    return text.split("\f")[:-1]


def _flat(text):
    return "".join(text.split())


@pytest.mark.django_db
def test_every_pdf_page_prints_this_versions_digest_and_page_n_of_m(demo_db):
    """Renders the demo pack's PDF twice (about 5 s)."""
    from django.contrib.auth.models import User

    from contracts.pdf.assurance import pdf_bytes

    lead = User.objects.get(username="lead")
    draft = AssurancePack.objects.get(state="draft")
    previous = AssurancePack.objects.get(state="acknowledged")
    pages = pdf_pages(pdf_bytes(draft))
    assert len(pages) > 1
    for n, text in enumerate(pages, start=1):
        assert "SHA-256 draft, not signed off" in " ".join(text.split()), n
        assert previous.digest not in _flat(text) or n == 1, n
        assert f"Page {n} of {len(pages)}" in text, n

    pack = svc.pack_sign_off(pack=draft, by=lead, confirmed=svc.signoff_gaps(draft, lead))
    pages = pdf_pages(pdf_bytes(pack))
    for n, text in enumerate(pages, start=1):
        flat = _flat(text)
        assert f"SHA-256{pack.digest}" in flat, n
        assert "SHA-256SHA-256" not in flat, n
        assert f"Page {n} of {len(pages)}" in text, n
    # The last pack's digest is printed once, in its own row on the first page.
    assert [n for n, t in enumerate(pages, 1) if previous.digest in _flat(t)] == [1]


@pytest.mark.django_db
def test_what_was_missing_at_sign_off_is_on_the_page_the_pdf_cover_and_the_xlsx_cover(
    packs_world, client
):
    """Renders a pack's PDF (about 3 s)."""
    from contracts.pdf.assurance import pdf_bytes

    w = packs_world
    june = (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
    with on(datetime.date(2026, 7, 1)):
        pack = make_pack(w.money["contract"], *june, by=w.users["lead"])
        gaps = svc.signoff_gaps(pack, w.users["lead"])
        pack = svc.pack_sign_off(pack=pack, by=w.users["lead"], confirmed=gaps)
    (gap,) = [g for g in gaps if "CVO Alpha" in g]
    client.force_login(w.users["commissioner"])
    page = client.get(f"/assurance/{pack.pk}/").content.decode()
    assert "Signed off with these missing" in page and gap in page
    cover = " ".join(pdf_pages(pdf_bytes(pack), layout=False)[0].split())
    assert f"Signed off with these missing • {gap}" in cover
    wb = load_workbook(io.BytesIO(client.get(f"/assurance/{pack.pk}/pack.xlsx").content))
    rows = {r[0]: r[1] for r in wb["Cover"].iter_rows(values_only=True) if r and r[0]}
    assert rows["Signed off with these missing"].splitlines() == gaps


@pytest.mark.django_db
def test_a_member_reads_only_its_own_returns_among_what_was_missing(packs_world):
    pack = packs_world.packs["signed_a"]
    pack.missing_confirmed = (
        "The period does not end until 30 June 2026.\n"
        "Return not submitted: CVO Alpha, June 2026: not started\n"
        "Return not submitted: CVO Beta, June 2026: draft"
    )
    whole = pack.missing_at_sign_off()
    assert len(whole["lines"]) == 3 and not whole["limited"]
    alpha = pack.missing_at_sign_off(["CVO Alpha"])
    assert alpha["limited"] and [line[:40] for line in alpha["lines"]] == [
        "The period does not end until 30 June 20",
        "Return not submitted: CVO Alpha, June 20",
    ]
    assert packs_world.packs["draft_a"].missing_at_sign_off() is None


def _readme_recipe():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    (recipe,) = [b for b in blocks if "def pack_digest" in b]
    space = {}
    exec(recipe, space)  # the README's own words, run as written
    return space["pack_digest"]


@pytest.mark.django_db
def test_the_readmes_recipe_reproduces_a_packs_digest_where_pythons_defaults_do_not(
    packs_world,
):
    w = packs_world
    pack = make_pack(
        w.money["contract"],
        datetime.date(2026, 5, 1),
        datetime.date(2026, 5, 31),
        by=w.users["lead"],
        sign_off=True,
        narrative="£1,250 paid to Larkspur – on time; café referrals up",
    )
    pack = AssurancePack.objects.get(pk=pack.pk)  # as stored, read back from the database
    assert _readme_recipe()(pack.snapshot) == pack.digest
    import hashlib

    defaults = hashlib.sha256(json.dumps(pack.snapshot, sort_keys=True).encode()).hexdigest()
    assert defaults != pack.digest


@pytest.mark.django_db
def test_verify_pack_says_whether_the_snapshot_still_gives_the_printed_digest(packs_world):
    from django.core.management import CommandError, call_command
    from django.db import connection

    pack = packs_world.packs["signed_a"]
    out = io.StringIO()
    call_command("verify_pack", str(pack.pk), stdout=out)
    assert f"the digest matches: {pack.digest}" in out.getvalue()

    # Changed behind Concord's back: the figures in the row no longer give its digest.
    tampered = {**pack.snapshot, "narrative": "Referrals fell."}
    table = AssurancePack._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET snapshot = %s WHERE id = %s", [json.dumps(tampered), pack.pk]
        )
    err = io.StringIO()
    with pytest.raises(SystemExit) as failed:
        call_command("verify_pack", str(pack.pk), stdout=io.StringIO(), stderr=err)
    assert failed.value.code == 1
    assert "does NOT match" in err.getvalue() and pack.digest in err.getvalue()
    assert digest_of(tampered) in err.getvalue()

    with pytest.raises(CommandError, match="draft"):
        call_command("verify_pack", str(packs_world.packs["draft_a"].pk))


@pytest.mark.django_db
def test_the_pdf_is_a_board_paper_led_by_an_executive_summary(demo_db):
    """Renders the demo's signed-off pack as a PDF (about 3 s)."""
    import subprocess
    import tempfile

    from contracts.pdf.assurance import pdf_bytes

    pack = AssurancePack.objects.get(state="acknowledged")
    data = pdf_bytes(pack)
    pages = pdf_pages(data, layout=False)
    first = " ".join(pages[0].split())
    assert "Executive summary" in first
    for text in (
        pack.snapshot["meta"]["consortium"],
        pack.contract.reference,
        pack.period_label,
        "Acknowledged",
        pack.digest,
        "Signed off with these missing",
        "Delivery against targets",
        "Subcontractor monitoring: payments to members",
        "1 answered",
        "2 new",
    ):
        assert text in first, text
    # The sections flow on from page 2: the demo pack printed on 11 pages, a section a page.
    assert len(pages) <= 5
    # The screen's sans-serif fonts throughout, footers included.
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        fonts = subprocess.run(["pdffonts", f.name], capture_output=True, text=True).stdout
    assert "Serif" not in fonts


@pytest.mark.django_db
def test_each_section_rates_itself_and_the_summary_shows_each_rating(packs_world, client):
    from contracts.selectors.assurance import pack_summary

    w = packs_world
    june = (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
    with on(datetime.date(2026, 7, 1)):
        pack = make_pack(w.money["contract"], *june, by=w.users["lead"])
        pack = svc.pack_sign_off(
            pack=pack, by=w.users["lead"], confirmed=svc.signoff_gaps(pack, w.users["lead"])
        )
    # CVO Alpha's June return is not submitted: the returns section is red.
    assert section(pack, "returns")["rag"] == "red"
    rated = {s["key"]: s.get("rag") for s in pack.snapshot["sections"]}
    assert set(rated.values()) <= {"red", "amber", "green", None}
    summary = {s["key"]: s for s in pack_summary(pack.snapshot)["sections"]}
    assert summary["returns"]["rag_label"] == "Red"
    assert summary["restatements"]["rag_label"] == "Not rated"
    client.force_login(w.users["commissioner"])
    page = client.get(f"/assurance/{pack.pk}/").content.decode()
    assert "concord-rag--red" in page and "Executive summary" in page


@pytest.mark.django_db
def test_preparing_a_pack_that_exists_links_to_it(packs_world, client):
    from contracts.forms.assurance import PrepareForm

    pack = packs_world.packs["signed_a"]
    lead = packs_world.users["lead"]
    period = f"{pack.period_start.isoformat()}:{pack.period_end.isoformat()}"
    form = PrepareForm({"contract": pack.contract_id, "period": period}, user=lead)
    if period not in dict(form.fields["period"].choices):
        form.fields["period"].choices = [(period, "The pack's quarter")]
    assert not form.is_valid()
    (message,) = form.errors["period"]
    assert f'<a class="govuk-link" href="{pack.get_absolute_url()}">open it</a>' in message


@pytest.mark.django_db
def test_a_packs_history_page_names_the_pack_once(packs_world, client):
    """Its caption said "History of assurance pack" above "Assurance pack A-1 …"."""
    from lxml import html as lxml_html

    pack = packs_world.packs["signed_a"]
    client.force_login(packs_world.users["lead"])
    response = client.get(f"/history/contracts.AssurancePack/{pack.pk}/")
    assert response.status_code == 200
    doc = lxml_html.fromstring(response.content.decode())
    caption = doc.xpath("//span[contains(@class, 'govuk-caption-l')]")[0].text_content()
    heading = doc.xpath("//h1")[0].text_content()
    assert heading.strip() == str(pack)
    assert "assurance pack assurance pack" not in f"{caption} {heading}".lower()
