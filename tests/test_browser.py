"""The course as learners meet it, in a real browser (Playwright driving the system Chromium).

(a) ``TestJupyterLab``: every notebook opened in JupyterLab in the fast tier (a copy in a temporary
    folder), outputs cleared, "Run All Cells" from the Run menu, no traceback anywhere, then every
    slider of every widget moved by the keyboard and its output seen to change.
(b) ``TestSite``: the site of ``make book`` (built afresh into a temporary folder from the saved
    notebooks): every page loads with no broken image, no broken internal link (the file and its
    ``#anchor``) and no console error. The browser is kept offline (requests that leave 127.0.0.1
    are aborted), so MathJax, which Sphinx loads from a CDN, does not render: the test checks that
    the maths is on the page for MathJax to typeset, not the typeset result.

The browser tests are skipped, with the reason printed by ``-ra``, when Chromium or Playwright is
absent; the site's two other checks (figures and widget notes, sidebar order) need only Sphinx.
Chromium: ``apt-get install -y --no-install-recommends chromium``; Playwright:
``pip install -e ".[book]"`` (``make book`` and, when Chromium is present, ``make test`` install
it). Under ``pytest-xdist
--dist loadscope`` each class runs on one worker, so the two classes run side by side.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
CHROMIUM = os.environ.get("INRUTILS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUN_ALL_TIMEOUT_S = 480  # one notebook, fast tier; 14-21 s alone on 2 cores, slower beside nbval
SLIDER_TIMEOUT_S = 180  # one slider move (a draw function may re-fit a small network)

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = PlaywrightError = None

NEEDS_BROWSER = [
    pytest.mark.skipif(
        not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)),
        reason=f"browser tests need Chromium at {CHROMIUM}: "
        "apt-get install -y --no-install-recommends chromium (or set INRUTILS_CHROMIUM)",
    ),
    pytest.mark.skipif(
        sync_playwright is None,
        reason="browser tests need Playwright: pip install -e '.[book]' (make book installs it)",
    ),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per worker; no browser download (the system one is driven)."""
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# ---------------------------------------------------------------------------------------------
# (a) JupyterLab
# ---------------------------------------------------------------------------------------------

# User settings in a temporary JUPYTERLAB_SETTINGS_DIR: the venv's share/ is left alone.
LAB_SETTINGS = {
    # JupyterLab 4 keeps off-screen cells out of the DOM unless windowing is off.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # No news or update checks (offline; a toast could cover the menus).
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

# True once every code cell has an execution count, or when a traceback is shown and nothing
# is still running (Run All stops at the first error, leaving the cells below unnumbered).
_JS_DONE = """() => {
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
    const prompts = cells.map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || '');
    const running = prompts.some(p => p.includes('*'));
    const numbered = prompts.every(p => /\\[\\d+\\]/.test(p));
    const traceback = [...document.querySelectorAll('.jp-OutputArea-output')]
        .some(o => o.textContent.includes('Traceback'));
    return cells.length > 0 && !running && (numbered || traceback);
}"""

_JS_TRACEBACKS = (
    "() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].flatMap((c, i) =>\n"
    "    [...c.querySelectorAll('.jp-OutputArea-output')]\n"
    "        .filter(o => o.textContent.includes('Traceback'))\n"
    "        .map(o => 'code cell ' + (i + 1) + ': ' + o.textContent.trim()"
    ".split('\\n').slice(-3).join(' | ')))"
)

_JS_AT_MAX = "h => h.getAttribute('aria-valuenow') === h.getAttribute('aria-valuemax')"

# The output areas of a slider's widget: those of its ``interactive`` (inrutils.widgets.explore),
# else its cell's output area.
_JS_AREAS = """(h) => {
    const box = h.closest('.widget-interact') || h.closest('.jp-Cell');
    const outs = [...box.querySelectorAll('.widget-output')];
    return outs.length ? outs : [box.querySelector('.jp-Cell-outputArea') || box];
}"""

# What a slider's output shows: the images (their data URLs) and text of the widget's output areas.
_JS_SIGNATURE = f"""(h) => {{
    const areas = ({_JS_AREAS})(h);
    const imgs = areas.flatMap(a => [...a.querySelectorAll('img')].map(i => i.src));
    return {{imgs: imgs, text: areas.map(a => a.textContent).join('\\n')}};
}}"""

# Tag the images shown now: a redraw replaces them with new nodes (even when the figure is the
# same).
_JS_MARK = (
    f"(h) => ({_JS_AREAS})(h).forEach(a => a.querySelectorAll('img').forEach(i => "
    "{ i.dataset.inrSeen = '1'; }))"
)

# Redrawn: the output areas hold a figure again, and none of the tagged image nodes.
_JS_REDRAWN = f"""(h) => {{
    const areas = ({_JS_AREAS})(h);
    const imgs = areas.flatMap(a => [...a.querySelectorAll('img')]);
    return imgs.length > 0 && imgs.every(i => !i.dataset.inrSeen);
}}"""


@pytest.fixture(scope="class")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 (free port) over copies of the notebooks, fast tier."""
    root = tmp_path_factory.mktemp("lab")
    (root / "notebooks").mkdir()
    for nb in NOTEBOOKS:
        shutil.copy(nb, root / "notebooks" / nb.name)
    settings = root / "settings"
    for rel, values in LAB_SETTINGS.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(os.environ)
    env.update(
        INRUTILS_FAST="1",
        OMP_NUM_THREADS="1",
        INRUTILS_DEVICE=os.environ.get("INRUTILS_DEVICE", "cpu"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(root / "runtime"),
    )
    env.pop("MPLBACKEND", None)  # the kernel's inline backend, as for a learner
    port = _free_port()
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
        "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    log = open(root / "server.log", "w")  # noqa: SIM115 - closed in the finally below, after the server stops
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not start:\n{(root / 'server.log').read_text()[-3000:]}"
                    ) from None
                time.sleep(0.5)
        yield url, root
    finally:
        os.kill(proc.pid, signal.SIGTERM)  # stopped by its pid; the server shuts its kernels down
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _menu(page, menu: str, command: str) -> None:
    """Open a menu of the menu bar and click the entry with this command id."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(f"li.lm-Menu-item[data-command='{command}']").click()


@NEEDS_BROWSER[0]
@NEEDS_BROWSER[1]
class TestJupyterLab:
    @pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem[:2] for nb in NOTEBOOKS])
    def test_run_all_and_move_every_slider(self, lab, browser, notebook):
        url, root = lab
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(
                f"{url}/lab/workspaces/t{notebook.stem[:2]}/tree/notebooks/{notebook.name}?reset"
            )
            page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
            )
            # The copy the server opened (notebooks/ may change meanwhile).
            copy = root / "notebooks" / notebook.name
            n_source = sum(c["cell_type"] == "code" for c in json.loads(copy.read_text())["cells"])
            try:  # every cell in the DOM (windowingMode "none"), not only the first screen
                page.wait_for_function(
                    "() => document.querySelectorAll('.jp-Notebook .jp-CodeCell').length >= "
                    f"{n_source}",
                    timeout=60_000,
                )
            except PlaywrightError:
                pass
            n_code = page.locator(".jp-Notebook .jp-CodeCell").count()
            assert n_code == n_source, (
                f"{notebook.name}: {n_code} of {n_source} code cells in the DOM (windowing?)"
            )

            _menu(page, "Edit", "editmenu:clear-all")
            page.wait_for_function(
                "() => document.querySelectorAll('.jp-Notebook .jp-OutputArea-output').length === 0"
            )
            t0 = time.monotonic()
            _menu(page, "Run", "runmenu:run-all")
            page.wait_for_function(_JS_DONE, timeout=RUN_ALL_TIMEOUT_S * 1000, polling=500)
            run_s = time.monotonic() - t0
            tracebacks = page.evaluate(_JS_TRACEBACKS)
            assert not tracebacks, f"{notebook.name}: " + "\n".join(tracebacks)
            print(f"{notebook.name}: Run All {run_s:.0f} s")

            handles = page.locator(".jp-Notebook .widget-slider .noUi-handle")
            n = handles.count()
            assert n > 0, (
                f"{notebook.name}: no slider found after Run All (every notebook has a widget)"
            )
            for i in range(n):
                handle = handles.nth(i)
                handle.scroll_into_view_if_needed()
                label = handle.evaluate(
                    "h => (h.closest('.widget-slider').querySelector('.widget-label') || "
                    "{}).textContent"
                )
                shot = root / f"{notebook.stem}-slider{i + 1}.png"
                # The widget has drawn once before it is moved.
                try:
                    page.wait_for_function(
                        f"(h) => ({_JS_SIGNATURE})(h).imgs.length > 0", arg=handle.element_handle(),
                        timeout=SLIDER_TIMEOUT_S * 1000, polling=500,
                    )  # fmt: skip
                except PlaywrightError:
                    page.screenshot(path=shot)
                    now = handle.evaluate(_JS_SIGNATURE)
                    pytest.fail(
                        f"{notebook.name}: the widget of slider {i + 1} ({label!r}) shows no "
                        f"figure after Run All (waited {SLIDER_TIMEOUT_S} s); its output text: "
                        f"{now['text'][-500:]!r}; screenshot {shot}"
                    )
                before = handle.evaluate(_JS_SIGNATURE)
                handle.evaluate(_JS_MARK)
                key = "ArrowLeft" if handle.evaluate(_JS_AT_MAX) else "ArrowRight"
                t0 = time.monotonic()
                handle.focus()
                page.keyboard.press(key)
                try:
                    # Redrawn: the output area holds a figure again, and none of the old image
                    # nodes.
                    page.wait_for_function(
                        _JS_REDRAWN,
                        arg=handle.element_handle(),
                        timeout=SLIDER_TIMEOUT_S * 1000,
                        polling=500,
                    )
                except PlaywrightError:
                    page.screenshot(path=shot)
                    now = handle.evaluate(_JS_SIGNATURE)
                    pytest.fail(
                        f"{notebook.name}: slider {i + 1} ({label!r}) moved ({key}), its output "
                        f"was not redrawn within {SLIDER_TIMEOUT_S} s; output text: "
                        f"{now['text'][-500:]!r}; screenshot {shot}"
                    )
                after = handle.evaluate(_JS_SIGNATURE)
                assert "Traceback" not in after["text"], (
                    f"{notebook.name}: slider {label!r}: {after['text'][-800:]}"
                )
                same = after["imgs"] == before["imgs"]
                print(
                    f"{notebook.name}: slider {label!r} redrew in {time.monotonic() - t0:.1f} s"
                    + " (same figure)" * same
                )
                if same:
                    warnings.warn(
                        f"{notebook.name}: slider {label!r} moved one step ({key}) and redrew a "
                        "figure identical to the one before (in this tier the parameter's step "
                        "does not change the drawing)",
                        stacklevel=1,
                    )
        finally:
            page.close()
            _shutdown_kernels(url)


def _shutdown_kernels(url: str) -> None:
    """Stop the notebook's kernel (the next notebook gets the cores to itself)."""
    with urllib.request.urlopen(f"{url}/api/sessions", timeout=10) as r:
        sessions = json.load(r)
    for session in sessions:
        req = urllib.request.Request(f"{url}/api/sessions/{session['id']}", method="DELETE")
        urllib.request.urlopen(req, timeout=30).close()


# ---------------------------------------------------------------------------------------------
# (b) the built site
# ---------------------------------------------------------------------------------------------


def _site_pages() -> list[str]:
    """The pages the site must have: README (home), each notebook, each docs/ page, data/README."""
    pages = ["index.html", "README.html", "genindex.html", "search.html"]
    pages += [f"notebooks/{nb.stem}.html" for nb in NOTEBOOKS]
    pages += [
        p.relative_to(ROOT).with_suffix(".html").as_posix()
        for p in sorted((ROOT / "docs").rglob("*.md"))
    ]
    if (ROOT / "data" / "README.md").exists():
        pages.append("data/README.html")
    return pages


@pytest.fixture(scope="class")
def site(tmp_path_factory):
    """The site built afresh (as `make book` does) into a temporary folder, served on 127.0.0.1."""
    pytest.importorskip(
        "sphinx", reason="the site needs Sphinx: pip install -e '.[book]' (make book installs it)"
    )
    pytest.importorskip("myst_nb", reason="the site needs myst-nb: pip install -e '.[book]'")
    out = tmp_path_factory.mktemp("site")
    html = out / "html"
    t0 = time.monotonic()
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", "book",
         "-d", str(out / "doctrees"), ".", str(html)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert build.returncode == 0, (
        f"sphinx-build failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    )
    print(f"site built in {time.monotonic() - t0:.0f} s; sphinx warnings:\n{build.stderr[-3000:]}")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", html, build.stderr
    finally:
        server.shutdown()
        server.server_close()


@functools.cache
def _ids(path: pathlib.Path) -> frozenset[str]:
    """The element ids of a built page (link fragments must name one)."""
    return frozenset(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))


def _broken_link(html: pathlib.Path, origin: str, href: str) -> str | None:
    parts = urllib.parse.urlsplit(href)
    rel = urllib.parse.unquote(parts.path).lstrip("/")
    target = html / rel
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"{href} (no file {rel})"
    if parts.fragment and target.suffix == ".html":
        fragment = urllib.parse.unquote(parts.fragment)
        if fragment not in _ids(target):
            return f"{href} (no id {fragment!r} in {rel})"
    return None


class TestSite:
    @NEEDS_BROWSER[0]
    @NEEDS_BROWSER[1]
    @pytest.mark.parametrize("path", _site_pages())
    def test_page_loads_whole(self, site, browser, path):
        origin, html, warnings = site
        assert (html / path).is_file(), (
            f"{path} is not in the site; sphinx warnings:\n{warnings[-2000:]}"
        )
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors, external = [], []

        def on_console(msg):
            if msg.type != "error":
                return
            where = msg.location.get("url", "") if msg.location else ""
            # A resource outside the site (MathJax's CDN) cannot load offline: not the site's error.
            (external if where and not where.startswith(origin) else errors).append(
                f"{msg.text} [{where}]"
            )

        page.on("console", on_console)
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        page.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
        try:
            page.goto(f"{origin}/{path}", wait_until="load")
            if path == "index.html":
                page.wait_for_url(re.compile(r"README\.html"))
            # Every image, lazy or not, loaded with a real size.
            page.evaluate(
                "() => document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })"
            )
            page.wait_for_function(
                "() => [...document.images].every(i => i.complete)", timeout=30_000
            )
            broken_imgs = page.evaluate(
                "() => [...document.images].filter(i => !(i.naturalWidth > 0)).map(i => "
                "i.getAttribute('src').slice(0, 120))"
            )
            hrefs = page.evaluate(
                "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"
            )
            broken_links = sorted(
                {
                    b
                    for h in hrefs
                    if h.startswith(origin) and (b := _broken_link(html, origin, h[len(origin) :]))
                }
            )
            maths = page.locator(".math").count()
            mathjax = page.locator("script[src*='mathjax' i]").count()
            page.wait_for_timeout(200)  # late console messages
        finally:
            page.close()
        assert not broken_imgs, f"{path}: broken images {broken_imgs}"
        assert not broken_links, f"{path}: broken internal links:\n" + "\n".join(broken_links)
        assert not errors, f"{path}: console errors:\n" + "\n".join(errors)
        if maths:
            assert mathjax, f"{path}: {maths} maths elements but no MathJax script to typeset them"

    def test_notebook_pages_show_saved_figures_and_widget_notes(self, site):
        _, html, _ = site
        for nb in NOTEBOOKS:
            text = (html / "notebooks" / f"{nb.stem}.html").read_text(encoding="utf-8")
            cells = json.loads(nb.read_text())["cells"]
            n_png = sum(
                "image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", [])
            )
            assert text.count("<img") >= n_png, (
                f"{nb.name}: {n_png} saved figures, {text.count('<img')} images on its page"
            )
            assert "interactive(children=" not in text, (
                f"{nb.name}: a widget's text repr is on the page"
            )
            n_explore = sum(
                c["cell_type"] == "code"
                and (
                    re.search(r"\bexplore\(", "".join(c["source"])) is not None
                    or "interactive(children=" in json.dumps(c.get("outputs", []))
                )
                for c in cells
            )
            assert text.count("Live in JupyterLab") == n_explore, (
                f"{nb.name}: {n_explore} widget cells, notes differ"
            )

    def test_sidebar_in_teaching_order(self, site):
        _, html, _ = site
        text = (html / "README.html").read_text(encoding="utf-8")
        nav = text[text.index("bd-sidebar-primary") :]
        positions = [nav.find(f"notebooks/{nb.stem}.html") for nb in NOTEBOOKS]
        assert all(p >= 0 for p in positions), (
            f"sidebar lacks notebooks: {[nb.name for nb, p in zip(NOTEBOOKS, positions) if p < 0]}"
        )
        assert positions == sorted(positions), "sidebar notebooks are not in teaching order"
        for doc in sorted((ROOT / "docs").rglob("*.md")):
            href = doc.relative_to(ROOT).with_suffix(".html").as_posix()
            assert href in nav, f"sidebar lacks {href}"
