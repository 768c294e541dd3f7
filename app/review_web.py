"""The Review tab of `vdm app`: the proposals of `vdm propose` as a grid of thumbnails, decided
from the keyboard, a dozen at a time (vdm.app.review_grid holds the review; this module the page).

The grid is one gr.HTML whose script handles the keys and the buttons of each card and calls the
server functions below directly (no queue, no re-render of the page for a decision): A accepts,
R rejects, the arrows or J/K move, N and P turn the page, E shows the `vdm lasso` command that
opens the card in the Polyscope review to edit it. A mistake is one sentence in the grid.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from vdm.app.review_grid import THUMBNAILER, ReviewGrid, card_label
from vdm.atomic import os_reason
from vdm.errors import VdmError
from vdm.records import SelectionRecord

KEYS = "A accept · R reject · ← → or J K move · ↑ ↓ a row · N next page · P previous · E lasso command"
GRIDS: dict[tuple[str, str], ReviewGrid] = {}  # the grids opened, by their two absolute folders
LOCK = threading.Lock()  # one decision or opening at a time: one journal writer


def remember(grid: ReviewGrid) -> ReviewGrid:
    """Keep `grid` as the one of its two folders: every page of them decides through it."""
    GRIDS[(str(grid.review.proposals_dir), str(grid.review.out_dir))] = grid
    return grid


def opened(call: dict[str, Any]) -> ReviewGrid:
    """The grid of a page's folders (absolute, as the page holds them), opened if the server has
    not opened it yet (it restarted since the page was shown)."""
    key = (str(call["proposals"]), str(call["out"]))
    return GRIDS[key] if key in GRIDS else remember(ReviewGrid.open(*key))


def answer(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """What `work` answers, or {"error": one sentence} for a user's mistake (VdmError) or the
    machine's (OSError): the page shows the sentence, never a traceback."""
    try:
        with LOCK:
            return work()
    except VdmError as exc:
        return {"error": str(exc)}
    except OSError as exc:
        where = f"{os.fsdecode(exc.filename)}: " if exc.filename else ""
        return {"error": f"{where}{os_reason(exc)}."}


def picture(grid: ReviewGrid, record: SelectionRecord) -> dict[str, str] | None:
    """A card's thumbnail as a data URL, or why it has none, or None while it is being rendered."""
    path = grid.thumbnail_path(record)
    if path.is_file():
        return {"src": "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")}
    if record.id in THUMBNAILER.failed:
        return {"error": THUMBNAILER.failed[record.id]}
    return None


def card_html(grid: ReviewGrid, record: SelectionRecord) -> str:
    """One card: thumbnail, label, decision, buttons and the (hidden) lasso command."""
    shown = picture(grid, record)
    if shown is None:
        thumb = '<div class="thumb pending">rendering…</div>'
    elif "src" in shown:
        thumb = f'<div class="thumb"><img alt="" src="{shown["src"]}"></div>'
    else:
        thumb = f'<div class="thumb failed">{escape(shown["error"])}</div>'
    decision = grid.decision(record.id) or ""
    return (
        f'<div class="card" data-id="{record.id}" data-decision="{decision}">{thumb}'
        f'<div class="label">{escape(card_label(record))}</div>'
        f'<div class="decision">{decision}</div><div class="buttons">'
        '<button data-act="accepted">Accept (A)</button><button data-act="rejected">Reject (R)</button>'
        '<button data-act="edit">Edit in the lasso (E)</button></div>'
        f'<code class="command" hidden>{escape(grid.lasso_command(record))}</code></div>'
    )


def page_html(grid: ReviewGrid, number: int) -> str:
    """A page of cards with the counts, the keys and the page buttons; its thumbnails and the next
    page's are rendered from now on."""
    number = min(max(number, 0), grid.pages - 1)
    grid.prefetch(number)
    folders = f'data-proposals="{escape(str(grid.review.proposals_dir))}"'
    folders += f' data-out="{escape(str(grid.review.out_dir))}"'
    return (
        f'<div class="review" {folders} data-page="{number}" data-pages="{grid.pages}">'
        f'<div class="head"><span class="summary">{grid.summary()}</span> · page {number + 1} of '
        f'{grid.pages} · <button data-turn="-1">Previous (P)</button> <button data-turn="1">Next (N)'
        f'</button></div><div class="keys">{KEYS}</div><div class="review-message"></div>'
        f'<div class="cards">{"".join(card_html(grid, record) for record in grid.page(number))}</div></div>'
    )


def message_html(text: str) -> str:
    return f'<div class="review-message">{escape(text)}</div>'


def open_review(proposals: str | None, out: str | None) -> str:
    """The grid for the two folders, at the first page with an undecided proposal (the journal read
    afresh: a reload shows what was decided since, here or in the Polyscope review)."""

    def work() -> dict[str, Any]:
        grid = remember(ReviewGrid.open(proposals or "", out or ""))
        return {"html": page_html(grid, grid.first_undecided_page())}

    result = answer(work)
    return result["html"] if "html" in result else message_html(result["error"])


# -- server functions: the grid's script calls them with one object ---------------------------------
def decide(call: dict[str, Any]) -> dict[str, Any]:
    """{proposals, out, id, decision} -> {decision, summary}: a card accepted or rejected."""

    def work() -> dict[str, Any]:
        grid = opened(call)
        return {"decision": grid.decide(str(call["id"]), str(call["decision"])), "summary": grid.summary()}

    return answer(work)


def turn_page(call: dict[str, Any]) -> dict[str, Any]:
    """{proposals, out, page} -> {html}: another page of the grid."""
    return answer(lambda: {"html": page_html(opened(call), int(call["page"]))})


def thumbnails(call: dict[str, Any]) -> dict[str, Any]:
    """{proposals, out, ids} -> {shown: {id: {src} or {error}}} for the cards whose thumbnail is
    ready now (or failed)."""

    def work() -> dict[str, Any]:
        grid = opened(call)
        wanted = set(call["ids"])
        found = {record.id: picture(grid, record) for record in grid.cards if record.id in wanted}
        return {"shown": {key: value for key, value in found.items() if value is not None}}

    return answer(work)


# The grid's script (gr.HTML's js_on_load: `element`, `props` and `server` are given). The selected
# card moves at once on a key; the decisions go to the server one after another, in key order.
SCRIPT = """
const state = {selected: 0, shown: null, chain: Promise.resolve(), polling: false};
const root = () => element.querySelector('.review');
const cards = () => [...element.querySelectorAll('.card')];
const say = (text) => { const m = element.querySelector('.review-message'); if (m) m.textContent = text; };
function call(name, extra) {
  const r = root();
  return server[name]({proposals: r.dataset.proposals, out: r.dataset.out, ...extra});
}
function paint() {
  const r = root();
  if (!r) return;
  const all = cards();
  const shown = [r.dataset.proposals, r.dataset.out, r.dataset.page].join('|');
  if (shown !== state.shown) {
    state.shown = shown;
    state.selected = Math.max(all.findIndex((c) => !c.dataset.decision), 0);
  }
  all.forEach((c, i) => c.classList.toggle('selected', i === state.selected));
  poll();
}
function select(index) {
  const all = cards();
  if (!all.length) return;
  state.selected = Math.min(Math.max(index, 0), all.length - 1);
  paint();
  all[state.selected].scrollIntoView({block: 'nearest'});
}
function columns() {
  const all = cards();
  return Math.max(1, all.filter((c) => all.length && c.offsetTop === all[0].offsetTop).length);
}
function decide(card, decision) {
  if (!card || card.dataset.decision || card.classList.contains('waiting')) return;
  card.classList.add('waiting');
  state.chain = state.chain.then(async () => {
    const answer = await call('decide', {id: card.dataset.id, decision});
    card.classList.remove('waiting');
    if (answer.error) return say(answer.error);
    card.dataset.decision = answer.decision;
    card.querySelector('.decision').textContent = answer.decision;
    element.querySelector('.summary').textContent = answer.summary;
  }).catch((error) => say(String(error)));
}
function act(card, what) {
  if (!card) return;
  if (what === 'edit') {
    const command = card.querySelector('.command');
    command.hidden = !command.hidden;
    return;
  }
  const all = cards();
  const index = all.indexOf(card);
  decide(card, what);
  if (index === state.selected) select(index + 1);
}
async function turn(step) {
  const r = root();
  if (!r) return;
  const page = Number(r.dataset.page) + step;
  if (page < 0 || page >= Number(r.dataset.pages)) {
    return say(step > 0 ? 'This is the last page.' : 'This is the first page.');
  }
  await state.chain;
  const answer = await call('turn_page', {page});
  if (answer.error) return say(answer.error);
  props.value = answer.html;
}
function poll() {
  const waiting = [...element.querySelectorAll('.thumb.pending')].map((t) => t.closest('.card').dataset.id);
  if (state.polling || !waiting.length || !element.isConnected) return;
  state.polling = true;
  setTimeout(async () => {
    try {
      const answer = await call('thumbnails', {ids: waiting});
      for (const [id, shown] of Object.entries(answer.shown || {})) {
        const thumb = element.querySelector(`.card[data-id="${id}"] .thumb.pending`);
        if (!thumb) continue;
        thumb.classList.remove('pending');
        if (shown.src) {
          const img = document.createElement('img');
          img.alt = '';
          img.src = shown.src;
          thumb.replaceChildren(img);
        } else {
          thumb.classList.add('failed');
          thumb.textContent = shown.error;
        }
      }
    } finally {
      state.polling = false;
      poll();
    }
  }, 500);
}
const MOVES = {ArrowRight: 1, ArrowLeft: -1, j: 1, k: -1};
function onKey(event) {
  if (!element.isConnected) return document.removeEventListener('keydown', onKey, true);
  if (!root() || element.offsetParent === null || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest && event.target.closest('input, textarea, select, [contenteditable]')) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const card = cards()[state.selected];
  if (key in MOVES) select(state.selected + MOVES[key]);
  else if (key === 'ArrowDown') select(state.selected + columns());
  else if (key === 'ArrowUp') select(state.selected - columns());
  else if (key === 'a') act(card, 'accepted');
  else if (key === 'r') act(card, 'rejected');
  else if (key === 'e') act(card, 'edit');
  else if (key === 'n' || key === 'p') turn(key === 'n' ? 1 : -1);
  else return;
  event.preventDefault();
  event.stopPropagation();
}
document.addEventListener('keydown', onKey, true);
element.addEventListener('click', (event) => {
  const card = event.target.closest('.card');
  const button = event.target.closest('button');
  if (button && button.dataset.turn) turn(Number(button.dataset.turn));
  else if (button && card) act(card, button.dataset.act);
  else if (card) select(cards().indexOf(card));
});
new MutationObserver(paint).observe(element, {childList: true, subtree: true});
paint();
"""
STYLE = """
.review .head { margin: 4px 0; font-weight: 600; }
.review .keys { color: #555; font-size: 0.9em; margin-bottom: 6px; }
.review .review-message:not(:empty), .review-message:not(:empty) { color: #b91c1c; margin: 6px 0; }
.review .cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 10px; }
.review .card { border: 2px solid #d4d4d8; border-radius: 6px; padding: 6px; }
.review .card.selected { border-color: #2563eb; box-shadow: 0 0 0 3px #93c5fd; }
.review .card[data-decision="accepted"] { background: #dcfce7; }
.review .card[data-decision="rejected"] { background: #fee2e2; }
.review .card.waiting { opacity: 0.6; }
.review .thumb img { width: 100%; display: block; }
.review .thumb.pending, .review .thumb.failed { aspect-ratio: 8 / 3; display: flex; align-items: center;
  justify-content: center; background: #f4f4f5; color: #555; font-size: 0.85em; text-align: center; }
.review .label { font-size: 0.85em; margin: 4px 0; }
.review .decision { font-weight: 600; min-height: 1.2em; }
.review .buttons button, .review .head button { border: 1px solid #a1a1aa; border-radius: 4px;
  padding: 1px 6px; margin: 2px 2px 0 0; font-size: 0.85em; }
.review .command { display: block; word-break: break-all; font-size: 0.8em; margin-top: 4px; }
.review .command[hidden] { display: none; }
"""


def review_tab(app: gr.Blocks, proposals: Path | None, selections: Path | None) -> None:
    """The Review tab: the two folders, Open, and the grid (opened with the page when the command
    named the proposals folder)."""
    with gr.Row():
        folder = gr.Textbox(
            value=str(proposals or ""),
            label="Proposals folder (the --out of `vdm propose`)",
            elem_id="review-proposals",
            scale=3,
        )
        out = gr.Textbox(
            value=str(selections or ""),
            label="Selections folder: accepted records go here (the --out of `vdm lasso`)",
            elem_id="review-out",
            scale=3,
        )
        open_button = gr.Button("Open", elem_id="open-review", scale=1)
    grid = gr.HTML(
        value="",
        elem_id="review-grid",
        css_template=STYLE,
        js_on_load=SCRIPT,
        server_functions=[decide, turn_page, thumbnails],
    )
    events = [open_button.click, folder.submit, out.submit, *([app.load] if proposals else [])]
    gr.on(events, open_review, [folder, out], grid)
