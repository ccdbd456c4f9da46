from contracts.dashboard import agreements, outcomes, returns  # noqa: F401
