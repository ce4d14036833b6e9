"""The team worklist page in a real browser (Debian's Chromium): a biller signs in with a token, submits two
visits, sees them on the worklist with their status, and marks the one with errors fixed."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from tests.test_browser import CHROMEDRIVER, CHROMIUM, browser  # noqa: F401 - the shared fixture
from tests.test_service import _user, visit

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")


@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    import uvicorn

    from igclaim.service.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('team')}/team.sqlite"
    token = _user(url, "bo", "biller")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", token
    srv.should_exit = True
    thread.join(timeout=10)


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
