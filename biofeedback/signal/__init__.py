"""The signal core: pure numpy/scipy, no Qt, files, devices, threads or clocks.

Arrays are ``(n_samples, n_channels)`` along ``axis=0`` with ``fs`` in Hz. Every stage is a small
stateful object, so live (blocks) and offline (one array) share the same code and give the
same numbers: :class:`LiveProcessor` is the engine, :func:`analyze` runs a whole recording
through it. Definitions and formulas: ``docs/signal.md``.
"""

from biofeedback.signal.analysis import AnalysisResult, analyze, analyze_chunks
from biofeedback.signal.baseline import Baseline
from biofeedback.signal.config import (
    BaselineConfig,
    DetectionConfig,
    EmgConfig,
    PipelineConfig,
    PressureConfig,
    QualityConfig,
    RelaxationConfig,
    StrainConfig,
)
from biofeedback.signal.detection import ContractionEvent
from biofeedback.signal.feedback_state import FeedbackState
from biofeedback.signal.live import LiveProcessor, ProcessorStatus
from biofeedback.signal.metrics import SegmentMetrics
from biofeedback.signal.pipeline import EmgFrame
from biofeedback.signal.pressure import PressureFrame, PressurePipeline
from biofeedback.signal.quality import QualityFlag, QualitySecond

__all__ = [
    "AnalysisResult",
    "Baseline",
    "BaselineConfig",
    "ContractionEvent",
    "DetectionConfig",
    "EmgConfig",
    "EmgFrame",
    "FeedbackState",
    "LiveProcessor",
    "PipelineConfig",
    "PressureConfig",
    "PressureFrame",
    "PressurePipeline",
    "ProcessorStatus",
    "QualityConfig",
    "QualityFlag",
    "QualitySecond",
    "RelaxationConfig",
    "SegmentMetrics",
    "StrainConfig",
    "analyze",
    "analyze_chunks",
]
