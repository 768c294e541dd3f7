"""Where and how torch runs for train/ and reconstruct/: the device, and the CPU thread count.

torch is imported inside the functions, so that importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from vdm.errors import VdmError
from vdm.settings import setting

if TYPE_CHECKING:
    import torch


def device_setting() -> Any:
    """The torch device as a setting (the field of every config that runs torch)."""
    return setting(
        None,
        flag="--device",
        label="device",
        help="Torch device: cpu, cuda, cuda:1 ... (default CUDA when present).",
    )


def threads_setting(default: int | None = None) -> Any:
    """The CPU thread count of torch as a setting (None: torch's own default)."""
    return setting(default, flag="--threads", min=1, label="thread count", help="CPU threads for torch.")


def pick_device(name: str | None) -> torch.device:
    """The torch device: the one named, else CUDA when available, else the CPU."""
    import torch

    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise VdmError(f"Unknown device {name!r}; use cpu, cuda or cuda:<index>.") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise VdmError(f"Device {name} was asked for but this torch build or machine has no CUDA.")
    return device


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with `threads` CPU threads for torch (None: leave torch's setting), then restore
    the previous count. On a busy 2-core machine one thread is many times faster for small models."""
    import torch

    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
