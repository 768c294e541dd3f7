"""The Hugging Face hub and the model directory's index file: the leaf that loading and the
checkpoints' base-model records both stand on (no import of either)."""

from __future__ import annotations

import logging
import re
import socket
from pathlib import Path
from urllib.parse import urlparse

from vdm.errors import VdmError, short_reason

log = logging.getLogger(__name__)

MODEL_INDEX = "model_index.json"
HUB_ID_RE = re.compile(r"^[\w.-]+/[\w.-]+$")
HUB_PATTERNS = ["*.json", "*.txt", "*.safetensors", "*.bin"]


def download(repo_id: str, revision: str | None = None) -> Path:
    """The hub snapshot (at `revision`, else the newest): from the local cache if present, else
    downloaded; offline fails fast."""
    from huggingface_hub import constants, snapshot_download

    try:
        return Path(
            snapshot_download(repo_id, revision=revision, allow_patterns=HUB_PATTERNS, local_files_only=True)
        )
    except Exception:
        log.debug("%s is not in the Hugging Face cache", repo_id)
    if constants.HF_HUB_OFFLINE:
        raise VdmError(f"Model {repo_id} is not in the Hugging Face cache and HF_HUB_OFFLINE is set.")
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=5).close()
    except OSError as exc:
        raise VdmError(
            f"Model {repo_id} is not cached and {host} cannot be reached ({short_reason(exc)}); "
            "download it elsewhere or pass a local directory"
            "."
        ) from exc
    log.info("downloading %s from the Hugging Face hub", repo_id)
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=HUB_PATTERNS))
    except Exception as exc:
        raise VdmError(f"Could not download model {repo_id} ({short_reason(exc)}).") from exc
