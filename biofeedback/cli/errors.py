"""The error type every command raises for a problem the user must fix."""

from biofeedback.formats.errors import UserError


class CliError(UserError):
    """Printed as ``biofeedback CMD: error: MESSAGE`` with a non-zero exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (``kill``, a logout, a service manager): stop like Ctrl-C, say which."""
