"""One chart helper: drawn once per set of figures, returned with those figures."""

from unittest import mock

from consortium import charts


def _bars(fig, figures):
    fig.add_subplot().bar([label for label, _ in figures], [value for _, value in figures])


def test_a_chart_is_drawn_once_per_figures_and_returns_them_for_its_table():
    figures = (("Jan", 3), ("Feb", 5), ("unique-to-this-test", 8))
    draw = mock.Mock(side_effect=_bars)
    first = charts.render("test-bars", figures, draw, figsize=(4, 2))
    again = charts.render("test-bars", figures, draw, figsize=(4, 2))
    assert draw.call_count == 1
    assert first.image == again.image and first.image.lstrip().startswith("<?xml")
    assert first.figures == figures and first.content_type == "image/svg+xml"
    png = charts.render("test-bars", figures, _bars, image_format="png", figsize=(4, 2))
    assert png.image.startswith(b"\x89PNG") and png.content_type == "image/png"
