"""``python -m biofeedback``: same as the ``biofeedback`` console script."""

from biofeedback.cli import main

raise SystemExit(main())
