"""One figure, every view: on the demo, each figure that appears in more than one place is read
from every page, PDF and workbook where it appears, as every role allowed to see it, and all
the readings agree with the one place it is computed (or the role's view says it is limited).

Covered here: payable and paid per claim; a pack's digest and audit chain head; the runway's
first cliff; funding end dates; return values and their RAG. Exposure has its own file
(test_figures_exposure.py).

Who may see each figure is taken from the access policy (`visible_to` and the apps' `can_*`
checks), and each test asserts that the roles it expects are among them, so that a reading
cannot pass by being refused."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html
from openpyxl import load_workbook

from contracts.models import AssurancePack, PbRClaim, PerformanceReturn, ReturnValue, Target
from contracts.models.assurance import digest_of
from contracts.selectors import returns as perf
from funding import runway
from funding.access import can_see_payments, can_see_runway, can_see_streams
from funding.models import FundingStream
from sample.contracts import make_pack
from tests.test_assurance_packs import pdf_pages

ROLES = ["admin", "lead", "commissioner", "cvo1", "cvo2", "supervisor", "practitioner"]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
A_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(MONTHS) + r")[a-z]* (\d{4})\b")
# A performance page's status and a pack's RAG are the same rating in two vocabularies.
STATUS_RAG = {
    "On target": "green",
    "Within 10%": "amber",
    "Below target": "red",
    "No target": "grey",
    "No figures": "none",
    "Green": "green",
    "Amber": "amber",
    "Red": "red",
}


# --- reading what a person reads ----------------------------------------------------------------


def words(node_or_text):
    text = node_or_text if isinstance(node_or_text, str) else node_or_text.text_content()
    return " ".join(text.split())


def money(text):
    """ "£1,750.00", "1,750.00" or a workbook's number as a Decimal; "—" and blanks as None."""
    if text is None:
        return None
    if isinstance(text, int | float | Decimal):
        return Decimal(str(text)).quantize(Decimal("0.01"))
    found = re.search(r"-?£?[\d,]+(?:\.\d+)?", str(text))
    return Decimal(found.group().replace("£", "").replace(",", "")) if found else None


def dates_in(text):
    """Every date written as "31 May 2027" or "31 May 2027" in a text, in order."""
    return [
        datetime.date(int(y), MONTHS.index(m[:3]) + 1, int(d)) for d, m, y in A_DATE.findall(text)
    ]


def as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return datetime.date.fromisoformat(value)
    found = dates_in(str(value))
    if not found:
        iso = re.search(r"\b\d{4}-\d{2}-\d{2}\b", str(value))
        return datetime.date.fromisoformat(iso.group()) if iso else None
    return found[0]


def get(client, url):
    response = client.get(url)
    body = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    return response.status_code, body


def page(client, url):
    status, body = get(client, url)
    assert status == 200, f"{url}: {status}"
    return lxml_html.fromstring(body.decode())


def tables(doc):
    """Every table on a page as [{header: cell text}], headers without their sort hints."""
    out = []
    for table in doc.xpath("//table"):
        # Headers without their sort hints or a "(£)" (a money column says so either way).
        headers = [
            re.sub(r"\s*\(£\)$", "", words(th).split(", sort")[0])
            for th in table.xpath(".//thead//th")
        ]
        rows = []
        for tr in table.xpath(".//tbody/tr"):
            cells = [words(c) for c in tr.xpath("./th|./td")]
            links = [a.get("href") for a in tr.xpath(".//a")]
            if len(cells) == len(headers):
                rows.append({**dict(zip(headers, cells, strict=True)), "_links": links})
        caption = table.xpath("./caption")
        out.append((words(caption[0]) if caption else "", headers, rows))
    return out


def table_with(doc, *headers):
    for _caption, names, rows in tables(doc):
        if all(h in names for h in headers):
            return rows
    raise AssertionError(f"no table with {headers}")


def workbook(client, url):
    status, body = get(client, url)
    assert status == 200, f"{url}: {status}"
    return load_workbook(io.BytesIO(body))


def sheet_rows(ws):
    """A sheet as [{header: value}] (its first row the headers), blank rows left out."""
    values = list(ws.iter_rows(values_only=True))
    headers = [re.sub(r"\s*\(£\)$", "", h) if isinstance(h, str) else h for h in values[0]]
    return [
        dict(zip(headers, row, strict=False))
        for row in values[1:]
        if any(v is not None for v in row)
    ]


def cover(wb):
    return {r[0]: r[1] for r in wb["Cover"].iter_rows(values_only=True) if r and r[0]}


def dashboard_items(client, title):
    """The lines of the dashboard panel headed `title`, or None when the panel is not there."""
    doc = page(client, reverse("dashboard"))
    for heading in doc.xpath("//section//h2|//details//h3"):
        if words(heading).startswith(title):
            # The panel: an open section, or a line collapsed below today's work.
            panel = heading.xpath("ancestor::details[1]|ancestor::section[1]")[-1]
            return [words(li) for li in panel.xpath(".//li")]
    return None


@pytest.fixture
def users(demo_db):
    return get_user_model().objects.in_bulk(ROLES, field_name="username")


def allowed(users, can):
    return {name: user for name, user in users.items() if can(user)}


# --- payable and paid per claim -------------------------------------------------------------


def test_payable_and_paid_per_claim_agree_on_every_page_workbook_and_pack(client, users):
    """Seeds the demo (once per worker) and reads about forty pages and workbooks."""
    lead = users["lead"]
    live = list(
        PbRClaim.objects.visible_to(lead)
        .filter(status__in=[PbRClaim.Status.APPROVED, PbRClaim.Status.PAID])
        .select_related("measure__contract", "claimant", "payment")
    )
    assert {c.status for c in live} == {"approved", "paid"}, "the demo has both"
    for claim in live:
        payable = claim.payable_amount
        paid = payable if claim.status == PbRClaim.Status.PAID else Decimal("0.00")
        key = (claim.measure.code, claim.claimant.name)
        period = f"?first={claim.period_start:%Y-%m-%d}&last={claim.period_start:%Y-%m-%d}"
        readers = {
            name
            for name, user in users.items()
            if PbRClaim.objects.visible_to(user).filter(pk=claim.pk).exists()
        }
        assert {"admin", "lead"} <= readers
        assert any(users[n].username in readers for n in ("cvo1", "cvo2")), "its member sees it"
        for name in ROLES:
            client.force_login(users[name])
            if name not in readers:
                status, _ = get(client, claim.get_absolute_url())
                assert status in (403, 404), (name, claim.pk)
                continue
            where = f"{name}, claim {claim.pk}"
            doc = page(client, claim.get_absolute_url())
            assert money(words(doc.get_element_by_id("claim-payable"))) == payable, where
            rows = [
                r
                for r in table_with(page(client, reverse("outcomes:claim_list")), "Payable")
                if claim.get_absolute_url() in r["_links"]
            ]
            assert [money(r["Payable"]) for r in rows] == [payable], f"{where}: list"
            wb = workbook(client, reverse("outcomes:claim_list") + "?export=xlsx")
            rows = [
                r
                for r in sheet_rows(wb.active)
                if (r["Measure"], r["Member"]) == key and as_date(r["Period"]) == claim.period_start
            ]
            assert [money(r["Payable"]) for r in rows] == [payable], f"{where}: list XLSX"
            # The statement, on the page and in its workbook: one claim in a one-day window.
            doc = page(client, reverse("outcomes:pbr_statement") + period)
            (row,) = [
                r
                for r in table_with(doc, "Measure", "Member", "Payable", "Paid")
                if (r["Measure"], r["Member"]) == key
            ]
            assert (money(row["Payable"]), money(row["Paid"])) == (payable, paid), where
            wb = workbook(client, reverse("outcomes:pbr_statement") + period + "&export=xlsx")
            (row,) = [r for r in sheet_rows(wb.active) if (r["Measure"], r["Member"]) == key]
            assert (money(row["Payable"]), money(row["Paid"])) == (payable, paid), where
            if claim.payment is None:
                continue
            # Paid: the claim's payment line, and the payment on the money pages.
            doc = page(client, claim.get_absolute_url())
            line = [
                words(r)
                for r in doc.xpath("//div[contains(@class,'govuk-summary-list__row')]")
                if words(r).startswith("Payment")
            ]
            assert [money(t) for t in line] == [paid], f"{where}: payment line {line}"
            if can_see_payments(users[name]):
                doc = page(client, claim.payment.get_absolute_url())
                assert f"£{paid:,.2f}" in words(doc), f"{where}: payment page"
                wb = workbook(client, reverse("funding:payment_list") + "?export=xlsx")
                rows = [
                    r for r in sheet_rows(wb.active) if r["Reference"] == claim.payment.reference
                ]
                assert [money(r["Amount"]) for r in rows] == [paid], f"{where}: payments XLSX"

    # A pack for the claims' period carries the same figures, on its page and in its workbook.
    claim = live[0]
    first = claim.period_start
    last = claim.period_end
    pack = make_pack(claim.measure.contract, first, last, by=lead, on_day=timezone.localdate())
    expected = {}
    for c in live:
        if c.measure.contract_id == pack.contract_id and first <= c.period_start <= last:
            payable, paid = expected.get((c.measure.code, c.claimant.name), (0, 0))
            expected[(c.measure.code, c.claimant.name)] = (
                payable + c.payable_amount,
                paid + (c.payable_amount if c.status == PbRClaim.Status.PAID else 0),
            )
    assert expected
    for name in ("lead", "admin", "commissioner"):
        client.force_login(users[name])
        if not AssurancePack.objects.visible_to(users[name]).filter(pk=pack.pk).exists():
            continue
        doc = page(client, pack.get_absolute_url())
        shown = {
            (r["Measure"], r["Member"]): (money(r["Payable"]), money(r["Paid"]))
            for r in table_with(doc, "Measure", "Member", "Payable", "Paid")
        }
        assert shown == expected, f"{name}: pack page"
        wb = workbook(client, reverse("assurance:pack_xlsx", args=[pack.pk]))
        sheet = next(ws for ws in wb if "Payment by results" in ws.title)
        found = {}
        for row in sheet.iter_rows(values_only=True):
            if row and (row[0], row[1]) in expected:
                found[(row[0], row[1])] = (money(row[8]), money(row[9]))
        assert found == expected, f"{name}: pack XLSX"


# --- a pack's digest and audit chain head ---------------------------------------------------


def test_a_packs_digest_and_audit_head_agree_on_its_page_every_pdf_page_and_the_xlsx(client, users):
    """Renders the signed-off demo pack's PDF once per role that may read it (about 3 s each)."""
    pack = AssurancePack.objects.visible_to(users["lead"]).get(state="acknowledged")
    assert digest_of(pack.snapshot) == pack.digest, "the stored snapshot gives its digest"
    head = pack.snapshot["meta"]["audit_head"]
    assert head, "the demo pack was taken after business events"
    out = io.StringIO()
    call_command("verify_pack", pack.pk, stdout=out)
    assert pack.digest in out.getvalue() and "match" in out.getvalue().lower()

    readers = [
        n for n, u in users.items() if AssurancePack.objects.visible_to(u).filter(pk=pack.pk)
    ]
    assert {"admin", "lead", "commissioner", "cvo1"} <= set(readers)
    for name in ROLES:
        client.force_login(users[name])
        if name not in readers:
            assert get(client, pack.get_absolute_url())[0] in (403, 404), name
            continue
        doc = page(client, pack.get_absolute_url())
        summary = {
            words(row.xpath("./dt")[0]): words(row.xpath("./dd")[0])
            for row in doc.xpath("//div[contains(@class,'govuk-summary-list__row')]")
            if row.xpath("./dt") and row.xpath("./dd")
        }
        assert summary["SHA-256 digest"] == pack.digest, name
        assert f"link {head['link']}, {head['hash']}" in summary["Audit chain head"], name
        assert as_date(summary["Audit chain head"]) == datetime.date.fromisoformat(head["day"])
        listed = [
            r
            for r in table_with(page(client, reverse("assurance:pack_list")), "Digest (first 12)")
            if pack.get_absolute_url() in r["_links"]
        ]
        assert [r["Digest (first 12)"] for r in listed] == [pack.digest[:12]], name

        rows = cover(workbook(client, reverse("assurance:pack_xlsx", args=[pack.pk])))
        assert rows["SHA-256 digest"] == pack.digest, name
        assert f"link {head['link']}, {head['hash']}" in rows["Audit chain head"], name

        status, body = get(client, reverse("assurance:pack_pdf", args=[pack.pk]))
        assert status == 200
        pages = pdf_pages(body)
        for n, text in enumerate(pages, start=1):
            flat = "".join(text.split())
            assert f"SHA-256{pack.digest}" in flat, (name, n)
            assert f"Page {n} of {len(pages)}" in text, (name, n)
        assert head["hash"] in "".join(pages[0].split()), f"{name}: the cover's audit head"


# --- the runway's first cliff ---------------------------------------------------------------


def test_the_runways_first_cliff_agrees_on_the_runway_its_workbook_and_the_dashboard(client, users):
    """The lead and administrator see the consortium's cliff; a commissioner sees the cliff of
    the streams they fund, and every place they read it says so."""
    readers = allowed(users, can_see_runway)
    assert set(readers) == {"admin", "lead", "commissioner"}
    whole = runway.consortium_runway(users["lead"]).first_cliff
    assert whole is not None, "the demo's runway has a cliff"
    for name, user in readers.items():
        client.force_login(user)
        data = runway.consortium_runway(user)
        cliff = data.first_cliff
        if data.limited:
            assert name == "commissioner"
        else:
            assert (cliff.month, cliff.before, cliff.after) == (
                whole.month,
                whole.before,
                whole.after,
            ), name
        before_month = cliff.month.replace(day=1) - datetime.timedelta(days=1)

        doc = page(client, reverse("funding:runway"))
        text = words(doc)
        shown = words(doc.xpath("//*[contains(@class,'concord-cliff')]//p")[0])
        assert shown == cliff.sentence(), name
        totals = {
            r["Month"]: money(r["Total"])
            for r in table_with(doc, "Month", "Total")
            if r["Month"][:3] in MONTHS
        }
        assert totals[f"{cliff.month:%B %Y}"] == cliff.after, name
        assert totals[f"{before_month:%B %Y}"] == cliff.before, name
        # The footer's total over the horizon is the months' totals added up.
        footer = doc.xpath("//tfoot//tr")[0]
        assert money(words(footer.xpath("./td")[-1])) == sum(totals.values()) == data.total, name
        assert (runway.STREAMS_LIMITED in text) == bool(data.limited), name

        wb = workbook(client, reverse("funding:runway") + "?export=xlsx")
        totals = {as_date(r["Month"]): money(r["Total"]) for r in sheet_rows(wb.active)}
        assert totals[cliff.month] == cliff.after, f"{name}: XLSX"
        assert totals[before_month.replace(day=1)] == cliff.before, f"{name}: XLSX"

        items = dashboard_items(client, "Funding runway")
        assert items and items[0] == cliff.sentence(), f"{name}: dashboard {items}"
        assert (runway.STREAMS_LIMITED in items) == bool(data.limited), f"{name}: dashboard"
    for name in set(ROLES) - set(readers):
        client.force_login(users[name])
        assert get(client, reverse("funding:runway"))[0] in (403, 404), name
        assert dashboard_items(client, "Funding runway") is None, name


# --- funding end dates ----------------------------------------------------------------------


def test_funding_end_dates_agree_on_the_streams_the_dashboards_posts_and_suggestions(client, users):
    """A stream's end on its list, its workbook, its page and the dashboard's expiring panel;
    the posts it pays, at risk on the dashboard and the runway; and each member's secured
    funding in its suggested risk."""
    from consortium.suggestions import suggestions_for
    from supervision.models import Post
    from supervision.selectors import posts_at_risk

    today = timezone.localdate()
    readers = allowed(users, can_see_streams)
    assert {"admin", "lead", "commissioner"} <= set(readers)
    for name, user in readers.items():
        client.force_login(user)
        streams = list(FundingStream.objects.visible_to(user))
        assert streams, name
        rows = {
            r["Name"]: r for r in table_with(page(client, reverse("funding:stream_list")), "End")
        }
        wb = workbook(client, reverse("funding:stream_list") + "?export=xlsx")
        xlsx = {r["Name"]: r for r in sheet_rows(wb.active)}
        # The expiring panel is the lead's and administrator's, not a commissioner's.
        expiring = dashboard_items(client, "Funding ending")
        assert expiring is not None or name == "commissioner", name
        for s in streams:
            where = f"{name}, {s.name}"
            assert as_date(rows[s.name]["End"]) == s.end, where
            assert as_date(xlsx[s.name]["End"]) == s.end, f"{where}: XLSX"
            detail = words(page(client, s.get_absolute_url()))
            assert s.end in dates_in(detail), f"{where}: its page"
            if expiring is None:
                continue
            ending = [t for t in expiring if t.startswith(s.name)]
            if today <= s.end <= today + datetime.timedelta(days=180):
                assert [dates_in(t)[0] for t in ending] == [s.end], f"{where}: dashboard"
            else:
                assert not ending, f"{where}: dashboard"

    # Posts at risk: the end of the stream that pays them, on every dashboard that lists them.
    for name, user in users.items():
        client.force_login(user)
        truth = {}
        for post, end in posts_at_risk(Post.objects.visible_to(user), today):
            truth.setdefault((post.organisation.name, end), 0)
            truth[(post.organisation.name, end)] += 1
        assert truth or name not in ("lead", "admin", "cvo1"), name
        items = dashboard_items(client, "Vacancies and posts at risk")
        if items is None:  # the panel is for those who manage staff, not a commissioner's
            assert name not in ("lead", "admin", "cvo1"), name
            continue
        shown = {}
        for line in items:
            found = re.match(r"At risk: (?:(\d+) posts|.+), (.+): funding ends (.+)$", line)
            if found:
                shown[(found[2], dates_in(found[3])[0])] = int(found[1] or 1)
        # The panel shows the first few groups; each one it shows agrees.
        assert bool(shown) == bool(truth), name
        assert all(truth.get(k) == n for k, n in shown.items()), (name, shown, truth)
        if can_see_runway(user):
            rows = table_with(page(client, reverse("funding:runway")), "Employer", "Total")
            for (org, end), n in truth.items():
                (row,) = [r for r in rows if r["Employer"] == org]
                assert int(row[f"{end:%B %Y}"]) >= n, (name, org, end)

    # A member's secured funding, in its suggested risk, is funding.runway.secured_until.
    lead = users["lead"]
    ends = runway.secured_until(lead, today)
    short = [
        s
        for s in suggestions_for(lead, today=today)
        if s.key.startswith("funding.short_of_funding")
    ]
    assert short
    for s in short:
        org_id = int(s.key.split(":")[1])
        name, end = ends[org_id]
        assert name in s.evidence and dates_in(s.evidence) == [end], s.evidence


# --- return values and their RAG ------------------------------------------------------------


def test_return_values_and_rag_agree_on_the_return_the_performance_pages_and_the_pack(
    client, users
):
    """Each figure of the latest approved returns on the return's page and the member's
    performance page (with its target and rating), for every role that may read them; and the
    contract's total in a pack for that month."""
    lead = users["lead"]
    latest = (
        PerformanceReturn.objects.visible_to(lead)
        .filter(status=PerformanceReturn.Status.APPROVED)
        .order_by("-period__start")
        .first()
    )
    month = latest.period.start
    returns = list(
        PerformanceReturn.objects.visible_to(lead)
        .filter(status=PerformanceReturn.Status.APPROVED, period__start=month)
        .select_related("subcontract__cvo", "subcontract__contract", "period")
    )
    indicator = (
        ReturnValue.objects.filter(ret=latest, indicator__breakdown_of=None, value__isnull=False)
        .select_related("indicator")
        .first()
        .indicator
    )
    assert len(returns) > 1
    for ret in returns:
        value = ReturnValue.objects.get(ret=ret, indicator=indicator).value
        target = (
            Target.objects.filter(period=ret.period, indicator=indicator)
            .values_list("value", flat=True)
            .first()
        )
        rag = perf.rag(value, target, indicator.direction)
        readers = [
            n
            for n, u in users.items()
            if PerformanceReturn.objects.visible_to(u).filter(pk=ret.pk).exists()
        ]
        assert {"admin", "lead"} <= set(readers)
        for name in readers:
            client.force_login(users[name])
            where = f"{name}, {ret}"
            column = f"{month:%b %Y}"  # the return's own month, beside its context
            figures = {
                r["Indicator"]: r[column]
                for r in table_with(page(client, ret.get_absolute_url()), "Indicator", column)
            }
            assert money(figures[indicator.name]) == value, where
            url = reverse("returns:subcontract_performance", args=[ret.subcontract_id])
            status, body = get(client, f"{url}?indicator={indicator.pk}")
            if status != 200:
                assert name not in ("lead", "admin"), where
                continue  # the performance pages are for those who manage delivery
            doc = lxml_html.fromstring(body.decode())
            rows = {r["Period"]: r for r in table_with(doc, "Period", "Actual", "Target")}
            row = rows[f"{month:%b %Y}"]
            assert Decimal(row["Actual"]) == value, where
            assert (money(row["Target"]) if target is not None else None) == target, where
            assert STATUS_RAG[row["Status"]] == rag, where

    # The contract's figure for the month in a pack (page and workbook) is the members' total.
    contract = latest.subcontract.contract
    pack = make_pack(
        contract,
        month,
        latest.period.end,
        by=lead,
        on_day=timezone.localdate(),
    )
    members = [r for r in returns if r.subcontract.contract_id == contract.pk]
    values = [ReturnValue.objects.get(ret=r, indicator=indicator).value for r in members]
    targets = [
        t
        for t in Target.objects.filter(
            period__in=[r.period for r in members], indicator=indicator
        ).values_list("value", flat=True)
    ]
    actual = perf.aggregate(indicator.aggregation, [(month, 0, v) for v in values])
    target = perf.aggregate(indicator.aggregation, [(month, 0, t) for t in targets])
    rag = perf.rag(actual, target, indicator.direction)
    for name in ("lead", "admin", "commissioner"):
        client.force_login(users[name])
        if not AssurancePack.objects.visible_to(users[name]).filter(pk=pack.pk).exists():
            assert name == "commissioner"  # a draft is the lead's until it is signed off
            continue
        (row,) = [
            r
            for r in table_with(page(client, pack.get_absolute_url()), "Code", "Actual", "RAG")
            if r["Code"] == indicator.code
        ]
        assert Decimal(row["Actual"]) == actual, f"{name}: pack page"
        assert STATUS_RAG[row["RAG"]] == rag, f"{name}: pack page"
        wb = workbook(client, reverse("assurance:pack_xlsx", args=[pack.pk]))
        sheet = next(ws for ws in wb if "Delivery" in ws.title)
        # The sheet holds the section's tables one under another: this period's comes first.
        found = next(r for r in sheet.iter_rows(values_only=True) if r and r[0] == indicator.code)
        assert Decimal(str(found[5])) == actual and STATUS_RAG[found[6]] == rag, f"{name}: XLSX"
