"""Signal sources: simulated sensor, serial sensor, file replay — one interface for all."""

from biofeedback.devices.base import BlockConsumer, Source, SourceError, SourceState

__all__ = ["BlockConsumer", "Source", "SourceError", "SourceState"]
