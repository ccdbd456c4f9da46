"""Set-up imports: what a consortium keeps in spreadsheets today (organisations, sites,
people, staff, posts, funding streams, contracts) brought in through a template per kind.

Each app registers its kinds in its own `imports.py` with @register: the columns (what each
holds and how it is read), the natural key that matches a row to a record already in Concord
(an organisation's name, a stream's name…), and how a row is created or changed — through the
app's own services, so the same rules, validation and history apply as on the forms.

An upload goes through the same guard as returns and claim evidence (consortium.xlsx_guard:
size, ZIP bombs, macros, malformed XML; read once, read-only), then is all-or-nothing: every
problem is reported with its row and column in plain English and nothing is saved until there
are none. Importing the same file again changes nothing; a changed row updates its record,
with history saying who imported it and why, and the import as a whole is one event.
"""

import contextvars
import datetime
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from consortium import access
from consortium import xlsx_guard as guard
from consortium.constraints import explain_integrity_error
from consortium.models import Consortium, Organisation
from consortium.numbers import parse_decimal, plural
from consortium.xlsx import put
from consortium.xlsx_guard import UploadProblem, UploadRefused

MAX_BYTES = 2 * 1024 * 1024
MAX_UNCOMPRESSED = 30 * 1024 * 1024
MAX_ROWS = 5000
GUIDE_SHEET = "How to fill this in"


@dataclass
class Column:
    """One column of a template: its heading, the key its value goes by, and how it is read.

    kind: "text", "date", "money", "decimal", "int", "choice" (a label or stored value of
    `choices`),
    "yesno" or "email". `past`: a date that cannot be in the future."""

    header: str
    key: str
    kind: str = "text"
    required: bool = False
    max_length: int = 200
    choices: object = None
    past: bool = False
    help: str = ""
    # Names other records (an organisation, a contract's reference, streams separated by
    # semicolons): compared without regard to letter case or order.
    refers: bool = False

    def guide(self):
        what = self.help
        if self.kind == "choice":
            what = (
                (what + " " if what else "")
                + "One of: "
                + "; ".join(str(label) for _, label in self.choices.choices)
            )
        elif self.kind == "date":
            what = (what + " " if what else "") + "A date, like 31/03/2027."
        elif self.kind == "money":
            what = (what + " " if what else "") + "An amount in pounds, like £12,500.00."
        elif self.kind == "yesno":
            what = (what + " " if what else "") + "Yes or No."
        return what

    def display(self, value):
        """The value as the template writes it (a choice by its label)."""
        if value is None:
            return None
        if self.kind == "choice":
            return str(dict(self.choices.choices).get(value, value))
        if self.kind == "yesno":
            return "Yes" if value else "No"
        return value


class ImportKind:
    """A kind of record that can be imported. Subclasses set the class attributes and the
    methods below; every method takes the importing person, whose scope bounds what it reads
    and whose roles the services check."""

    key = ""
    order = 50
    title = ""  # "Organisations and memberships"
    sheet = ""  # the data sheet's name
    noun = ("record", "records")
    columns: list = []
    natural_key: tuple = ()  # column keys; matched without regard to letter case
    defaults: dict = {}  # column key -> the value an empty cell stands for
    list_url = ""  # where the records are listed

    @staticmethod
    def check(user):
        return False

    def existing(self, user):
        """{natural key: record} of the records this person may see."""
        raise NotImplementedError

    def values_of(self, obj):
        """A record's values by column key, as a row of the template holds them."""
        raise NotImplementedError

    def validate(self, user, rows):
        """Problems across rows or with what Concord holds: unknown organisations, dates in
        the wrong order… [UploadProblem]."""
        return []

    def save(self, user, obj, values, *, reason):
        """Create (obj None) or change a record through the app's services."""
        raise NotImplementedError

    @property
    def key_words(self):
        return " and ".join(self.column(k).header.lower() for k in self.natural_key)

    def key_of(self, values):
        return tuple(str(values.get(k) or "").strip().casefold() for k in self.natural_key)

    def column(self, key):
        return next(c for c in self.columns if c.key == key)

    def letter(self, key):
        return get_column_letter([c.key for c in self.columns].index(key) + 1)


KINDS = {}


def register(cls):
    KINDS[cls.key] = cls()
    return cls


def kinds_for(user):
    return [k for k in sorted(KINDS.values(), key=lambda k: k.order) if k.check(user)]


def can_import(user):
    """Whether the person may import any kind of record (the menu entry and the page)."""
    return any(k.check(user) for k in KINDS.values())


# --- the template --------------------------------------------------------------------------


def template(kind, user):
    """The kind's template as .xlsx bytes: its headings, then the records this person may see
    (so a template downloaded, changed and uploaded again updates them), and a sheet that says
    what each column holds."""
    wb = Workbook()
    ws = wb.active
    ws.title = kind.sheet
    bold = Font(bold=True)
    for col, column in enumerate(kind.columns, start=1):
        put(ws, 1, col, column.header).font = bold
        ws.column_dimensions[get_column_letter(col)].width = max(14, len(column.header) + 4)
    for r, values in enumerate(sorted_records(kind, user), start=2):
        for col, column in enumerate(kind.columns, start=1):
            cell = put(ws, r, col, column.display(values.get(column.key)))
            if isinstance(cell.value, datetime.date):
                cell.number_format = "DD/MM/YYYY"
    ws.freeze_panes = "A2"
    guide = wb.create_sheet(GUIDE_SHEET)
    for col, text in enumerate(["Column", "Heading", "Required", "What to type"], start=1):
        put(guide, 1, col, text).font = bold
    for r, column in enumerate(kind.columns, start=2):
        put(guide, r, 1, get_column_letter(r - 1))
        put(guide, r, 2, column.header)
        put(guide, r, 3, "Yes" if column.required else "No")
        put(guide, r, 4, column.guide())
    guide.column_dimensions["B"].width = 30
    guide.column_dimensions["D"].width = 90
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sorted_records(kind, user):
    rows = [kind.values_of(obj) for obj in kind.existing(user).values()]
    return sorted(rows, key=lambda v: kind.key_of(v))


# --- reading -------------------------------------------------------------------------------


@dataclass
class Row:
    number: int
    values: dict = field(default_factory=dict)


@dataclass
class Read:
    rows: list
    problems: list


def read(kind, data, *, filename="", user=None):
    """The rows of an uploaded template, and every problem found in them (by row and column),
    after the file guard. UploadRefused when the file is not one Concord will open or is not
    this kind's template."""
    what = f"{kind.title.lower()} template"
    guard.check_container(
        data,
        filename,
        what=what,
        max_bytes=MAX_BYTES,
        max_uncompressed=MAX_UNCOMPRESSED,
    )
    width = len(kind.columns)
    rows, problems = [], []
    missing = (
        f"The workbook has no sheet called {kind.sheet}. Download the {kind.title.lower()} "
        "template, fill it in and upload that."
    )
    with guard.one_sheet(data, kind.sheet, what=kind.sheet, missing=missing) as sheet:
        too_many = f"The sheet has more than {MAX_ROWS:,} rows. Split it into smaller files."
        for number, values, cached in sheet.rows(
            max_col=width, max_row=MAX_ROWS + 1, too_many=too_many
        ):
            if number == 1:
                _check_headings(kind, values)
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            rows.append(_read_row(kind, number, values, cached, problems))
        problems += guard.merged_problems(
            sheet.merged,
            first_row=2,
            first_col=1,
            last_col=width,
            blanks="every cell after the first",
        )
    if not rows and not problems:
        raise UploadRefused(
            f"The sheet holds no {kind.noun[1]}: add one row for each under the headings."
        )
    problems += _duplicates(kind, rows)
    if user is not None:
        # Rows with a cell that could not be read carry no value for it; the kind's checks
        # look at what was read.
        said = {(p.row, p.column) for p in problems}
        with _members_read_once():
            problems += [p for p in kind.validate(user, rows) if (p.row, p.column) not in said]
    return Read(rows=rows, problems=sorted(problems, key=lambda p: (p.row or 0, p.column or "")))


def _check_headings(kind, values):
    expected = [c.header for c in kind.columns]
    found = [guard.cell_text(v) for v in values]
    if [f.casefold() for f in found] != [e.casefold() for e in expected]:
        raise UploadRefused(
            f"Row 1 must hold the template's headings ({', '.join(expected)}), in that order. "
            f"Download the {kind.title.lower()} template and copy your rows into it."
        )


def _read_row(kind, number, values, cached, problems):
    row = Row(number)
    for index, column in enumerate(kind.columns):
        letter = get_column_letter(index + 1)
        raw = values[index]
        if cached is not None and index in cached:
            problems.append(
                UploadProblem(
                    number,
                    letter,
                    f"{column.header} is a formula. Type the value itself.",
                )
            )
            continue
        try:
            value = parse_cell(column, raw)
            row.values[column.key] = kind.defaults.get(column.key) if value is None else value
        except ValidationError as e:
            problems.append(UploadProblem(number, letter, f"{column.header}: {e.messages[0]}"))
    return row


def parse_cell(column, raw):
    """One cell's value as `column` reads it; ValidationError with what to type instead."""
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "":
        if column.required:
            raise ValidationError("is empty. Fill it in.")
        return False if column.kind == "yesno" else ("" if column.kind in TEXTS else None)
    kind = column.kind
    if kind in TEXTS:
        text = str(raw)
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))  # a number typed in a text column, like a charity number
        if len(text) > column.max_length:
            raise ValidationError(
                f"is {len(text)} characters long; the most is {column.max_length}."
            )
        if kind == "email":
            try:
                validate_email(text)
            except ValidationError:
                raise ValidationError(
                    f"{text!r} is not an email address. Type one like name@example.org."
                ) from None
        return text
    if kind == "date":
        value = _date(raw)
        if column.past and value > timezone.localdate():
            raise ValidationError(f"{value:%-d %B %Y} is in the future. Give the date it happened.")
        return value
    if kind == "money":
        if isinstance(raw, float):
            raw = Decimal(str(raw))
        return parse_decimal(raw, places=2, money=True)
    if kind == "decimal":
        if isinstance(raw, float):
            raw = Decimal(str(raw))
        return parse_decimal(raw, places=2)
    if kind == "int":
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        value = parse_decimal(raw, places=0)
        return int(value)
    if kind == "choice":
        text = str(raw).casefold()
        for value, label in column.choices.choices:
            if text in (str(value).casefold(), str(label).casefold()):
                return value
        raise ValidationError(
            f"{raw!s} is not one of the choices. Type one of: "
            + "; ".join(str(label) for _, label in column.choices.choices)
            + "."
        )
    if kind == "yesno":
        text = str(raw).casefold()
        if text in ("yes", "y", "true", "1"):
            return True
        if text in ("no", "n", "false", "0"):
            return False
        raise ValidationError(f"{raw!s} is not Yes or No.")
    raise ValueError(f"unknown column kind {kind!r}")


TEXTS = ("text", "email")


def _date(raw):
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    text = str(raw).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"{text} is not a date. Type it like 31/03/2027.")


def _duplicates(kind, rows):
    seen, problems = {}, []
    headers = kind.key_words
    for row in rows:
        key = kind.key_of(row.values)
        if not any(key):
            continue
        if key in seen:
            problems.append(
                UploadProblem(
                    row.number,
                    kind.letter(kind.natural_key[0]),
                    f"the same {headers} as row {seen[key]}: each {kind.noun[0]} goes on one "
                    "row only.",
                )
            )
        else:
            seen[key] = row.number
    return problems


# --- saving --------------------------------------------------------------------------------


class ImportInvalid(guard.UploadInvalid):
    """Some rows of an import are wrong; nothing was imported."""

    @property
    def summary(self):
        return (
            f"{plural(len(self.problems), 'problem')} found, so nothing was imported. Correct "
            "them in the spreadsheet and upload it again."
        )


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self):
        return f"{self.created} added, {self.updated} changed, {self.unchanged} unchanged"


def import_rows(*, kind, by, rows, reason, filename=""):
    """Save the rows, all or nothing: a record matched by its natural key is changed only if
    a value differs; the rest are created, each through the app's services. A refusal from
    a service is a problem on its row and nothing is saved (ImportInvalid). The import, if it
    changed anything, is one event in the consortium's record, with who and why."""
    if not kind.check(by):
        raise PermissionDenied("You cannot import these records.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why you are importing this file."})
    outcome, problems = Outcome(), []
    with transaction.atomic(), _members_read_once():
        existing = kind.existing(by)
        for row in rows:
            obj = existing.get(kind.key_of(row.values))
            if obj is not None and _same(kind, obj, row.values):
                outcome.unchanged += 1
                continue
            try:
                with transaction.atomic():
                    saved = kind.save(by, obj, row.values, reason=reason)
            except ValidationError as e:
                problems += _row_problems(kind, row, e)
                continue
            except PermissionDenied as e:
                problems.append(UploadProblem(row.number, None, str(e)))
                continue
            except IntegrityError as e:
                problems.append(UploadProblem(row.number, None, explain_integrity_error(None, e)))
                continue
            if obj is None:
                outcome.created += 1
                existing[kind.key_of(row.values)] = saved
            else:
                outcome.updated += 1
        if problems:
            raise ImportInvalid(problems)
        if outcome.created or outcome.updated:
            consortium = Consortium.objects.get(pk=access.actor(by).consortium_id)
            consortium.record(
                f"{kind.title} imported from a spreadsheet",
                by=by,
                reason=reason,
                details={
                    "kind": kind.key,
                    "file": filename,
                    "added": outcome.created,
                    "changed": outcome.updated,
                    "unchanged": outcome.unchanged,
                },
            )
    return outcome


def _same(kind, obj, values):
    current = kind.values_of(obj)
    refers = {c.key for c in kind.columns if c.refers}
    return all(
        _norm(current.get(k), k in refers) == _norm(v, k in refers) for k, v in values.items()
    )


def _norm(value, refers=False):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    if isinstance(value, str) and refers:
        return "; ".join(sorted(p.strip().casefold() for p in value.split(";") if p.strip()))
    if isinstance(value, str):
        return value.strip()
    return value


def _row_problems(kind, row, error):
    keys = [c.key for c in kind.columns]
    out = []
    if hasattr(error, "error_dict"):
        for name, errs in error.error_dict.items():
            letter = kind.letter(name) if name in keys else None
            header = f"{kind.column(name).header}: " if name in keys else ""
            for e in errs:
                for text in e.messages if hasattr(e, "messages") else [str(e)]:
                    out.append(UploadProblem(row.number, letter, f"{header}{text}"))
    else:
        out += [UploadProblem(row.number, None, text) for text in error.messages]
    return out


def problem_at(problems, row, key, kind, text):
    """A problem on `row` in the column of `key`."""
    problems.append(UploadProblem(row.number, kind.letter(key), text))


# --- the consortium's members, read once per file ----------------------------------------


# While a file is checked or saved, the members are read once, not once for every row that
# names one (no kind creates the organisations its own rows name).
_members_read = contextvars.ContextVar("import_members_read", default=None)


@contextmanager
def _members_read_once():
    token = _members_read.set({})
    try:
        yield
    finally:
        _members_read.reset(token)


def _members_by_name(user):
    """{name folded: organisation} of the consortium's members this person may see."""
    read = _members_read.get()
    if read is not None and user.pk in read:
        return read[user.pk]
    members = {o.name.casefold(): o for o in Organisation.objects.visible_to(user)}
    if read is not None:
        read[user.pk] = members
    return members


def unknown_organisations(kind, user, rows, key):
    """A problem for each row naming an organisation that is not a member of the consortium."""
    known = _members_by_name(user)
    problems = []
    for row in rows:
        name = row.values.get(key) or ""
        if name and name.casefold() not in known:
            problem_at(
                problems,
                row,
                key,
                kind,
                f"{kind.column(key).header}: no member of the consortium is called {name}. "
                "Import or add the organisation first, or correct the name.",
            )
    return problems


def organisation_named(user, name):
    if not name:
        return None
    return _members_by_name(user).get(name.casefold())
