"""The demo consortium (`manage.py seed_demo`), a module per app, built with the sample data's
factories (sample/). No application module imports it."""
