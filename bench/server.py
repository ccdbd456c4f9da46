"""Timing through a real server: gunicorn serving concord.wsgi with production settings.

`Server` collects the static files, starts gunicorn (2 sync workers, as production runs it,
on a free port on 127.0.0.1) against the bench's database, and stops it. The bench signs its
users in by writing their sessions straight into the database (`session_cookie`): the
password step as Django's login does it and the second factor as django-otp's login does
it, so the two-factor middleware lets them through. Requests go over plain HTTP with the
header a TLS-terminating proxy adds (`X-Forwarded-Proto: https`).

`time_page` times a page with N concurrent clients (threads, each with its own connection);
`fetch` times one request. `Server.peak_reset` / `Server.peaks` read the workers' peak
memory (VmHWM in /proc, which writing 5 to clear_refs resets).
"""

import http.client
import math
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2

# The same keys in the bench's own process and in the server's, so the sessions the bench
# writes are the server's sessions (their signatures and the password hash in them use the
# secret key).
KEYS = {
    "CONCORD_SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
    "CONCORD_PSEUDONYM_KEY": "bench-only-pseudonym-key-" + "p" * 20,
    "CONCORD_AUDIT_KEY": "bench-only-audit-key-" + "a" * 20,
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_environment(port, production=True):
    """Production settings (DEBUG off, manifest static files served by whitenoise, secure
    cookies, HSTS) on the bench's database; or, when the static files cannot be collected
    for production, development settings with DEBUG off (whitenoise serving the static
    folders as they are)."""
    env = dict(os.environ)
    env.pop("CONCORD_DEBUG", None)
    env.update(KEYS)
    env.update(
        {
            "CONCORD_ENV": "production" if production else "development",
            "CONCORD_DEBUG": "false",
            "CONCORD_ALLOWED_HOSTS": "127.0.0.1",
            "CONCORD_LOG_LEVEL": "ERROR",
            "CONCORD_SITE_URL": f"https://127.0.0.1:{port}",
            "DJANGO_SETTINGS_MODULE": "concord.settings",
            # The exports are timed as written in the request, whatever their row count,
            # against the raw writer; production prepares the large ones in a task worker.
            "CONCORD_DOWNLOAD_BACKGROUND_ROWS": str(10**9),
        }
    )
    return env


class Server:
    def __init__(self, workers=WORKERS):
        self.workers = workers
        self.port = free_port()
        self.env = server_environment(self.port)
        self.settings = "production"
        self.process = None
        self.log = None

    def collectstatic(self):
        """Collect the static files as a deployment does; if that fails (a stylesheet
        naming a file the front-end build lacks), serve with development settings and DEBUG
        off instead, and say so. Returns (seconds, message or None)."""
        started = time.perf_counter()
        done = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        message = None
        if done.returncode:
            last = [
                line.split(" with <")[0] for line in done.stderr.splitlines() if "Error" in line
            ]
            message = (
                "collectstatic failed for production settings "
                f"({last[-1] if last else 'no message'}): serving with development settings, "
                "DEBUG off"
            )
            self.env = server_environment(self.port, production=False)
            self.settings = "development, DEBUG off"
        # The server's settings choose its cache; where that is a database table (the
        # production default), make it, as `migrate` does when run with those settings.
        subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "createcachetable", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        return time.perf_counter() - started, message

    def start(self):
        log_path = ROOT / "var" / "bench" / "gunicorn.log"
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "concord.wsgi",
                "-c",
                str(ROOT / "bench" / "gunicorn_conf.py"),
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "600",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start-up: see {log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/account/login/", headers={"X-Forwarded-Proto": "https"})
                conn.getresponse().read()
                conn.close()
                if len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not answer within 120 s: see {log_path}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log:
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- memory of the workers ---

    def worker_pids(self):
        pid = self.process.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def peak_reset(self):
        for pid in self.worker_pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                pass

    def peaks(self):
        """{pid: (peak MB since the last reset, resident MB now)} for each worker."""
        out = {}
        for pid in self.worker_pids():
            fields = {}
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    name, _, value = line.partition(":")
                    if name in ("VmHWM", "VmRSS"):
                        fields[name] = int(value.split()[0]) / 1024
            except OSError:
                continue
            out[pid] = (fields.get("VmHWM", 0.0), fields.get("VmRSS", 0.0))
        return out


# --- signing in ---------------------------------------------------------------------------


def session_cookie(user):
    """A `Cookie:` header value for a session of `user`, signed in completely: Django's login
    (the password step) and django-otp's login with one of their authenticators (the second
    factor, just now). Written to the session store the server reads."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import login
    from django.http import HttpRequest
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from consortium import twofactor

    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.user = user  # django-otp's login reads the person from the request
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Bench authenticator")
    twofactor.verify_session(request, device)
    request.session.save()
    return f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}"


# --- requests -----------------------------------------------------------------------------


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Client:
    """One browser: its own connection (reopened when a sync worker closes it)."""

    def __init__(self, port, cookie):
        self.port = port
        self.cookie = cookie
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        self.location = None

    def get(self, path, headers=None):
        """(status, body, milliseconds to the last byte)."""
        all_headers = {"Cookie": self.cookie, "X-Forwarded-Proto": "https", **(headers or {})}
        started = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=all_headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
            self.conn.close()
            started = time.perf_counter()
            self.conn.request("GET", path, headers=all_headers)
            response = self.conn.getresponse()
        body = response.read()
        ms = (time.perf_counter() - started) * 1000
        self.location = response.getheader("Location")
        if response.will_close:
            self.conn.close()
        return response.status, body, ms, response.getheader("Content-Type", "")

    def close(self):
        self.conn.close()


def fetch(port, cookie, path, headers=None):
    client = Client(port, cookie)
    try:
        return client.get(path, headers)
    finally:
        client.close()


def time_page(port, cookie, path, repeat, concurrency, headers=None):
    """p50/p95 of `repeat` requests for `path` (at least one per client), made by
    `concurrency` clients at once, after one warm-up request per worker."""
    warm = Client(port, cookie)
    for _ in range(WORKERS):
        status, body, _, _ = warm.get(path, headers)
        if status != 200:
            raise SystemExit(
                f"{path} answered {status} through the server"
                + (f" (to {warm.location})" if warm.location else "")
            )
    warm.close()
    each = max(1, math.ceil(repeat / concurrency))
    times, errors = [], []
    lock = threading.Lock()
    start = threading.Barrier(concurrency)

    def run():
        client = Client(port, cookie)
        mine = []
        start.wait()
        for _ in range(each):
            status, _, ms, _ = client.get(path, headers)
            if status != 200:
                errors.append(status)
            mine.append(ms)
        client.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{path} answered {errors[0]} through the server")
    return {
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "requests": len(times),
        "bytes": len(body),
    }
