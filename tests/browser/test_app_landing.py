"""Issue 17, item 10: ``recops lab --app`` opened on Voilà's bare file list ("Select items to open
with Voilà."), the ``text`` folder included. The real command (its own demo sandbox) is opened at
its root in Debian's chromium: a landing page names each app and what it is for, lists nothing
else, and its control panel link opens the app."""

from __future__ import annotations

import re

from ..output import OUTPUT_DIR
from ..ports import needs_chromium
from .apps import lab_env, launch_chromium, only, start_app

pytestmark = needs_chromium


def test_app_mode_opens_on_a_landing_page_that_names_each_app_and_opens_it(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)
    env = lab_env(tmp_path)
    app, base = start_app(env, cwd=tmp_path)
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p, env)
            ctx = browser.new_context(viewport={"width": 1200, "height": 800})
            ctx.route("**/*", only(base))
            page = ctx.new_page()
            page.goto(f"{base}/", timeout=60_000)  # where the browser opens
            body = page.locator("body")
            expect(body).to_contain_text("Control panel")
            expect(body).to_contain_text("pause, resume and stop the recording", ignore_case=True)
            expect(body).to_contain_text("Training walkthrough")
            expect(body).to_contain_text("exercises", ignore_case=True)
            assert "Select items to open" not in body.inner_text()
            links = page.get_by_role("link").all_inner_texts()
            assert [t.strip() for t in links] == ["Control panel", "Training walkthrough"], links
            OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUTPUT_DIR / "voila_landing.png"), full_page=True)

            page.get_by_role("link", name="Control panel").click()
            expect(page).to_have_url(re.compile(r"/voila/render/control_panel\.ipynb"))
            expect(page.locator(".recops-control-panel").first).to_be_visible(timeout=120_000)
            browser.close()
    finally:
        (tmp_path / "voila.log").write_text(app.output())
        app.stop(timeout=15)
