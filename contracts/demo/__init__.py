from contracts.demo.agreements import seed  # noqa: F401
