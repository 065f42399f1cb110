"""Processing settings as plain JSON data: what every recording stores next to its raw samples."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from biofeedback.signal import PipelineConfig


def pipeline_settings(config: PipelineConfig | None = None) -> dict[str, Any]:
    """The pipeline configuration (defaults when ``None``) as JSON-safe nested dicts."""
    return json.loads(json.dumps(asdict(config or PipelineConfig()), default=str))
