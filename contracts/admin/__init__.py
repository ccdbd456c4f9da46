from contracts.admin import outcomes, returns  # noqa: F401
