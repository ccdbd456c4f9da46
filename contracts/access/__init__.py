"""The contracts app's access rules and checks, by sub-domain."""

from contracts.access import agreements, assurance, outcomes, returns  # noqa: F401
