"""gunicorn settings for the bench's server (bench/server.py starts it with `-c` this file).

One hook: a request carrying `X-Bench-Clear-Cache` empties the worker's cache first, so the
bench can time a chart or a page as its first request after a change (the cache is each
worker's own memory, out of reach of the bench's process). Nothing else differs from
`gunicorn concord.wsgi`.
"""


def pre_request(worker, req):
    if any(name == "X-BENCH-CLEAR-CACHE" for name, _ in req.headers):
        from django.core.cache import cache

        cache.clear()
