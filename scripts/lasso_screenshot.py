"""Make the documentation screenshot of `vdm lasso` (docs/img/lasso.png) with a real window.

It runs the real GUI (Polyscope with GLFW, Mesa) on an X display and drives it with real X input
from xdotool: a plain drag lassos the cow's right ear, then a shift+drag around the horn is
captured half drawn, so the picture shows the selection, the lasso polyline and the panel.

    xvfb-run -s "-screen 0 1400x900x24" python scripts/lasso_screenshot.py --out docs/img/lasso.png
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from vdm.lasso.gui import LassoApp, init_viewer
from vdm.lasso.ps_camera import apply_camera
from vdm.records import Camera

log = logging.getLogger(__name__)

WINDOW = (1280, 720)
VIEW = Camera((0.75, 0.62, 1.25), (0.1, 0.36, 0.6), (0.0, 1.0, 0.0), "perspective", 45.0, None, *WINDOW)


def _loop(
    cx: float, cy: float, rx: float, ry: float, n: int = 24, turns: float = 1.0
) -> list[tuple[int, int]]:
    a = np.linspace(0.0, 2.0 * np.pi * turns, n)
    wobble = 1.0 + 0.06 * np.sin(5 * a)  # a hand-drawn loop is not a perfect ellipse
    return [
        (round(cx + rx * w * np.cos(t)), round(cy + ry * w * np.sin(t)))
        for t, w in zip(a, wobble, strict=True)
    ]


def _xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True)


class _Driver(threading.Thread):
    """Real mouse and key input through xdotool, in step with the frame loop."""

    def __init__(self, window_id: str, ear: list[tuple[int, int]], horn: list[tuple[int, int]]) -> None:
        super().__init__(daemon=True)
        self.window_id, self.ear, self.horn = window_id, ear, horn
        self.ready_for_picture = threading.Event()
        self.picture_taken = threading.Event()
        self.done = threading.Event()

    def _move(self, x: int, y: int) -> None:
        _xdotool("mousemove", "--window", self.window_id, str(x), str(y))
        time.sleep(0.03)

    def run(self) -> None:
        time.sleep(1.0)
        _xdotool("key", "--window", self.window_id, "l")  # lasso mode
        time.sleep(0.3)
        self._move(*self.ear[0])
        _xdotool("mousedown", "1")
        for p in self.ear[1:]:
            self._move(*p)
        _xdotool("mouseup", "1")
        time.sleep(0.8)  # the selection is computed and drawn
        self._move(*self.horn[0])
        _xdotool("keydown", "shift")
        _xdotool("mousedown", "1")
        for p in self.horn[1:]:
            self._move(*p)
        time.sleep(0.3)
        self.ready_for_picture.set()
        self.picture_taken.wait(10)
        _xdotool("mouseup", "1")
        _xdotool("keyup", "shift")
        time.sleep(0.5)
        self.done.set()


def _grab_window(window_id: str, out: Path) -> None:
    """What the X server shows of the window (the real screen, not a re-render)."""
    import os

    from PIL import ImageGrab

    geometry = subprocess.run(
        ["xdotool", "getwindowgeometry", "--shell", window_id], check=True, capture_output=True, text=True
    ).stdout
    g = dict(line.split("=", 1) for line in geometry.split())
    x, y, w, h = (int(g[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
    picture = ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=os.environ["DISPLAY"])
    out.parent.mkdir(parents=True, exist_ok=True)
    picture.save(out)


def take_screenshot(out: Path) -> None:
    import polyscope as ps

    init_viewer(window=WINDOW)
    with tempfile.TemporaryDirectory() as records:
        app = LassoApp(["builtin:cow"], Path(records))
        app.install()
        app.session.note = "ear, right"
        apply_camera(VIEW)
        ps.set_ground_plane_mode("none")  # software GL on a virtual display: keep frames cheap
        for _ in range(5):
            ps.frame_tick()
        window_id = subprocess.run(
            ["xdotool", "search", "--sync", "--name", "vdm lasso"], check=True, capture_output=True, text=True
        ).stdout.split()[0]
        driver = _Driver(window_id, ear=_loop(712, 378, 80, 62), horn=_loop(628, 300, 68, 34, turns=0.8))
        driver.start()
        deadline = time.time() + 600
        while not driver.done.is_set() and time.time() < deadline:
            ps.frame_tick()
            if driver.ready_for_picture.is_set() and not driver.picture_taken.is_set():
                ps.frame_tick()
                _grab_window(window_id, out)
                driver.picture_taken.set()
        if not driver.picture_taken.is_set():
            raise SystemExit(
                "the scripted lasso did not reach the picture (is this an X display with xdotool?)"
            )
        log.info("%d faces selected; screenshot written to %s", len(app.session.face_ids), out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python scripts/lasso_screenshot.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=Path("docs/img/lasso.png"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    take_screenshot(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
