"""The signal core: pure numpy/scipy, no Qt, files, devices, threads or clocks.

Arrays are ``(n_samples, n_channels)`` along ``axis=0`` with ``fs`` in Hz. Every stage is a small
stateful object with one ``process(x)`` method, so live (blocks) and offline (one array) share
the same code and give the same numbers.
"""

from biofeedback.signal.pipeline import EmgConfig, EmgFrame, EmgPipeline

__all__ = ["EmgConfig", "EmgFrame", "EmgPipeline"]
