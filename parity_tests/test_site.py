"""The site (docs/): it builds with warnings as errors, works offline, and works in a browser.

The module's fixture builds it once into a temporary folder (``python -m sphinx -W -b html``,
the documented command), after executing every notebook through ``nbcache`` so that the
build only reads the cache the notebook tests share (a notebook another worker is running is
waited for, never run twice). The browser tests open it in Debian's headless Chromium,
driven by selenium through ``chromedriver``, served from 127.0.0.1: the synced tabs keep
their choice in the browser's storage, which a ``file://`` page may not have. ``.ci/run``
installs both, and under CI a missing browser fails rather than skips.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from course import nbcache
from parity_check.core.catalog import CATALOG

pytestmark = pytest.mark.after_notebooks  # conftest: after the last notebook, not at the end

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run")  # fmt: skip
BUILD_TIMEOUT_S = 600
# A resource the page loads (not a link the reader may follow): script, style, font, image.
REMOTE = re.compile(
    r"<(?:script|img|iframe|source)\b[^>]*\bsrc=[\"'](?:https?:)?//"
    r"|<link\b[^>]*\bhref=[\"'](?:https?:)?//"
    r"|url\(\s*[\"']?(?:https?:)?//|@import\s+[\"']?(?:url\()?[\"']?(?:https?:)?//",
    re.I,
)


def page_name(scratch: str) -> str:
    """The component page's file, as docs/_ext/components.py names it."""
    return "components/" + re.sub(r"[^a-z0-9]+", "-", scratch.lower()).strip("-") + ".html"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    for notebook in sorted(nbcache.COURSE.glob("*.ipynb")):
        nbcache.execute(notebook)  # cached by its own test, or run here once (under its lock)
    out = tmp_path_factory.mktemp("site")
    start = time.perf_counter()
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d", str(out / ".doctrees"),
         "docs", str(out / "html")],
        cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )  # fmt: skip
    assert build.returncode == 0, (
        f"the site's build failed:\n{build.stdout[-3000:]}{build.stderr[-6000:]}"
    )
    print(f"site built in {time.perf_counter() - start:.1f} s")
    return out / "html"


def test_every_catalog_component_has_its_page(site):
    missing = [e.scratch for e in CATALOG if not (site / page_name(e.scratch)).is_file()]
    assert not missing and len(CATALOG) >= 60, missing


def test_nothing_is_loaded_from_the_network(site):
    remote = []
    for path in [*site.rglob("*.html"), *site.rglob("*.css")]:
        for match in REMOTE.finditer(path.read_text(encoding="utf-8", errors="replace")):
            remote.append(f"{path.relative_to(site)}: {match.group(0)}")
    assert not remote, "the site must work offline:\n" + "\n".join(remote[:20])
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not local"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # a test's output is its failures, not the requests
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing: .ci/run installs them")
        pytest.skip("chromium and chromium-driver are not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('profile')}")
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait_for(driver, script: str, timeout: float = 20.0):
    """Poll a JavaScript expression until it is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"return {script};")
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def visible_tab(driver) -> str:
    """The label of the first source tab set's visible tab."""
    return driver.execute_script("""
        const set = document.querySelector('.sd-tab-set');
        const checked = set.querySelector('input:checked');
        return set.querySelector(`label[for="${checked.id}"]`).textContent.trim();
    """)


def test_a_component_page_shows_its_two_tabs(browser, server):
    browser.get(f"{server}/{page_name('scratch.nn.BatchNorm2d')}")
    labels = browser.execute_script(
        "return [...document.querySelectorAll('.sd-tab-set label')].map(l => l.textContent.trim());"
    )
    assert labels == ["scratch", "torch"]
    shown = browser.execute_script("""
        return [...document.querySelectorAll('.sd-tab-set .sd-tab-content')]
            .filter(c => c.offsetParent !== null).map(c => c.textContent);
    """)
    assert len(shown) == 1 and "class BatchNorm2d" in shown[0] and "scratch" in shown[0]


def test_choosing_torch_on_one_page_shows_torch_on_the_next(browser, server):
    browser.get(f"{server}/{page_name('scratch.nn.Linear')}")
    browser.execute_script("localStorage.clear();")
    browser.get(f"{server}/{page_name('scratch.nn.Linear')}")
    assert visible_tab(browser) == "scratch"
    browser.execute_script("""
        [...document.querySelectorAll('.sd-tab-set label')]
            .find(l => l.textContent.trim() === 'torch').click();
    """)
    assert visible_tab(browser) == "torch"
    browser.get(f"{server}/{page_name('scratch.nn.Conv2d')}")
    assert wait_for(browser, "document.readyState === 'complete'")
    assert visible_tab(browser) == "torch"


def test_a_notebook_page_shows_its_figure(browser, server):
    browser.get(f"{server}/course/01_neuron.html")
    figures = wait_for(
        browser,
        """[...document.querySelectorAll('.cell_output img')]
        .filter(i => i.complete && i.naturalWidth > 100).length""",
    )
    assert figures >= 1, "no decoded figure in the notebook's outputs"


@pytest.mark.parametrize(
    "page", [page_name("scratch.nn.BatchNorm2d"), page_name("scratch.optim.Adam")]
)
def test_math_is_rendered(browser, server, page):
    browser.get(f"{server}/{page}")
    assert wait_for(browser, "document.querySelectorAll('mjx-container').length"), "no math"
    text = browser.execute_script("return document.querySelector('main').innerText;")
    raw = re.findall(r"\$\$|\\\(|\\\[|\$[^$\s][^$\n]*\$", text)
    assert not raw, f"math left as source on {page}: {raw[:5]}"


def test_search_finds_batchnorm2d(browser, server):
    browser.get(f"{server}/search.html?q=BatchNorm2d")
    hits = wait_for(
        browser,
        """[...document.querySelectorAll('#search-results li a')]
        .map(a => a.getAttribute('href')).join(' ')""",
    )
    assert hits and page_name("scratch.nn.BatchNorm2d").split("/")[1] in hits, hits
