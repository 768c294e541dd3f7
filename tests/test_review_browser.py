"""The Review tab of `vdm app` in a real browser (the set-up of test_app_browser.py, shared through
app_browser.py): a reviewer decides a page of proposals from the keyboard as fast as the page
answers, the journal and the saved records are what the Polyscope review writes for the same
decisions, thumbnails are rendered ahead, a reload resumes, and a bad folder is one sentence.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from app_browser import UI_MS, started_app, wait_until_serving
from lasso_polyscope import press_key, use_backend
from playwright.sync_api import BrowserContext, Page, expect

from vdm.lasso.gui import LassoApp
from vdm.lasso.review import JOURNAL
from vdm.proposal_index import read_proposals
from vdm.propose.config import ProposeConfig
from vdm.propose.proposals import propose, write_proposals
from vdm.sources import load_source

pytestmark = pytest.mark.xdist_group("review-browser")  # one server, one browser

# The cow's twelve parts fill the first page; two of the creature's make a second one.
SOURCES = {"builtin:cow": 10, "builtin:creature": 4}
PAGE = 12
# A reviewer's decisions on the first page and the first card of the second.
DECISIONS = ["accepted", "rejected", "rejected", "accepted", "rejected", "accepted"] * 2 + ["rejected"]
MIN_PER_MINUTE = 30


@dataclass
class Served:
    url: str
    proposals: Path
    selections: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    """`vdm app --proposals DIR --selections OUT`, the proposals written while it starts (not
    stitch-checked: that is propose's test)."""
    root = tmp_path_factory.mktemp("review")
    proposals, selections = root / "proposals", root / "selections"
    with started_app(root, "--proposals", proposals, "--selections", selections) as (server, url, _port):
        for spec, count in SOURCES.items():
            config = ProposeConfig(count=count, stitch_check=False)
            write_proposals(propose(load_source(spec), config, progress=False), proposals, config)
        wait_until_serving(url, server, root / "server.log")
        yield Served(url, proposals, selections)


@pytest.fixture
def page(browser: BrowserContext, served: Served) -> Iterator[Page]:
    page = browser.new_page()
    page.set_default_timeout(UI_MS)
    page.goto(served.url)
    page.get_by_role("tab", name="Review").click()
    yield page
    page.close()


def cards(page: Page):
    return page.locator("#review-grid .card")


def selected(page: Page) -> int:
    return page.eval_on_selector_all(
        "#review-grid .card", "all => all.findIndex(c => c.matches('.selected'))"
    )


def folder_proposals(served: Served) -> list:
    return [r for spec in SOURCES for r in read_proposals(served.proposals, load_source(spec).source)]


def polyscope_review(served: Served, out: Path, decisions: list[str]) -> None:
    """The same decisions in the Polyscope review (keys A and R, openGL_mock backend), into `out`."""
    import polyscope as ps
    import polyscope.imgui as psim

    use_backend("openGL_mock")
    app = LassoApp(list(SOURCES), out, proposals=served.proposals)
    app.install()
    ps.frame_tick()
    try:
        for decision in decisions:
            press_key(psim.ImGuiKey_A if decision == "accepted" else psim.ImGuiKey_R)
    finally:
        ps.clear_user_callback()
        ps.set_do_default_mouse_interaction(True)


def written(out: Path) -> tuple[dict, dict]:
    """The journal without its times, and the saved records without their creation times."""
    journal = json.loads((out / JOURNAL).read_text())["decided"]
    entries = {key: {k: v for k, v in entry.items() if k != "at"} for key, entry in journal.items()}
    records = {p.name: json.loads(p.read_text()) for p in out.glob("*.json")}
    return entries, {name: {k: v for k, v in r.items() if k != "created"} for name, r in records.items()}


def moves_and_shows_the_lasso_command(page: Page, served: Served) -> None:
    """The arrows and J/K move the selected card (four a row); E shows and hides its command."""
    for key, index in (
        ("j", 1),
        ("ArrowRight", 2),
        ("k", 1),
        ("ArrowDown", 5),
        ("ArrowUp", 1),
        ("ArrowLeft", 0),
    ):
        page.keyboard.press(key)
        assert selected(page) == index, key
    command = cards(page).nth(0).locator(".command")
    page.keyboard.press("e")
    lasso = ["vdm", "lasso", "builtin:cow", "--proposals", served.proposals, "--out", served.selections]
    expect(command).to_have_text(shlex.join(map(str, lasso)))
    expect(command).to_be_visible()
    page.keyboard.press("e")
    expect(command).to_be_hidden()


def wait_for_thumbnails(folder: Path, count: int) -> list[str]:
    """The record ids of the thumbnails in `folder` once there are `count` (or the UI's patience ran out)."""
    deadline = time.monotonic() + UI_MS / 1000
    while len(list(folder.glob("*.png"))) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return sorted(path.stem for path in folder.glob("*.png"))


def assert_written_as_the_lasso_does(served: Served, proposals: list, by_polyscope: Path) -> None:
    """The journal and the records are the Polyscope review's for the same decisions (but for the
    times), and an accepted record is the proposal as it was proposed."""
    polyscope_review(served, by_polyscope, DECISIONS)
    journal, records = written(served.selections)
    assert (journal, records) == written(by_polyscope)
    decided = proposals[: len(DECISIONS)]
    assert [journal[p.id]["decision"] for p in decided] == DECISIONS and len(journal) == len(DECISIONS)
    accepted = [p for p, d in zip(decided, DECISIONS, strict=True) if d == "accepted"]
    assert records == {
        f"{p.id}.json": {k: v for k, v in p.to_json().items() if k != "created"} for p in accepted
    }


def test_a_page_decided_by_keys_is_journalled_as_the_lasso_does_and_resumes(page, served, tmp_path):
    proposals = folder_proposals(served)
    assert len(proposals) == PAGE + 2
    expect(cards(page)).to_have_count(PAGE)
    expect(page.locator("#review-grid .review")).to_have_attribute("data-page", "0")
    assert cards(page).nth(0).get_attribute("data-id") == proposals[0].id  # the cow's best first
    expect(cards(page).nth(0).locator(".label")).to_contain_text(f"cow — {proposals[0].note}")
    moves_and_shows_the_lasso_command(page, served)

    start = time.perf_counter()
    for index, decision in enumerate(DECISIONS[:PAGE]):  # as fast as the page shows each decision
        page.keyboard.press("A" if decision == "accepted" else "R")
        expect(cards(page).nth(index)).to_have_attribute("data-decision", decision)
    per_minute = PAGE / (time.perf_counter() - start) * 60
    print(f"\na scripted reviewer: {per_minute:.0f} decisions per minute")
    assert per_minute >= MIN_PER_MINUTE
    expect(page.locator("#review-grid .summary")).to_have_text("12 of 14 decided (6 accepted, 6 rejected)")

    expect(page.locator("#review-grid .card img")).to_have_count(PAGE)  # rendered in the background
    thumbnails = served.selections / "review" / "thumbnails"  # the next page's too, before it is shown
    assert wait_for_thumbnails(thumbnails, len(proposals)) == sorted(r.id for r in proposals)
    page.keyboard.press("n")
    expect(page.locator("#review-grid .review")).to_have_attribute("data-page", "1")
    expect(cards(page)).to_have_count(2)
    assert page.locator("#review-grid .card img").count() == 2  # shown with the page, no wait
    cards(page).nth(0).get_by_role("button", name="Reject (R)").click()
    expect(cards(page).nth(0)).to_have_attribute("data-decision", "rejected")
    assert_written_as_the_lasso_does(served, proposals, tmp_path / "by-polyscope")

    page.reload()  # resumed: the first page with an undecided proposal, its decisions shown
    page.get_by_role("tab", name="Review").click()
    expect(page.locator("#review-grid .review")).to_have_attribute("data-page", "1")
    expect(cards(page).nth(0)).to_have_attribute("data-decision", "rejected")
    expect(cards(page).nth(1)).to_have_attribute("data-decision", "")
    assert selected(page) == 1
    page.keyboard.press("p")
    expect(page.locator("#review-grid .review")).to_have_attribute("data-page", "0")
    assert [cards(page).nth(i).get_attribute("data-decision") for i in range(PAGE)] == DECISIONS[:PAGE]


def test_a_missing_or_empty_proposals_folder_is_one_sentence(page, tmp_path):
    page.locator("#review-grid .card").first.wait_for()  # the folder of the command opened
    for folder, words in ((tmp_path / "missing", "does not exist"), (tmp_path, "holds no proposals")):
        page.fill("#review-proposals textarea", str(folder))
        page.press("#review-proposals textarea", "Enter")
        expect(page.locator("#review-grid .review-message")).to_contain_text(words)
        expect(cards(page)).to_have_count(0)
    assert "Traceback" not in page.content()
