"""One table a reader can put beside issue #13's: each of its rows with the figure this run
measured and the target. Printed at the end of a run and written to var/bench/summary.md.

Page figures are p95 through the server with 1 and with 4 clients (the test client's p95
when the run skipped the server); ratios of scales are of p50 with 1 client.
"""

# The (page, role) pairs the summary reads; `--summary` measures only these.
PAGES = {
    ("dashboard", "lead"),
    ("dashboard (workforce)", "colleague"),
    ("runway", "lead"),
    ("compliance matrix", "lead"),
    ("sessions", "cvo"),
    ("performance", "lead"),
    ("compliance chart", "lead"),
    ("runway chart", "lead"),
    # Measured beside the summary's rows (issue #23's table): read from the main tables.
    ("pbr statement", "lead"),
    ("dashboard (workforce)", "commissioner"),
    ("risk list", "lead"),
}
# national ÷ small p50: (label, page, role)
GROWTH = [
    ("performance", "performance", "lead"),
    ("compliance", "compliance matrix", "lead"),
    ("dashboard", "dashboard", "lead"),
    ("runway", "runway", "lead"),
]


def _page(results, scale, page, role):
    return next(
        (r for r in results if r["scale"] == scale and r["page"] == page and r["role"] == role),
        None,
    )


def _p(r, clients, key):
    """A figure through the server with `clients` clients, or the test client's."""
    if r is None:
        return None
    server = r.get("server") or {}
    if str(clients) in server:
        return server[str(clients)][key]
    return r[key] if clients == 1 else None


def _ms(v):
    return "—" if v is None else f"{v:,.0f}"


def _met(*checks):
    known = [c for c in checks if c is not None]
    if not known:
        return "?"
    return "yes" if all(known) else "no"


def _within(value, limit):
    return None if value is None else value <= limit


def rows(results, extras, scales):
    """[(what, measured, target, met)] for the largest scale measured (and the ratios between
    scales when both were measured)."""
    big = scales[-1]
    ex = extras.get(big, {})
    out = []

    for key, what in (
        ("payments xlsx", "XLSX export, payments"),
        ("sessions xlsx", "XLSX export, sessions"),
    ):
        e = ex.get("exports", {}).get(key)
        if not e or "ratio" not in e:
            out.append((what, (e or {}).get("note", "not measured"), "≤ 1.2× raw, ≤ 100 MB", "?"))
            continue
        out.append(
            (
                f"{what} ({e['rows']:,} rows, {e['cells']:,} cells)",
                f"{e['ms'] / 1000:.2f} s, {e['ratio']:.1f}× raw openpyxl write-only "
                f"({e['raw_ms'] / 1000:.2f} s), peak {e['peak_mb']:.0f} MB "
                f"(+{e['growth_mb']:.0f} MB)",
                "≤ 1.2× raw, ≤ 100 MB",
                _met(e["ratio"] <= 1.2, e["peak_mb"] <= 100),
            )
        )
    e = ex.get("exports", {}).get("streams xlsx")
    if e and "ratio" in e:
        out.append(
            (
                f"streams XLSX ({e['rows']:,} rows)",
                f"{e['ms']:,.0f} ms, {e['ratio']:.1f}× raw ({e['raw_ms']:,.0f} ms)",
                "≤ 1.2× raw",
                _met(e["ratio"] <= 1.2),
            )
        )
    else:
        out.append(("streams XLSX", "not measured", "≤ 1.2× raw", "?"))
    u = ex.get("upload")
    out.append(
        (
            "template upload (parse + validate + save)",
            f"{u['ratio']:.1f}× raw read-only parse ({u['ms']:.0f} vs {u['raw_ms']:.0f} ms, "
            f"{u['rows']} rows)"
            if u
            else "not measured",
            "≤ 3×",
            _met(u["ratio"] <= 3) if u else "?",
        )
    )

    def page_row(what, page, role, extra=""):
        r = _page(results, big, page, role)
        one, four = _p(r, 1, "p95_ms"), _p(r, 4, "p95_ms")
        size = f", {r['bytes'] / 1024:,.0f} KB of HTML" if r and extra == "size" else ""
        out.append(
            (
                what,
                f"p95 {_ms(one)} / {_ms(four)} ms{size}",
                "≤ 150 / ≤ 300 ms",
                _met(_within(one, 150), _within(four, 300)),
            )
        )

    page_row("lead dashboard", "dashboard", "lead")
    page_row("supervisor's dashboard", "dashboard (workforce)", "colleague")
    page_row("runway", "runway", "lead", "size")
    page_row("compliance matrix", "compliance matrix", "lead")
    un = ex.get("uncached", {})
    if "compliance matrix" in un:
        v = un["compliance matrix"]["p50_ms"]
        out.append(("compliance matrix, uncached", f"p50 {_ms(v)} ms", "≤ 150 ms", _met(v <= 150)))
    page_row("CVO manager's sessions list", "sessions", "cvo")

    pairs = {p["name"]: p for p in ex.get("admin", [])}
    for name, what in (
        ("payments", "payments list vs admin changelist"),
        ("payments filtered (approved)", "payments list vs admin, filtered by status"),
        ("streams", "streams list vs admin changelist"),
        ("sessions", "sessions list vs admin changelist"),
        ("staff", "staff list vs admin changelist"),
    ):
        p = pairs.get(name)
        if p is None:
            out.append((what, "not measured", "≤ 1.0×", "?"))
            continue
        out.append(
            (
                f"{what} ({p['per_page']} a page)",
                f"{p['ratio']:.2f}× (p50 {p['list_p50_ms']:,.0f} vs {p['admin_p50_ms']:,.0f} ms)",
                "≤ 1.0×",
                _met(p["ratio"] <= 1.0),
            )
        )

    if len(scales) > 1:
        small = scales[0]
        parts, checks = [], []
        for label, page, role in GROWTH:
            a = _p(_page(results, small, page, role), 1, "p50_ms")
            b = _p(_page(results, big, page, role), 1, "p50_ms")
            if a and b:
                parts.append(f"{label} {b / a:.1f}×")
                checks.append(b / a <= 1.5)
            else:
                parts.append(f"{label} —")
        out.append((f"{big} ÷ {small} p50", ", ".join(parts), "≤ 1.5×", _met(*checks)))
    else:
        out.append(("national ÷ small p50", "needs both scales", "≤ 1.5×", "?"))

    charts, checks = [], []
    for label, page in (("compliance", "compliance chart"), ("runway", "runway chart")):
        c = un.get(page)
        charts.append(f"{label} {_ms(c['p50_ms']) if c else '—'} ms")
        checks.append(c["p50_ms"] <= 150 if c else None)
    out.append(("charts uncached (p50)", ", ".join(charts), "≤ 150 ms", _met(*checks)))
    return out


def markdown(table, heading):
    lines = [heading, "", "| what | measured | target | met |", "|---|---|---|---|"]
    lines += [
        f"| {what} | {measured} | {target} | {met} |" for what, measured, target, met in table
    ]
    return "\n".join(lines) + "\n"


def text(table):
    headers = ("what", "measured", "target", "met")
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    lines = []
    for row in [headers, tuple("-" * w for w in widths), *table]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)
