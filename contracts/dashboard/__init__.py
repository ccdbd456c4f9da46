from contracts.dashboard import agreements, returns  # noqa: F401
