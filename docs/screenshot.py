"""Render the notebook HTML of the worked example's run in headless Chromium, on a light and a dark page, and save a PNG.

Usage: python docs/screenshot.py [--out docs/notebook-html.png] [--chromium chromium]

What Jupyter shows is the result's _repr_html_ (an inline-styled fragment, rendered from the views). The
page puts it twice, once on a white background with dark text and once on a dark background with light
text, as JupyterLab's light and dark themes do, so one picture shows that both stay readable.
Needs Chromium (Debian: apt-get install -y chromium). Flags: --headless --no-sandbox --disable-gpu
--screenshot; --no-sandbox only because containers often run as root, where the sandbox refuses to start.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import attncli

THEMES = (("light", "#ffffff", "#1f1f1f"), ("dark", "#111111", "#e0e0e0"))


def page() -> str:
    fragment = attncli.run(attncli.load("dog_ate_dinner"))._repr_html_()
    panes = "".join(
        f'<div style="background: {bg}; color: {fg}; padding: 16px; flex: 1">'
        f'<div style="font: 12px monospace; margin-bottom: 8px">{name} theme: attncli.run(scenario)</div>'
        f"{fragment}</div>"
        for name, bg, fg in THEMES)
    return f'<!doctype html><html><head><meta charset="utf-8"></head><body style="margin: 0"><div style="display: flex">{panes}</div></body></html>'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "notebook-html.png"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser") or "chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "page.html"
        html.write_text(page(), encoding="utf-8")
        out = Path(args.out).resolve()
        command = [args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                   f"--screenshot={out}", "--window-size=1400,385", html.as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not out.exists():
        sys.exit(f"chromium failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
