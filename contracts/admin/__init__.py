from contracts.admin import assurance, outcomes, returns  # noqa: F401
