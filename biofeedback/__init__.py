"""Pelvic-floor surface-EMG and pressure biofeedback.

Launch with ``python -m biofeedback`` or the ``biofeedback`` console script; never put this
folder itself on ``sys.path`` (its ``signal`` subpackage would shadow the stdlib module).
"""

__version__ = "0.1.0"
