"""A cookie planted from another port of the same host does not take a student's place, in Chromium.

Cookies ignore ports: a page served on another port of the teacher's machine can set ``prune_lab_key`` for
the host, with a genuine secret the server issued to the attacker. The app keeps each browser's secret in
``localStorage`` too, which belongs to one origin (port included), and puts it back when the cookie that
reached the server is not it (``ui/session.py``). Prune steps retrain 0 epochs, so they take a second.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pruning_core.service.live_server import free_port

from .helpers import wait_pruned

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COOKIE = "prune_lab_key"
TIMEOUT_MS = 120_000


def secret_in(context) -> str:
    """The cookie the page itself sees at the path "/" (the one a reload sends first)."""
    values = [c["value"] for c in context.cookies() if c["name"] == COOKIE and c["path"] == "/"]
    return values[0] if values else ""


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Prune + retrain").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)  # the first run's script: a restoring reload, if any, starts within it


@pytest.fixture
def planting_page():
    """Another server on this host, another port: its page sets the app's cookie to ``planting_page.secret``
    for the whole host, at "/" and at the websocket's path."""
    class Planter(BaseHTTPRequestHandler):
        secret = ""

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = ("<script>" + "".join(f'document.cookie = "{COOKIE}={Planter.secret}; path={path}; max-age=9999";'
                                         for path in ("/", "/_stcore")) + "</script>planted").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Planter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Planter.url = f"http://127.0.0.1:{server.server_port}/"
    try:
        yield Planter
    finally:
        server.shutdown()
        server.server_close()


def test_a_cookie_planted_from_another_port_neither_takes_nor_lends_a_students_place(browser, live_server,
                                                                                    planting_page):
    url = live_server.start()
    attacker = browser.new_context()
    open_app(attacker.new_page(), url)
    planting_page.secret = secret_in(attacker)  # a genuine secret of this server, the attacker's own
    assert planting_page.secret

    victim = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = victim.new_page()
    page.goto(url + "/?epochs=0")
    page.get_by_role("button", name="Prune + retrain").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)
    mine = secret_in(victim)
    page.get_by_role("button", name="Prune + retrain").click()
    wait_pruned(page, "90.0 %", TIMEOUT_MS)

    for _ in range(2):  # the victim opens a page on another port of the teacher's machine, twice in this tab
        page.goto(planting_page.url)
        page.get_by_text("planted").wait_for()
        assert planting_page.secret in [c["value"] for c in victim.cookies() if c["name"] == COOKIE]
        open_app(page, url)  # back to the lab: its own secret comes back, with the student's step
        wait_pruned(page, "90.0 %", TIMEOUT_MS)
        assert secret_in(victim) == mine
        assert planting_page.secret not in [c["value"] for c in victim.cookies() if c["name"] == COOKIE]

    newcomer = browser.new_context()  # planted before this browser ever opened the lab
    fresh = newcomer.new_page()
    fresh.goto(planting_page.url)
    fresh.get_by_text("planted").wait_for()
    open_app(fresh, url)
    wait_pruned(fresh, "0.0 %", TIMEOUT_MS)
    assert secret_in(newcomer) not in ("", planting_page.secret)
    assert planting_page.secret not in [c["value"] for c in newcomer.cookies() if c["name"] == COOKIE]
    for context in (attacker, victim, newcomer):
        context.close()
