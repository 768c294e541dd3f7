"""Replay and check the selection records shipped for the built-in meshes (vdm/data/selections/).

The records are data: each holds its strokes (cameras and lasso polygons, drawn as a curator
would: the part with a little surface around it, then a clean-up edit) and the face ids they
select. This tool replays every record's strokes and edits on its built-in mesh and checks that
the replay gives exactly the cached face ids and that the file is the record's canonical form:

    python -m lasso.builtin_selections            # check (the tests make the same check)
    python -m lasso.builtin_selections --update   # after an engine change: rewrite the cached ids

Pictures of them for the docs: scripts/selection_pictures.py.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

from vdm.atomic import write_text_atomic
from vdm.lasso.engine import engine_for
from vdm.records import SelectionRecord, load_record, shipped_records
from vdm.sources import load_source

log = logging.getLogger(__name__)


def replayed_record(path: Path) -> SelectionRecord:
    """The shipped record at `path` with the face ids its strokes and edits select today."""
    record = load_record(path)
    ids = engine_for(load_source(record.source)).select(record.strokes, record.edits)
    return replace(record, face_ids=ids.tolist())


def stale_records(update: bool = False) -> list[str]:
    """Names of the shipped records whose file differs from their replay (rewritten with `update`)."""
    stale = []
    for path in shipped_records():
        text = replayed_record(path).dumps()
        if path.read_text(encoding="utf-8") != text:
            stale.append(path.stem)
            if update:
                write_text_atomic(path, text)
                log.info("rewrote %s", path)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lasso.builtin_selections", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--update", action="store_true", help="Rewrite the records that differ from their replay."
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    stale = stale_records(update=args.update)
    if stale and not args.update:
        log.error("out of date: %s (python -m lasso.builtin_selections --update)", ", ".join(stale))
        return 1
    log.info("%d shipped records replay to their cached face ids", len(shipped_records()) - len(stale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
