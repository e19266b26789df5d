"""Debian's headless chromium driven through chromedriver (Selenium), for the console's e2e tests.

The browser must be installed (``make setup`` does, with apt, when /usr/bin/chromium is
missing); a missing browser FAILS the tests rather than skipping them, so CI cannot go green
without having run them. Selenium is pointed at the system chromedriver and chromium, so its
own driver manager never tries to download anything.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)
WAIT_SECONDS = 20.0
T = TypeVar("T")


def require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    assert not missing, (
        f"{', '.join(missing)} missing: `make setup` installs Debian's chromium and chromium-driver"
    )


class Page:
    """One browser tab with short helpers: find by CSS, wait until, type, click, screenshot."""

    def __init__(self, driver: webdriver.Chrome, shots: Path) -> None:
        self.driver = driver
        self.shots = shots
        self._shot = 0

    def css(self, selector: str) -> WebElement:
        return self.until(lambda d: _visible(d, selector), f"{selector} visible")

    def all(self, selector: str) -> list[WebElement]:
        return list(self.driver.find_elements(By.CSS_SELECTOR, selector))

    def until(self, condition: Callable[[webdriver.Chrome], T | bool | None], what: str) -> T:
        # The views re-render lists after each change: an element read mid-swap is stale, not absent.
        stale = [StaleElementReferenceException]
        wait = WebDriverWait(self.driver, WAIT_SECONDS, poll_frequency=0.05, ignored_exceptions=stale)
        try:
            return wait.until(condition, message=f"waited {WAIT_SECONDS}s for {what}")  # type: ignore[arg-type]
        except Exception:
            self.screenshot(f"failed-{what}")
            raise

    def type(self, selector: str, text: str) -> None:
        field = self.css(selector)
        field.clear()
        field.send_keys(text)

    def click(self, selector: str) -> None:
        self.css(selector).click()

    def text(self, selector: str) -> str:
        return str(self.css(selector).text)

    def screenshot(self, name: str) -> Path:
        self._shot += 1
        safe = "".join(c if c.isalnum() else "-" for c in name)[:60]
        path = self.shots / f"{self._shot:02d}-{safe}.png"
        self.driver.save_screenshot(str(path))
        return path

    def severe_console_messages(self) -> list[dict[str, Any]]:
        return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]


def _visible(driver: webdriver.Chrome, selector: str) -> WebElement | None:
    for element in driver.find_elements(By.CSS_SELECTOR, selector):
        if element.is_displayed():
            return element
    return None


@contextmanager
def chromium(shots: Path) -> Iterator[Page]:
    """A fresh headless chromium (its own profile dir, removed after) with browser logs kept."""
    require_browser()
    shots.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="chatmesh-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield Page(driver, shots)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
