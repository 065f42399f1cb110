"""The one error every file reader and writer raises for a bad or unwritable file."""


class FormatError(ValueError):
    """A file cannot be read or written; ``str(exc)`` is one line: ``FILE: problem``.

    A ``ValueError`` so that the CLI prints it as one line, never a traceback.
    """
