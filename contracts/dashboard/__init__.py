from contracts.dashboard import agreements, assurance, outcomes, returns  # noqa: F401
