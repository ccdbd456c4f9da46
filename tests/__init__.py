"""Concord's tests (pytest): see README.md, "Tests"."""
