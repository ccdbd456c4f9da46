from contracts.admin import returns  # noqa: F401
