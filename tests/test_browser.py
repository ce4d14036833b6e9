"""The billers' page and the batch report in a real browser: Debian's Chromium driven by its ChromeDriver.

scripts/test-tools.sh (run by make test) installs both (packages chromium and chromium-driver); on a machine without
them these tests are skipped with a reason, never silently passed.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs Debian's chromium and chromium-driver (scripts/test-tools.sh)")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1300,1000"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def server():
    """igclaim serve on a free loopback port, in a thread, for the length of the module."""
    import uvicorn

    from igclaim.api import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def _wait(driver, css: str, timeout: float = 15):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))


def _fill(driver, css: str, value: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.CSS_SELECTOR, css)
    field.clear()
    field.send_keys(value)


def test_page_builds_a_claim_and_explains_bad_input(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    _fill(browser, "#product", "Privigen")
    _fill(browser, "#dose", "35")
    _fill(browser, ".c-grams", "40")
    _fill(browser, ".c-count", "1")
    browser.find_element(By.XPATH, "//button[text()='Build the claim']").click()
    table = _wait(browser, "#result table")
    rows = [r.text for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert rows[0].split()[:3] == ["1", "J1459", "70"]
    assert rows[1].split()[:4] == ["2", "J1459", "JW", "10"]
    assert "DRUG-WASTE-AVOIDABLE" in browser.find_element(By.ID, "result").text
    assert "warning" in _wait(browser, ".banner").text

    _fill(browser, "#dose", "45")
    browser.find_element(By.XPATH, "//button[text()='Build the claim']").click()
    problems = _wait(browser, ".problems")
    assert problems.text == "drugs[0].containers: the containers opened hold 40 g, less than the dose of 45 g"


def test_report_renders_with_its_totals_and_charts(browser, tmp_path):
    from selenium.webdriver.common.by import By

    from igclaim.batch.runner import run_batch

    summary = run_batch(ROOT / "examples" / "batch" / "with-errors.jsonl", tmp_path / "out", workers=1)
    browser.get((tmp_path / "out" / "report.html").as_uri())
    assert browser.find_element(By.ID, "total-records").text == f"{summary.records:,}"
    assert browser.find_element(By.ID, "total-input-errors").text == f"{summary.errors:,}"
    charts = browser.find_elements(By.CSS_SELECTOR, "svg")
    assert charts and all(c.size["width"] > 100 and c.size["height"] > 20 for c in charts)
    # one self-contained file: nothing was fetched besides the page itself
    loaded = browser.execute_script("return performance.getEntriesByType('resource').length")
    assert loaded == 0


def _build(browser):
    from selenium.webdriver.common.by import By

    browser.find_element(By.XPATH, "//button[text()='Build the claim']").click()


def _rows(element) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    return [r.text.split() for r in element.find_elements(By.CSS_SELECTOR, "tbody tr")]


def test_visit_with_a_premedication_and_hydration(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    browser.find_element(By.ID, "add-other").click()
    _fill(browser, ".o-hcpcs", "J1200")  # diphenhydramine 50 mg, IV push before the IG
    _fill(browser, ".o-start", "03022026\t0850AM")
    _fill(browser, ".o-stop", "03022026\t0852AM")
    browser.find_element(By.ID, "add-fluid").click()  # ordered hydration after the IG, an hour
    _fill(browser, ".fl-start", "03022026\t0200PM")
    _fill(browser, ".fl-stop", "03022026\t0300PM")
    _fill(browser, ".fl-reason", "dehydration")
    _build(browser)
    table = _wait(browser, "#result table")
    codes = {r[1]: r for r in _rows(table)}
    assert codes["J1561"][2:4] == ["JZ", "60"] and codes["J1200"][2] == "1"
    assert codes["96365"][2] == "1" and codes["96366"][2] == "4"
    assert "96375" in codes and "96361" in codes  # the push after the initial infusion; the hydration hour
    for label in browser.find_elements(By.CSS_SELECTOR, "#others label, #fluids label"):
        assert browser.find_element(By.ID, label.get_attribute("for")).is_displayed()


def test_a_field_named_error_is_shown_at_its_field(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    _fill(browser, "#product", "Privigin")
    _build(browser)
    _wait(browser, ".problems")
    product = browser.find_element(By.ID, "product")
    assert product.get_attribute("aria-invalid") == "true"
    message = browser.find_element(By.ID, product.get_attribute("aria-describedby").split()[-1])
    assert message.text.startswith("drugs[0].product: unknown product 'Privigin' (did you mean Privigen?)")
    assert browser.switch_to.active_element == product  # focus goes to the first field to fix
    _fill(browser, "#product", "Privigen")
    _fill(browser, ".c-grams", "40")
    _fill(browser, ".c-count", "1")
    _build(browser)
    _wait(browser, "#result table")
    assert product.get_attribute("aria-invalid") is None and not browser.find_elements(By.CSS_SELECTOR, ".field-error")


def test_scrub_view_shows_written_and_expected_claims(browser, server):
    import json

    from selenium.webdriver.common.by import By

    example = json.loads((ROOT / "examples" / "e09-scrub-units-by-ml.json").read_text())
    browser.get(server + "/")
    box = browser.find_element(By.XPATH, "//textarea[@id=//label[text()='Encounter JSON']/@for]")
    browser.execute_script("arguments[0].value = arguments[1]", box, json.dumps(example, indent=2))
    browser.find_element(By.XPATH, "//button[text()='Scrub']").click()
    written = _wait(browser, "#written-claim")
    expected = browser.find_element(By.ID, "expected-claim")
    assert written.find_element(By.TAG_NAME, "h3").text == "Written claim"
    assert expected.find_element(By.TAG_NAME, "h3").text == "Expected claim"
    assert _rows(written)[0][:4] == ["1", "J1561", "JZ", "300"] and _rows(expected)[0][:4] == ["1", "J1561", "JZ", "60"]
    link = browser.find_element(By.CSS_SELECTOR, "#findings a.finding-line")
    assert link.get_attribute("href").endswith("#written-line-1") and browser.find_element(By.ID, "written-line-1")


def test_docs_render_with_nothing_fetched_from_elsewhere(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server + "/docs")
    _wait(browser, ".swagger-ui .opblock", timeout=30)
    assert "/api/build" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui").text
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(u.startswith(server) or u.startswith("data:") for u in urls), urls


def test_page_at_400_px_has_no_sideways_scroll(browser, server):
    import json

    from selenium.webdriver.common.by import By

    browser.set_window_size(400, 900)
    try:
        browser.get(server + "/")
        width = "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        scroll, client = browser.execute_script(width)
        assert scroll <= client, (scroll, client)
        _build(browser)
        _wait(browser, "#result table")
        example = json.loads((ROOT / "examples" / "e08-scrub-flush-hydration.json").read_text())
        box = browser.find_element(By.ID, "json")
        browser.execute_script("arguments[0].value = arguments[1]", box, json.dumps(example))
        browser.find_element(By.XPATH, "//button[text()='Scrub']").click()
        _wait(browser, "#written-claim")
        scroll, client = browser.execute_script(width)
        assert scroll <= client, (scroll, client)
        for el in browser.find_elements(By.CSS_SELECTOR, "input, select, textarea, button"):
            if el.is_displayed():  # every control is labelled: a <label for>, or an aria-label, or its own text
                has = el.get_attribute("aria-label") or el.text.strip() or browser.find_elements(
                    By.CSS_SELECTOR, f"label[for='{el.get_attribute('id')}']")
                assert has, el.get_attribute("outerHTML")[:120]
    finally:
        browser.set_window_size(1300, 1000)


def test_every_scrub_example_pasted_shows_both_claims(browser, server):
    import json

    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    for path in sorted((ROOT / "examples").glob("*-scrub-*.json")):
        example = json.loads(path.read_text())
        box = browser.find_element(By.ID, "json")
        browser.execute_script("arguments[0].value = arguments[1]", box, json.dumps(example, indent=2))
        browser.execute_script("document.getElementById('result').innerHTML = ''")
        browser.find_element(By.XPATH, "//button[text()='Scrub']").click()
        written = _wait(browser, "#written-claim")
        expected = browser.find_element(By.ID, "expected-claim")
        assert len(_rows(written)) == len(example["input"]["claim"]["lines"]), path.name
        assert _rows(expected), path.name
        shown = browser.find_element(By.ID, "findings").text
        for edit in example["expect"]["findings"]:
            assert edit in shown, (path.name, edit)


def _tab_to(browser, css: str, limit: int = 200) -> bool:
    """Press Tab (only the keyboard) until the focused control matches `css`."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for _ in range(limit):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.execute_script("return document.activeElement.matches(arguments[0])", css):
            return True
    return False


def test_a_visit_entered_with_the_keyboard_only(browser, server):
    """Tab, typing, Space and Enter only: the IG with its container, a premedication push and ordered hydration."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    def keys(*k):
        ActionChains(browser).send_keys(*k).perform()

    def replace(text):
        ActionChains(browser).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(text).perform()

    browser.get(server + "/")
    assert _tab_to(browser, "#product")
    replace("Privigen")
    assert _tab_to(browser, "#dose")
    replace("35")
    assert _tab_to(browser, ".c-grams")
    replace("40")
    assert _tab_to(browser, ".c-count")
    replace("1")
    assert _tab_to(browser, "#add-other")
    keys(Keys.SPACE)  # "+ drug": the new row takes the focus
    assert browser.execute_script("return document.activeElement.matches('.o-hcpcs')")
    keys("J1200")
    assert _tab_to(browser, ".o-start")
    keys("03022026", Keys.TAB, "0850AM")
    assert _tab_to(browser, ".o-stop")
    keys("03022026", Keys.TAB, "0852AM")
    assert _tab_to(browser, "#add-fluid")
    keys(Keys.ENTER)
    assert _tab_to(browser, ".fl-start")
    keys("03022026", Keys.TAB, "0200PM")
    assert _tab_to(browser, ".fl-stop")
    keys("03022026", Keys.TAB, "0300PM")
    assert _tab_to(browser, ".fl-reason")
    keys("dehydration", Keys.ENTER)  # Enter in a field submits the visit
    rows = _rows(_wait(browser, "#result table"))
    assert rows[0][1:3] == ["J1459", "70"] and rows[1][1:4] == ["J1459", "JW", "10"]  # 35 g from a 40 g vial
    codes = {r[1]: r for r in rows}
    assert codes["J1200"][2] == "1"
    assert codes["96365"][2] == "1" and codes["96366"][2] == "4" and "96375" in codes and "96361" in codes


def test_a_second_immune_globulin(browser, server):
    """A second product the same visit: its own code and units, and 96367 for its sequential infusion; an error
    about it is shown at its own control."""
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    browser.find_element(By.ID, "add-ig").click()
    _fill(browser, ".g-product", "Privigen")
    _build(browser)
    _wait(browser, ".problems")
    dose = browser.find_element(By.CSS_SELECTOR, ".g-dose")
    assert dose.get_attribute("aria-invalid") == "true"
    message = browser.find_element(By.ID, dose.get_attribute("aria-describedby").split()[-1])
    assert message.text.startswith("drugs[1].dose:")
    _fill(browser, ".g-dose", "10")
    _fill(browser, ".g-grams", "10")
    _fill(browser, ".g-start", "03022026\t0200PM")
    _fill(browser, ".g-stop", "03022026\t0300PM")
    _build(browser)
    codes = {r[1]: r for r in _rows(_wait(browser, "#result table"))}
    assert codes["J1561"][2:4] == ["JZ", "60"] and codes["J1459"][2:4] == ["JZ", "20"]
    assert codes["96365"][2] == "1" and codes["96366"][2] == "4" and codes["96367"][2] == "1"
