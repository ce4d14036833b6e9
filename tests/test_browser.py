"""The billers' page and the batch report in a real browser: Debian's Chromium driven by its ChromeDriver.

.ci/run installs both (packages chromium and chromium-driver); on a machine without them these tests are
skipped with a reason, never silently passed.
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
                                reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")
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
