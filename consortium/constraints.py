"""A database rule that refuses a save is said as a sentence, never as the rule's name.

Django reports a refused constraint as "Constraint “payment_amount_positive_unless_adjustment”
is violated."; the database, when a save gets that far, as an IntegrityError naming it. A model
may say what each of its rules means in `constraint_messages` (name → sentence); otherwise the
rule's own name is read out in words ("paid payment has date and reference")."""

import re

FORM_MESSAGE = re.compile(r"^Constraint “(?P<name>[\w]+)” is violated\.$")
DATABASE_NAMES = (
    re.compile(r'constraint "(?P<name>\w+)"'),  # PostgreSQL
    re.compile(r"CHECK constraint failed: (?P<name>\w+)"),  # SQLite
)


def sentence(model, name):
    """What the rule called `name` on `model` means, in a sentence."""
    messages = getattr(model, "constraint_messages", {}) if model is not None else {}
    if name in messages:
        return messages[name]
    rule = name.replace("_", " ").strip()
    return f"This cannot be saved: it breaks the rule that {rule}. Check the figures and dates."


def explain_form_error(model, message):
    """The form's message for a refused constraint, as a sentence; other messages unchanged."""
    match = FORM_MESSAGE.match(str(message))
    return sentence(model, match["name"]) if match else message


def explain_integrity_error(model, error):
    """A sentence for an IntegrityError raised by the database."""
    text = str(error)
    for pattern in DATABASE_NAMES:
        match = pattern.search(text)
        if match:
            return sentence(model, match["name"])
    if "UNIQUE" in text or "unique" in text or "duplicate" in text:
        return "This cannot be saved: another record already has these details."
    return "This cannot be saved: it conflicts with what is already recorded. Check the details."
