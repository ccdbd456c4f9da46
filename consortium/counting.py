"""The first few rows of a list and how many it has in all, read together."""

from django.db.models import Count, Window


def first_and_total(qs, n):
    """([the first `n` rows of `qs`, in its order], how many rows `qs` has in all), in one
    query: the count rides beside the rows as a window (COUNT(*) OVER ()), so a dashboard
    panel or a reminder kind runs the same queries however long its list is."""
    rows = list(qs.annotate(rows_in_all=Window(Count("pk")))[:n])
    return rows, (rows[0].rows_in_all if rows else 0)
