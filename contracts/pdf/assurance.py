"""An assurance pack as a PDF (WeasyPrint), made from the page's own HTML with its print
stylesheet, and kept per reader's view of each version: the download reads it from here, and
the task that signs a pack off writes it here first."""

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string

from contracts.selectors.assurance import pack_summary

PRINT_CSS = settings.BASE_DIR / "static" / "assurance-print.css"
# A published pack never changes: keep each reader's view of each version for a day.
KEEP_SECONDS = 24 * 60 * 60


def _no_fetching(url, *args, **kwargs):
    # The PDF is made from the page's own HTML with its print stylesheet inlined: nothing is
    # fetched, from the network or from disk.
    raise ValueError(f"The assurance pack PDF fetches nothing ({url}).")


def pdf_bytes(pack, snapshot=None, *, missing=..., queries=..., uncompressed=False):
    """The pack as a PDF, as a reader sees it (by default: whole, as the lead does; queries
    None for a reader who does not read them)."""
    from weasyprint import CSS, HTML

    snapshot = pack.snapshot if snapshot is None else snapshot
    missing = pack.missing_at_sign_off() if missing is ... else missing
    queries = list(pack.queries.all()) if queries is ... else queries
    html = render_to_string(
        "contracts/pack_pdf.html",
        {
            "pack": pack,
            "snapshot": snapshot,
            "missing": missing,
            "summary": pack_summary(snapshot, missing=missing, queries=queries),
        },
    )
    # The print stylesheet is read from Concord's own static file on disk and handed over
    # directly: nothing is fetched.
    css = CSS(string=PRINT_CSS.read_text(encoding="utf-8"), url_fetcher=_no_fetching)
    # This version's digest goes into the footer of every page directly, never through a
    # string-set (which takes the last digest-like element on the page before).
    footer = CSS(string="@page { @bottom-left { content: " + json.dumps(pack.digest_line) + "; } }")
    return HTML(string=html, url_fetcher=_no_fetching, base_url=None).write_pdf(
        stylesheets=[css, footer], uncompressed_pdf=uncompressed
    )


def cache_key(pack, snapshot, missing, queries):
    """One reader's view of one version of the pack, by its content."""
    return (
        "pack-pdf:v5:"  # v5: members read no queries; v4: page 1 an executive summary
        + hashlib.sha256(
            json.dumps(
                [
                    pack.pk,
                    pack.version,
                    pack.state,
                    snapshot,
                    missing,
                    None if queries is None else [(q.pk, q.answered_at) for q in queries],
                ],
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()
    )


def reader_pdf(pack, snapshot, *, missing, queries):
    """The PDF of the pack as one reader sees it (what they may see of its snapshot, of what
    was missing and of its queries): kept, or rendered and kept. Rendering takes seconds at
    national scale."""
    key = cache_key(pack, snapshot, missing, queries)
    data = cache.get(key)
    if data is None:
        data = pdf_bytes(pack, snapshot, missing=missing, queries=queries)
        cache.set(key, data, KEEP_SECONDS)
    return data
