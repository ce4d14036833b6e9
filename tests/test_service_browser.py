"""The team worklist page in a real browser (Debian's Chromium): a biller signs in with a token, submits two
visits, sees them on the worklist with their status, and marks the one with errors fixed."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_browser import CHROMEDRIVER, CHROMIUM, browser  # noqa: F401 - the shared fixture
from tests.test_service import _user, serve_team, stop_team, url, visit  # noqa: F401 - url: a fixture

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs Debian's chromium and chromium-driver (scripts/test-tools.sh)")


@contextlib.contextmanager
def team_in_a_thread(directory: Path) -> Iterator[tuple[str, str, str]]:
    """`igclaim serve --team` on SQLite in a thread of this process: its address, its database and a biller's
    token (the browser tests' server; tests/test_web_audit.py uses it too)."""
    import uvicorn

    from igclaim.service.app import create_app

    db = f"sqlite:///{directory}/team.sqlite"
    token = _user(db, "bo", "biller")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", db, token
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    with team_in_a_thread(tmp_path_factory.mktemp("team")) as (base, _, token):
        yield base, token


def _rows(driver):
    """The table as text, read in one script (the page redraws it after each action)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#rows tr')].map(tr => [...tr.cells].map(td => td.textContent));")


def _wait(predicate, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_biller_works_the_worklist(browser, team_server):  # noqa: F811 - the fixture
    from selenium.webdriver.common.by import By

    base, token = team_server
    browser.get(base + "/team")
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "save-token").click()
    body = "\n".join([json.dumps(visit(1)), json.dumps(visit(2, diagnoses=[]))])
    browser.execute_script("document.getElementById('encounters').value = arguments[0];", body)
    browser.find_element(By.ID, "submit").click()
    rows = _wait(lambda: len(_rows(browser)) == 2 and _rows(browser))
    assert [(r[0], r[2]) for r in rows] == [("v001", "ready"), ("v002", "scrubbed")]
    assert "2 stored" in browser.find_element(By.ID, "message").text or "claims shown" in \
        browser.find_element(By.ID, "message").text
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='Mark v002 fixed']").click()
    _wait(lambda: [r[2] for r in _rows(browser)] == ["ready", "ready"])


def test_page_without_a_token_says_so(browser, team_server):  # noqa: F811
    from selenium.webdriver.common.by import By

    base, _ = team_server
    browser.get(base + "/team")
    browser.execute_script("sessionStorage.clear()")
    browser.find_element(By.ID, "token").clear()
    browser.find_element(By.ID, "save-token").click()
    # the page may first finish the load it began with the token it remembered; wait for the answer to this one
    _wait(lambda: "bearer token is required" in browser.find_element(By.ID, "message").text)


def test_page_filters_by_date_and_keeps_what_the_submit_said(browser, team_server):  # noqa: F811
    from selenium.webdriver.common.by import By

    base, token = team_server
    browser.get(base + "/team")
    browser.find_element(By.ID, "token").clear()
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "save-token").click()
    body = "\n".join([json.dumps(visit(10)), json.dumps(visit(11)), "{not json"])
    browser.execute_script("document.getElementById('encounters').value = arguments[0];", body)
    browser.find_element(By.ID, "submit").click()
    # the refused line's reason stays on screen after the worklist reloads
    message = _wait(lambda: "stored" in (t := browser.find_element(By.ID, "message").text) and t)
    assert message.startswith("2 stored; 1 refused: line 3: not JSON")
    for field, day in (("date_from", "2026-03-11"), ("date_to", "2026-03-12")):
        browser.execute_script("document.getElementById(arguments[0]).value = arguments[1];", field, day)
    browser.find_element(By.ID, "refresh").click()
    _wait(lambda: [r[0] for r in _rows(browser)] == ["v010", "v011"])


# ------------------------------------------------------------------------------------------ the billing team's journey


def _sign_in(driver, base: str, token: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/team")
    driver.execute_script("sessionStorage.clear()")
    field = driver.find_element(By.ID, "token")
    field.clear()
    field.send_keys(token)
    driver.find_element(By.ID, "save-token").click()
    _wait(lambda: "claims shown" in driver.find_element(By.ID, "message").text)


def _table(driver, tbody: str):
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(tr => [...tr.cells].map(td => td.textContent));",
        f"#{tbody} tr")


def _submit(driver, *encounters) -> None:
    from selenium.webdriver.common.by import By

    driver.execute_script("document.getElementById('encounters').value = arguments[0];",
                          "\n".join(json.dumps(e) for e in encounters))
    driver.find_element(By.ID, "submit").click()
    _wait(lambda: "stored" in driver.find_element(By.ID, "message").text)


def _export(driver, downloads=None) -> str | None:
    """Export the ready 837P claims from the page and follow its download link; the interchange downloaded (when
    `downloads`, the browser's download folder, is given)."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "export-p").click()
    _wait(lambda: "exported with" in driver.find_element(By.ID, "message").text)
    link = driver.find_element(By.ID, "download")
    assert link.is_displayed() and link.get_attribute("download") == "claims-837P.x12"
    if downloads is None:
        return None
    link.click()
    done = _wait(lambda: (f := downloads / "claims-837P.x12").exists() and f.stat().st_size and f)
    return done.read_text()


def test_a_billing_team_uses_an_authorization_up_across_visits_and_a_restart(browser, url, tmp_path):  # noqa: F811
    """The issue's check, on the page: two billers, an authorization added on the page and used up visit by visit,
    the team's own charges in the exported 837, the service restarted between the visits; on SQLite and on the
    project's PostgreSQL."""
    from decimal import Decimal

    from selenium.webdriver.common.by import By

    from tests.test_service import OFFICE, _segments
    from tests.test_x12 import pyx12_check

    bo, cy = _user(url, "bo", "biller"), _user(url, "cy", "biller")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = serve_team(url, str(tmp_path), port)
    try:
        # bo: the team's charge master, then the authorization, then the first visit, exported
        _sign_in(browser, base, bo)
        browser.find_element(By.ID, "cm-csv").send_keys("code,unit_charge\nJ1561,123.45\n96365,310.00\n96366,95.50")
        browser.find_element(By.ID, "cm-save").click()
        _wait(lambda: "saved: 3 codes" in browser.find_element(By.ID, "cm-message").text)
        for field, value in (("pa-number", "PA-77"), ("pa-payer", "Medicare Part B"),
                             ("pa-member", OFFICE["subscriber"]["member_id"]), ("pa-hcpcs", "j1561"),
                             ("pa-units", "130")):
            browser.find_element(By.ID, field).send_keys(value)
        for field, day in (("pa-start", "2026-03-01"), ("pa-end", "2026-06-30")):
            browser.execute_script("document.getElementById(arguments[0]).value = arguments[1];", field, day)
        browser.find_element(By.ID, "pa-add").click()
        _wait(lambda: "PA-77 added" in browser.find_element(By.ID, "pa-message").text)
        [row] = _table(browser, "pa-rows")
        assert row[1:10] == ["PA-77", "Medicare Part B", OFFICE["subscriber"]["member_id"], "J1561", "130 of 130",
                             "—", "—", "2026-03-01", "2026-06-30"]
        _submit(browser, visit(1))
        assert [(r[0], r[2]) for r in _rows(browser)] == [("v001", "ready")]
        first = _export(browser, downloads)
        assert "1 exported with the team's charge master" in browser.find_element(By.ID, "message").text
        assert pyx12_check(first) == []
        charges = [Decimal(s[2]) for s in _segments(first, "SV1")]
        assert charges[0] == Decimal("123.45") * 60  # J1561 × 60 units at the team's own charge, not the sample's
        _wait(lambda: _table(browser, "pa-rows")[0][5] == "70 of 130")
    finally:
        stop_team(server)

    server = serve_team(url, str(tmp_path), port)  # a restart: a new process on the same database
    try:
        # cy, on the restarted service: the second visit uses what is left, the third would exceed it
        _sign_in(browser, base, cy)
        _wait(lambda: _table(browser, "pa-rows") and _table(browser, "pa-rows")[0][5] == "70 of 130")
        _submit(browser, visit(2))
        row = _wait(lambda: next((r for r in _rows(browser) if r[0] == "v002"), None))
        assert row[2] == "ready" and "AUTH-EXPIRING" in row[7]  # 10 units would be left, less than a visit
        _export(browser)
        assert "1 exported with the team's charge master" in browser.find_element(By.ID, "message").text
        _wait(lambda: next(r for r in _rows(browser) if r[0] == "v002")[2] == "exported")
        _wait(lambda: _table(browser, "pa-rows")[0][5] == "10 of 130")
        _submit(browser, visit(3))
        row = _wait(lambda: next((r for r in _rows(browser) if r[0] == "v003"), None))
        assert row[2] == "scrubbed" and "AUTH-EXHAUSTED" in row[7]
        browser.find_element(By.CSS_SELECTOR, "button[aria-label='History of authorization PA-77']").click()
        history = _wait(lambda: len(_table(browser, "pa-history-rows")) == 2 and _table(browser, "pa-history-rows"))
        assert [(h[0], h[2], h[6]) for h in history] == [("v001", "60", "bo"), ("v002", "60", "cy")]
        assert "units 10 of 130" in browser.find_element(By.ID, "pa-history-title").text
    finally:
        stop_team(server)
