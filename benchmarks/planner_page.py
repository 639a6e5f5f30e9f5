"""The planner's plan screen in headless Chromium on the local runtime: first contentful
paint, first meaningful paint and time to interactive, plus the gzipped size of the page's own
JavaScript and CSS (vendored libraries listed apart).

- First contentful paint: the browser's `first-contentful-paint` entry (the shell's text).
- First meaningful paint: when the plan screen's form is painted (the "Plan a season" heading
  and the season text box are in the DOM, stamped at the next animation frame).
- Time to interactive: when the form is usable and its data is in: the "Extract parameters"
  button is enabled and GET /api/categories has answered (its resource entry's responseEnd),
  whichever is later. The page has no long tasks after that (it is idle until the planner acts).

Each run is a fresh browser context (cold HTTP cache) signed in with an API key through
sessionStorage, so it opens straight on the plan screen. Debian's chromium is needed
(`apt-get install -y chromium`).

    .venv/bin/python benchmarks/planner_page.py [--runs 10]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
from pathlib import Path

from playwright.sync_api import sync_playwright

from fashion_forecast_local.runtime import LocalRuntime, free_port

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SESSION = {"kind": "api_key", "apiKey": "benchmark-key"}
STAMPS = """
sessionStorage.setItem("ff.session", __SESSION__);
window.__marks = {};
const texts = (selector) => [...document.querySelectorAll(selector)];
const watch = () => {
  const marks = window.__marks;
  const heading = texts("h1").some((h) => h.textContent === "Plan a season");
  if (!marks.meaningful && heading && document.getElementById("season-text")) {
    requestAnimationFrame(() => (marks.meaningful = performance.now()));
  }
  const button = texts("button").find((b) => b.textContent === "Extract parameters");
  if (!marks.usable && button && !button.disabled) marks.usable = performance.now();
  if (!marks.meaningful || !marks.usable) requestAnimationFrame(watch);
};
requestAnimationFrame(watch);
""".replace("__SESSION__", json.dumps(json.dumps(SESSION)))
CATEGORIES = """() => performance.getEntriesByType("resource")
  .find((e) => e.name.endsWith("/api/categories")) || null"""
READ = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const categories = (CATEGORIES)();
  const nav = performance.getEntriesByType("navigation")[0];
  return {
    fcp: paint ? paint.startTime : null,
    meaningful: window.__marks.meaningful || null,
    usable: window.__marks.usable || null,
    categories: categories ? categories.responseEnd : null,
    dom_content_loaded: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
  };
}""".replace("CATEGORIES", CATEGORIES)


def gzipped(paths: list[Path]) -> tuple[int, int]:
    raw = sum(p.stat().st_size for p in paths)
    packed = sum(len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in paths)
    return raw, packed


def sizes() -> None:
    own = sorted([WEB / "index.html", *WEB.glob("js/**/*.js"), *WEB.glob("css/*.css")])
    raw, packed = gzipped(own)
    print(
        f"page's own HTML+JS+CSS: {len(own)} files, {raw / 1024:.1f} KiB, "
        f"{packed / 1024:.1f} KiB gzipped (target < 100 KB)"
    )
    for folder in sorted(p for p in (WEB / "vendor").iterdir() if p.is_dir()):
        files = [p for p in folder.iterdir() if p.suffix in {".js", ".mjs", ".css"}]
        raw, packed = gzipped(files)
        print(f"  vendored {folder.name}: {raw / 1024:.1f} KiB, {packed / 1024:.1f} KiB gzipped")


def measure(runs: int) -> None:
    runtime = LocalRuntime(api_port=free_port())
    with runtime, sync_playwright() as playwright:
        runtime.serve_in_thread()
        base = f"http://127.0.0.1:{runtime.api_port}/#/plan"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        samples = []
        for _ in range(runs + 1):  # the first run warms the server up and is not counted
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.add_init_script(STAMPS)
            page.goto(base, wait_until="load")
            page.wait_for_function("window.__marks.meaningful && window.__marks.usable")
            page.wait_for_function(CATEGORIES)
            sample = page.evaluate(READ)
            sample["interactive"] = max(sample["usable"], sample["categories"])
            samples.append(sample)
            context.close()
        browser.close()
    samples = samples[1:]
    print(f"plan screen, {runs} cold loads (ms from navigation start; median, min-max):")
    for key in ("fcp", "meaningful", "interactive", "dom_content_loaded", "load"):
        values = [s[key] for s in samples]
        print(f"  {key:<20} {statistics.median(values):7.0f}   {min(values):.0f}-{max(values):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    sizes()
    measure(args.runs)


if __name__ == "__main__":
    main()
