"""The contracts app's access rules and checks, by sub-domain."""

from contracts.access import agreements, outcomes, returns  # noqa: F401
