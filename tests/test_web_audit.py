"""An outside audit of the billers' pages (`/` and `/team`): answers that are not igclaim's JSON left a spinner
forever, every refusal read "The input needs fixing", `/` could not be used under `serve --team`, the figure labelled
"Expected payment" was Medicare's allowed amount, the lines tables hid their dates and diagnosis pointers, refused
JSON Lines did not say which line, the team page had no sign-out and API answers were cacheable, and a few smaller
things of the team page and the visit form. Browser checks run in Debian's Chromium (tests/test_browser.py)."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from tests import test_browser
from tests.test_browser import CHROMEDRIVER, CHROMIUM, ROOT, _fill, _rows, _wait
from tests.test_service_browser import team_in_a_thread

browser, server = test_browser.browser, test_browser.server  # Chromium, and `igclaim serve` in a thread

needs_browser = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                   reason="needs Debian's chromium and chromium-driver (scripts/test-tools.sh)")


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """`igclaim serve --team` on SQLite in a thread: its address, its database and a biller's token."""
    with team_in_a_thread(tmp_path_factory.mktemp("team")) as started:
        yield started


def _until(predicate, timeout: float = 15):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def _text(driver, element_id: str) -> str:
    return driver.execute_script("const e = document.getElementById(arguments[0]); return e ? e.innerText : '';",
                                 element_id)


def _fake_fetch(driver, status: int, body: str, content_type: str, headers: dict | None = None,
                only: str = "/api/") -> None:
    """Every later fetch of a path starting with `only` answers this (as the audit faked its 500 and 502)."""
    driver.execute_script("""
        const [status, body, type, extra, only] = arguments;
        const real = window.fetch.bind(window);
        window.fetch = (path, opts) => String(path).startsWith(only)
          ? Promise.resolve(new Response(body, {status, headers: {"Content-Type": type, ...extra}}))
          : real(path, opts);
    """, status, body, content_type, headers or {}, only)


def _build(driver) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, "//button[text()='Build the claim']").click()


# -------------------------------------------------- 1 (#6): an answer that is not igclaim's JSON ends in a message

PROXY_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"


@needs_browser
@pytest.mark.parametrize(("status", "body", "content_type", "heading", "said"), [
    (500, "Internal Server Error", "text/plain", "Server error", "Internal Server Error"),
    (502, PROXY_502, "text/html", "Server error", "502 Bad Gateway 502 Bad Gateway nginx"),
    (200, "<html>a captive portal</html>", "text/html", "not a result this page can show", "a captive portal"),
])
def test_a_build_answered_with_something_else_than_json_says_so(browser, server, status, body, content_type,
                                                                heading, said):
    browser.get(server + "/")
    _fake_fetch(browser, status, body, content_type)
    _build(browser)
    shown = _until(lambda: "Working" not in (t := _text(browser, "result")) and t)
    assert heading in shown and f"HTTP {status}" in shown and said in shown, shown
    assert "<" not in _text(browser, "problems")  # the proxy's page as plain text, never its markup


@needs_browser
def test_a_download_that_fails_says_so(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    assert not browser.find_element(By.ID, "downloads").is_displayed()  # was shown (and did nothing) before a build
    _build(browser)
    _wait(browser, "#result table")
    assert browser.find_element(By.ID, "downloads").is_displayed()
    # a 500 in plain text: was "Cannot export yet:" over an empty box
    _fake_fetch(browser, 500, "Internal Server Error", "text/plain")
    browser.execute_script("document.querySelector('#downloads button[data-to=\"837\"]').click()")
    shown = _until(lambda: "Preparing" not in (t := _text(browser, "download-msg")) and t)
    assert "Server error" in shown and "HTTP 500" in shown and "Internal Server Error" in shown, shown
    # the network down: was "Preparing…" for ever
    browser.execute_script("window.fetch = () => Promise.reject(new TypeError('Failed to fetch'))")
    browser.execute_script("document.querySelector('#downloads button[data-to=\"pdf\"]').click()")
    shown = _until(lambda: "Preparing" not in (t := _text(browser, "download-msg")) and t)
    assert shown == "Could not download: Failed to fetch", shown
    assert not browser.execute_script(
        "return [...document.querySelectorAll('#downloads button')].some(b => b.disabled)")


@needs_browser
def test_a_request_with_no_answer_ends_with_a_message(browser, server):
    browser.get(server + "/")
    browser.execute_script("""
        answerWithinMs = 300;
        window.fetch = (path, opts) => new Promise((_, no) => opts.signal.addEventListener('abort',
          () => no(new DOMException('aborted', 'AbortError'))));""")
    _build(browser)
    shown = _until(lambda: "Working" not in (t := _text(browser, "result")) and t)
    assert shown == "Could not reach igclaim: no answer within 0.3 s", shown


# ------------------------------------------------------- 2 (#10): a refusal is labelled by its status, not as input


@needs_browser
@pytest.mark.parametrize(("status", "headers", "heading"), [
    (401, {}, "Sign in: this server needs an API token"),
    (413, {}, "Too large for the server"),
    (429, {"Retry-After": "7"}, "Too many requests: try again in 7 s"),
    (503, {}, "Server error"),
    (422, {}, "The input needs fixing"),
])
def test_a_refusal_is_labelled_by_its_status(browser, server, status, headers, heading):
    browser.get(server + "/")
    _fake_fetch(browser, status, json.dumps({"problems": ["what the server said"]}), "application/json", headers,
                only="/api/build")
    _build(browser)
    shown = _until(lambda: "Working" not in (t := _text(browser, "result")) and t)
    assert shown.startswith(heading) and f"(HTTP {status})" in shown and "what the server said" in shown, shown
    if status != 422:
        assert "needs fixing" not in shown


# ------------------------------------- 3 (#5): `/` under `serve --team` uses the team page's token, or asks for one


def _products(driver) -> int:
    return driver.execute_script("return document.querySelectorAll('#products option').length")


def _sign_in_on_team_page(driver, base: str, token: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/team")
    driver.execute_script("sessionStorage.clear()")
    driver.get(base + "/team")  # again, with no token: no load of the last test's token still under way
    driver.find_element(By.ID, "token").clear()
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "save-token").click()
    _until(lambda: "claims shown" in _text(driver, "message"))


@needs_browser
def test_the_build_page_under_team_uses_the_team_pages_token(browser, team):
    from selenium.webdriver.common.by import By

    base, _, token = team
    _sign_in_on_team_page(browser, base, token)
    browser.get(base + "/")  # the same tab: the token the team page keeps
    _until(lambda: _products(browser))  # was empty: /api/products answered 401
    assert not browser.find_element(By.ID, "signin").is_displayed()
    assert browser.find_element(By.ID, "sign-out").is_displayed()
    _build(browser)
    table = _wait(browser, "#result table")  # was "a valid bearer token is required"
    assert _rows(table)[0][1] == "J1561"


@needs_browser
def test_the_build_page_under_team_asks_for_a_token_and_sends_the_request_again(browser, team):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, _, token = team
    browser.get(base + "/")
    browser.execute_script("sessionStorage.clear()")
    browser.get(base + "/")
    field = _wait(browser, "#token")  # asked at once: the product list needs it
    assert browser.switch_to.active_element == field and _products(browser) == 0
    browser.execute_script("sessionStorage.setItem('igclaim-token', 'igc_revoked_nope')")  # a token refused
    _build(browser)
    shown = _until(lambda: "Working" not in (t := _text(browser, "result")) and t)
    assert shown.startswith("Sign in: this server needs an API token (HTTP 401)"), shown
    assert "bearer token is required" in shown
    assert browser.execute_script("return sessionStorage.getItem('igclaim-token')") is None  # the refused one
    field.send_keys(token, Keys.ENTER)  # Enter signs in; the build refused is sent again
    table = _wait(browser, "#result table")
    assert _rows(table)[0][1] == "J1561" and _products(browser) > 0
    assert not browser.find_element(By.ID, "signin").is_displayed()
    assert browser.execute_script("return sessionStorage.getItem('igclaim-token')") == token
    browser.find_element(By.ID, "sign-out").click()  # forgets the token and the claim shown
    assert browser.execute_script("return sessionStorage.getItem('igclaim-token')") is None
    assert _text(browser, "result") == "Signed out." and browser.find_element(By.ID, "token").is_displayed()


@needs_browser
def test_the_single_user_page_asks_for_no_token(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    _until(lambda: _products(browser))
    assert not browser.find_element(By.ID, "signin").is_displayed()
    assert not browser.find_element(By.ID, "sign-out").is_displayed()
    _build(browser)
    _wait(browser, "#result table")


# ------------------------------------ 4 (#4): the allowed amount is labelled for what it is; money reads as money


def _paste(driver, encounter: dict, button: str) -> None:
    from selenium.webdriver.common.by import By

    driver.execute_script("document.getElementById('json').value = arguments[0]", json.dumps(encounter))
    driver.execute_script("document.getElementById('result').innerHTML = ''")
    driver.find_element(By.XPATH, f"//button[text()='{button}']").click()


@needs_browser
def test_the_allowed_amount_is_labelled_as_medicares_and_money_is_formatted(browser, server):
    from selenium.webdriver.common.by import By

    example = json.loads((ROOT / "examples" / "e09-scrub-units-by-ml.json").read_text())["input"]
    browser.get(server + "/")
    _paste(browser, example, "Scrub")
    _wait(browser, "#expected-claim")
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#expected-claim th")]
    assert headers[-1] == "MEDICARE ALLOWED" and "Expected $" not in browser.find_element(By.ID, "result").text
    title = browser.find_element(By.CSS_SELECTOR, "#expected-claim th.allowed").get_attribute("title")
    assert "before the deductible, coinsurance and sequestration" in title
    # the written claim's lines carry no price of igclaim's: no money column there
    assert "MEDICARE ALLOWED" not in [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#written-claim th")]
    assert _rows(browser.find_element(By.ID, "expected-claim"))[0][-1] == "$2,944.56"
    money = browser.find_element(By.ID, "money").text
    assert money.startswith("Medicare allowed amount (payment limit × units, before the deductible, coinsurance and "
                            "sequestration): $2,944.56 for the priced lines"), money
    assert "Medicare generally pays 80 %" in browser.find_element(By.ID, "money-note").text
    stake = browser.find_element(By.ID, "findings").text
    assert "at stake: −240 units · −$11,778.24 (Medicare allowed)" in stake, stake  # was "-240 units · $-11778.24"

    commercial = {**example, "payer": {**example["payer"], "type": "commercial"}}
    _paste(browser, commercial, "Build")
    _wait(browser, "#money")
    note = browser.find_element(By.ID, "money-note").text
    assert "For a commercial payer these are reference amounts, not what it will pay" in note, note


# ------------------------------------------- 5 (#8): the lines tables show each line's date and diagnosis pointers


@needs_browser
def test_the_lines_tables_show_dates_and_diagnosis_pointers(browser, server):
    """A DX-POINTER finding can be read against the table: the written line points at R53.83 (pointer 1 of the
    written claim's own list), the expected line at both diagnoses of the chart."""
    from selenium.webdriver.common.by import By

    enc = json.loads((ROOT / "examples" / "e09-scrub-units-by-ml.json").read_text())["input"]
    enc["diagnoses"] = ["D83.9", "R53.83"]
    enc["claim"]["diagnoses"] = ["R53.83", "D83.9"]
    for line in enc["claim"]["lines"]:
        line.update(diagnosis_pointers=[1], service_date="2026-03-02")
    del enc["claim"]["lines"][2]["service_date"]  # a written line without a date: said, not left blank
    browser.get(server + "/")
    _paste(browser, enc, "Scrub")
    _wait(browser, "#written-claim")
    assert "DX-POINTER-NOT-COVERED" in browser.find_element(By.ID, "findings").text

    def table(box: str) -> list[dict[str, str]]:
        return browser.execute_script("""
            const t = document.querySelector(arguments[0] + ' table');
            const heads = [...t.tHead.rows[0].cells].map((c) => c.textContent);
            return [...t.tBodies[0].rows].map((r) =>
              Object.fromEntries([...r.cells].map((c, i) => [heads[i], c.textContent])));
        """, box)

    written, expected = table("#written-claim"), table("#expected-claim")
    assert [(r["Code"], r["Dx pointers"], r["Date"]) for r in written] == [
        ("J1561", "1: R53.83", "2026-03-02"), ("96365", "1: R53.83", "2026-03-02"), ("96366", "1: R53.83", "—")]
    assert [(r["Code"], r["Dx pointers"], r["Date"]) for r in expected] == [
        ("J1561", "1: D83.9; 2: R53.83", "2026-03-02"), ("96365", "1: D83.9; 2: R53.83", "2026-03-02"),
        ("96366", "1: D83.9; 2: R53.83", "2026-03-02")]


# ------------------------------------------- 6 (#7): a refused line of JSON Lines is named by its line and encounter


@needs_browser
def test_refused_json_lines_name_their_line_and_encounter(browser, team):
    from tests.test_service import visit

    base, _, token = team
    _sign_in_on_team_page(browser, base, token)
    body = "\n".join([json.dumps(visit(20)), json.dumps(visit(21, date_of_service="2026-02-30")), "{not json"])
    browser.execute_script("document.getElementById('encounters').value = arguments[0];", body)
    browser.execute_script("document.getElementById('submit').click()")
    message = _until(lambda: "stored" in (t := _text(browser, "message")) and t)
    assert message.startswith("1 stored; 2 refused: line 2 (v021): date_of_service: "), message
    assert " | line 3: not JSON (" in message and "line 3: line 3" not in message, message


# ---------------------------------- 7 (#10): sign out; a 401 (a token revoked) clears the screen and asks again


def _team_rows(driver) -> list[list[str]]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#rows tr')].map(tr => [...tr.cells].map(td => td.textContent));")


def _submit_on_team_page(driver, *encounters) -> None:
    driver.execute_script("document.getElementById('encounters').value = arguments[0];",
                          "\n".join(json.dumps(e) for e in encounters))
    driver.execute_script("document.getElementById('submit').click()")
    _until(lambda: "stored" in _text(driver, "message"))


def _nothing_of_the_team_shown(driver) -> None:
    left = driver.execute_script("""
        return [...document.querySelectorAll('#rows tr, #pa-rows tr, #pa-history-rows tr, #exports li')].length
          + document.getElementById('exports-message').textContent.length
          + [...document.querySelectorAll('textarea, input')].filter((e) => e.value).length
          + (sessionStorage.getItem('igclaim-token') === null ? 0 : 1)""")
    assert left == 0
    assert driver.switch_to.active_element.get_attribute("id") == "token"


@needs_browser
def test_sign_out_forgets_the_token_and_clears_the_screen(browser, team):
    from selenium.webdriver.common.by import By

    from tests.test_service import visit

    base, _, token = team
    _sign_in_on_team_page(browser, base, token)
    _submit_on_team_page(browser, visit(27))
    _until(lambda: _team_rows(browser))
    # An export, listed under Recent exports (its receiver, claims and who): cleared with the rest.
    request = urllib.request.Request(f"{base}/api/export?charges=sample", method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as answer:
        assert "v027" in json.load(answer)["exported"]  # with any other test's ready claim: the server is shared
    browser.execute_script("document.getElementById('exports-refresh').click()")
    _until(lambda: browser.execute_script("return document.querySelectorAll('#exports li').length") >= 1)
    browser.execute_script("document.getElementById('pa-member').value = '1EG4TE5MK73'")  # typed, not yet sent
    sign_out = browser.find_element(By.ID, "sign-out")
    assert sign_out.is_displayed()
    sign_out.click()
    _nothing_of_the_team_shown(browser)
    assert _text(browser, "message").startswith("Signed out: the token is forgotten")
    assert not sign_out.is_displayed()


@needs_browser
def test_a_revoked_token_signs_the_page_out(browser, team):
    from igclaim.service import auth
    from igclaim.service.db import sessions
    from tests.test_service import _user, visit

    base, db, _ = team
    token = _user(db, "cy", "biller")
    _sign_in_on_team_page(browser, base, token)
    _submit_on_team_page(browser, visit(28))
    _until(lambda: _team_rows(browser))
    with sessions(db)() as s, s.begin():
        auth.revoke_token(s, token.split("_")[1])
    browser.execute_script("document.getElementById('refresh').click()")
    message = _until(lambda: "Signed out" in (t := _text(browser, "message")) and t)
    assert message == ("Signed out: authorization: a valid bearer token is required (igclaim tokens create). "
                       "Enter a token to sign in"), message
    _nothing_of_the_team_shown(browser)


# ------------------------------------------ 7 (#10): answers with patients' data carry Cache-Control: no-store


def test_every_api_answer_says_no_store_and_the_pages_stay_cacheable():
    from fastapi.testclient import TestClient

    from igclaim.api import app
    from igclaim.inputs import MAX_INPUT_BYTES

    client = TestClient(app, base_url="http://localhost")
    office = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())
    answers = {
        "build": client.post("/api/build", json=office),
        "scrub refused": client.post("/api/scrub", json={"encounter_id": "x"}),
        "837 download": client.post("/api/export/837p", json=office),
        "PDF download": client.post("/api/export/cms1500?charges=none", json=office),
        "guard's 413": client.post("/api/build", content=b"{" + b" " * MAX_INPUT_BYTES + b"}",
                                   headers={"Content-Type": "application/json"}),
        "products": client.get("/api/products"),
    }
    assert [a.status_code for a in answers.values()] == [200, 422, 200, 200, 413, 200]
    for name, answer in answers.items():
        assert answer.headers.get("cache-control") == "no-store", name
    assert "no-store" not in client.get("/").headers.get("cache-control", "")  # the page holds no data


def test_the_team_services_answers_say_no_store(tmp_path):
    from fastapi.testclient import TestClient

    from igclaim.service.app import create_app
    from tests.test_service import _user, visit

    db = f"sqlite:///{tmp_path / 'team.sqlite'}"
    biller = {"Authorization": f"Bearer {_user(db, 'bo', 'biller')}"}
    client = TestClient(create_app(db), base_url="http://localhost")
    answers = {
        "401 (no token)": client.get("/api/encounters"),
        "submit": client.post("/api/encounters", json=visit(1), headers=biller),
        "worklist": client.get("/api/encounters", headers=biller),
        "claim": client.get("/api/encounters/v001", headers=biller),
        "authorizations": client.post("/api/authorizations/search", json={"member_id": "1EG4TE5MK73"},
                                      headers=biller),
    }
    assert [a.status_code for a in answers.values()] == [401, 200, 200, 200, 200]
    for name, answer in answers.items():
        assert answer.headers.get("cache-control") == "no-store", name


# ------------------ 8 (#11): the team page says it is working, Enter signs in, the history's times name their zone


@needs_browser
def test_enter_signs_in_and_a_submit_in_progress_is_shown(browser, team):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from tests.test_service import visit

    base, _, token = team
    browser.get(base + "/team")
    browser.execute_script("sessionStorage.clear()")
    browser.get(base + "/team")  # again, with no token: no load of the last test's token still under way
    field = browser.find_element(By.ID, "token")
    field.clear()
    field.send_keys(token, Keys.ENTER)  # was: nothing (the button was no form's)
    _until(lambda: "claims shown" in _text(browser, "message"))
    # the post held for a second: the button is disabled and the page says it is working
    browser.execute_script("""
        const real = window.fetch.bind(window);
        window.fetch = (path, opts) => (opts || {}).method === 'POST'
          ? new Promise((ok) => setTimeout(() => ok(real(path, opts)), 1500)) : real(path, opts);""")
    browser.execute_script("document.getElementById('encounters').value = arguments[0];", json.dumps(visit(25)))
    submit = browser.find_element(By.ID, "submit")
    submit.click()
    assert not submit.is_enabled() and submit.get_attribute("aria-busy") == "true"
    assert _text(browser, "message") == "Submitting: each encounter is coded and scrubbed…"
    _until(lambda: "stored" in _text(browser, "message"))
    assert submit.is_enabled() and submit.get_attribute("aria-busy") is None


@needs_browser
def test_the_history_shows_when_in_the_readers_time_zone_named(browser, team):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    import httpx

    from tests.test_service import OFFICE, _user, visit

    base, db, _ = team
    biller = {"Authorization": f"Bearer {_user(db, 'dee', 'biller')}"}
    with httpx.Client(base_url=base, headers=biller, timeout=60) as api:
        auth = api.post("/api/authorizations", json={
            "number": "PA-TZ", "payer": "Medicare Part B", "member_id": OFFICE["subscriber"]["member_id"],
            "hcpcs": "J1561", "units": 600, "start": "2026-03-01", "end": "2026-06-30"}).json()
        assert api.post("/api/encounters", json=visit(26)).json()[0]["status"] == "ready"
        assert "v026" in api.post("/api/export", params={"kind": "837P", "charges": "sample"}).json()["exported"]
        history = api.get(f"/api/authorizations/{auth['id']}").json()["history"]  # the module's other ready claims too
        [use] = [h for h in history if h["encounter_id"] == "v026"]
    at = datetime.fromisoformat(use["at"]).replace(tzinfo=UTC).astimezone(ZoneInfo("America/Chicago"))
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "America/Chicago"})
    try:
        _sign_in_on_team_page(browser, base, biller["Authorization"][7:])
        # in one script: the list is drawn again when its first load (the token the tab had) ends
        shown = _until(lambda: browser.execute_script("""
            const r = [...document.querySelectorAll('#pa-history-rows tr')]
              .find((r) => r.cells[0].textContent === 'v026');
            if (r) return r.cells[5].textContent;
            const b = document.querySelector("button[aria-label='History of authorization PA-TZ']");
            if (b) b.click();
            return null;"""))
    finally:
        browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})
    assert shown == at.strftime("%Y-%m-%d %H:%M ") + at.tzname(), (shown, use["at"])  # was the bare UTC text


# ------------------------------------ 8 (#11): a container row with a count and no size is an error, not dropped


@needs_browser
def test_a_container_row_with_a_count_but_no_size_is_named(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    browser.execute_script("window.posted = 0; const real = window.fetch.bind(window); window.fetch = (p, o) => "
                           "{ if (String(p).startsWith('/api/build')) window.posted++; return real(p, o); };")
    browser.find_element(By.ID, "add-container").click()
    _fill(browser, ".container-row:nth-child(2) .c-count", "2")  # 2 containers opened, of no size given
    _build(browser)
    problems = _wait(browser, ".problems")
    assert problems.text == ("drugs[0].containers[1].grams: container row 2 has a count (2) but no size: give its "
                             "size in grams (or its NDC), or remove the row"), problems.text
    size = browser.find_element(By.CSS_SELECTOR, ".container-row:nth-child(2) .c-grams")
    assert size.get_attribute("aria-invalid") == "true" and browser.switch_to.active_element == size
    assert browser.execute_script("return window.posted") == 0  # nothing sent: the row was dropped before
    browser.find_element(By.ID, "to-json").click()  # nor written out as JSON without it
    assert browser.find_element(By.ID, "json").get_attribute("value") == ""
    _fill(browser, ".container-row:nth-child(2) .c-grams", "5")
    _build(browser)
    _wait(browser, "#result table")


@needs_browser
def test_a_late_refusal_of_the_token_before_does_not_sign_the_new_one_out(browser, team):
    """A biller signs in with a mistyped token, then with the right one before the first answers. The first token's
    answers (401) came back after the second sign-in's and signed the biller out, clearing the worklist just shown:
    sign-in did not start a new session, so answers to the requests made under the token before were still taken.
    Now each sign-in starts one, and those answers are dropped."""
    from selenium.webdriver.common.by import By

    base, _, token = team
    browser.get(base + "/team")
    browser.execute_script("sessionStorage.clear()")
    browser.get(base + "/team")  # again, with no token: nothing under way
    browser.execute_script("""
        window.held = [];
        const real = window.fetch.bind(window);
        window.fetch = (path, opts) => {  // the mistyped token's requests wait until the test lets them go
          const auth = ((opts || {}).headers || {}).Authorization || "";
          return auth.endsWith("mistyped") ? new Promise((ok) => window.held.push(() => ok(real(path, opts))))
                                           : real(path, opts);
        };""")
    field = browser.find_element(By.ID, "token")
    field.clear()
    field.send_keys("igc_mistyped")
    browser.find_element(By.ID, "save-token").click()
    _until(lambda: browser.execute_script("return window.held.length") == 3)  # worklist, authorizations, exports
    field.clear()
    field.send_keys(token)
    browser.find_element(By.ID, "save-token").click()
    _until(lambda: "claims shown" in _text(browser, "message"))
    browser.execute_script("window.held.forEach((go) => go())")  # now the 401s of the mistyped token answer
    time.sleep(1.5)
    assert "claims shown" in _text(browser, "message") and "Signed out" not in _text(browser, "message")
    assert browser.find_element(By.ID, "sign-out").is_displayed()
    assert browser.execute_script("return sessionStorage.getItem('igclaim-token')") == token
    assert "authorizations shown" in _text(browser, "pa-message")  # the dropped answers said nothing either
    assert "export" in _text(browser, "exports-message") and "token" not in _text(browser, "exports-message")
