"""Reads worked out once per request: when several panels of one page need the same figures
(the dashboard's compliance panel and its suggested risks, say), the first works them out and
the others are handed the same answer. Only while a GET or HEAD request is being answered, so a
read can never miss something the request itself wrote; outside a request nothing is kept."""

from consortium.security import current_request

ATTR = "_concord_memo"


def once_per_request(key, compute):
    """compute(), or what it gave earlier in this request for the same key (a hashable that
    says everything the answer depends on)."""
    request = current_request()
    if request is None or request.method not in ("GET", "HEAD"):
        return compute()
    memo = request.__dict__.setdefault(ATTR, {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]
