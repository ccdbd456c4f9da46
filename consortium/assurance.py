"""The assurance pack's sections: a registry each app fills from its own `assurance.py`
(discovered once at start-up by ConsortiumConfig.ready), the way dashboards are built.

A section is a function `(ctx) -> dict` registered with `@pack_section(key, title, order)`.
It returns plain, JSON-serialisable data, so that one template partial, the XLSX writer and
the PDF render any section the same way, and the figures can be frozen in a snapshot:

    {
        "summary": ["one line", ...],                     # optional
        "tables": [{"caption": "...", "columns": [...], "rows": [[...], ...]}],
        "empty": "What to say when there is nothing",     # shown when no table has rows
        "template": "app/partials/_x.html",               # optional richer on-screen view
        "rag": "red" | "amber" | "green",                 # optional: the section's rating
    }

`rag` is the section's own rating for the pack's executive summary, by the rule its app
states beside it; a section without one is shown as "Not rated".

Cells are text, whole numbers, money as text ("1234.50") or dates as ISO text; `cell()`
turns any value into one. A section whose app has nothing yet returns just `empty`.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class PackContext:
    """What a section needs: the consortium, the contract(s) the pack covers, the period,
    the previous signed-off pack's snapshot (for "since the last pack"), the person
    preparing it and the day the figures are taken."""

    consortium_id: int
    contracts: tuple
    start: datetime.date
    end: datetime.date
    user: object
    today: datetime.date
    previous: dict | None = None
    extra: dict = field(default_factory=dict)

    @property
    def contract_ids(self):
        return [c.pk for c in self.contracts]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    order: int
    fn: object


SECTIONS = {}


def pack_section(key, title, order=50):
    """Register a section of the assurance pack (in a module discovered at start-up)."""

    def register(fn):
        found = SECTIONS.get(key)
        if found is not None and found.fn is not fn:
            # Re-importing the same module registers the same function again; anything else
            # is two apps claiming one key.
            if (found.fn.__module__, found.fn.__qualname__) != (fn.__module__, fn.__qualname__):
                raise ImproperlyConfigured(f"Two assurance pack sections for {key}")
        SECTIONS[key] = Section(key=key, title=title, order=order, fn=fn)
        return fn

    return register


def sections():
    return sorted(SECTIONS.values(), key=lambda s: (s.order, s.key))


def cell(value):
    """A value as the snapshot stores it: text, whole numbers and None stay; Decimals become
    text (to the penny as stored); dates become ISO text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def table(columns, rows, caption="", member_column=None):
    """A table of a section. `member_column`: the index of the column naming the member a row
    is about, so that a member reading the pack sees only its own rows."""
    out = {
        "caption": caption,
        "columns": [str(c) for c in columns],
        "rows": [[cell(v) for v in row] for row in rows],
    }
    if member_column is not None:
        out["member_column"] = member_column
    return out


def for_member(snapshot, names):
    """The snapshot as a member sees it: rows about other members left out of every table
    that names its member (the stored snapshot and its digest are unchanged)."""
    names = set(names)
    sections = []
    for s in snapshot.get("sections", []):
        tables = []
        for t in s.get("tables", []):
            col = t.get("member_column")
            if col is not None:
                t = {**t, "rows": [r for r in t["rows"] if r[col] in names]}
            tables.append(t)
        sections.append({**s, "tables": tables})
    return {**snapshot, "sections": sections}


def build(ctx, progress=None):
    """Every registered section for `ctx`, in order: [{"key", "title", ...data}]. A section
    that returns nothing says so plainly. `progress(done)` is told after each section (a task
    shows the person how far it has got)."""
    out = []
    for s in sections():
        data = s.fn(ctx) or {}
        data.setdefault("summary", [])
        data.setdefault("tables", [])
        data.setdefault("empty", "Nothing to report for this period.")
        out.append({"key": s.key, "title": s.title, **data})
        if progress is not None:
            progress(len(out))
    return out


def is_empty(section):
    return not any(t["rows"] for t in section.get("tables", ())) and not section.get("summary")
