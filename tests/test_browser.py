"""The step-through page of ``backward_steps`` in a real browser: headless Chromium, driven by Playwright
with the system's Chromium (``shutil.which("chromium")``; nothing is downloaded), opens the saved
file, steps with the Next button and the arrow keys, and takes a screenshot that is not blank."""
import io
import shutil

import pytest

import minigrad as mg

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HAS_DOT = shutil.which("dot") is not None
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH (Debian: apt-get install chromium)"),
    pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def lecture_page(tmp_path):
    w = mg.tensor(-2.0, requires_grad=True, name="w")
    x = mg.tensor(5.0, requires_grad=True, name="x")
    b = mg.tensor(3.0, requires_grad=True, name="b")
    g = w * x
    g.name = "g"
    f = g + b
    f.name = "f"
    steps = mg.backward_steps(f)
    return steps, steps.save_html(tmp_path / "f_wx_b.html")


def visible_frames(page):
    return page.locator(".mg-frame:visible")


def test_page_steps_forward_with_next_and_back_with_the_arrow_key(browser, tmp_path):
    steps, path = lecture_page(tmp_path)
    lines = steps.explain()
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())

    assert visible_frames(page).count() == 1
    assert visible_frames(page).get_attribute("data-step") == "0"
    assert page.locator(".mg-counter").inner_text() == "step 1 of 2"
    assert visible_frames(page).locator("svg").count() == 1

    page.get_by_role("button", name="Next").click()
    assert visible_frames(page).get_attribute("data-step") == "1"
    assert page.locator(".mg-counter").inner_text() == "step 2 of 2"
    explanation = visible_frames(page).locator(".mg-explain").inner_text()
    assert explanation == lines[1] and "∂f/∂w = ∂f/∂g · ∂g/∂w = 1 · 5 = 5" in explanation
    assert "mul" in visible_frames(page).locator("svg").text_content()

    page.keyboard.press("ArrowLeft")
    assert visible_frames(page).get_attribute("data-step") == "0"
    assert visible_frames(page).locator(".mg-explain").inner_text() == lines[0]
    page.keyboard.press("ArrowRight")
    assert visible_frames(page).get_attribute("data-step") == "1"
    page.keyboard.press("ArrowRight")  # the last step stays the last
    assert visible_frames(page).get_attribute("data-step") == "1"
    assert page.locator(".mg-slider").input_value() == "1"

    assert requests == [path.as_uri()]  # the page fetched nothing else: self-contained

    png = page.screenshot(full_page=True)
    image = pytest.importorskip("PIL.Image").open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20  # text, boxes, violet gradients: not a blank page
    white = max(count for count, rgb in colours if rgb == (255, 255, 255)) if any(
        rgb == (255, 255, 255) for _, rgb in colours) else 0
    assert white < 0.99 * image.width * image.height
    page.close()


def test_slider_jumps_to_a_step(browser, tmp_path):
    _, path = lecture_page(tmp_path)
    page = browser.new_page()
    page.goto(path.as_uri())
    page.locator(".mg-slider").fill("1")
    assert visible_frames(page).get_attribute("data-step") == "1"
    page.close()
