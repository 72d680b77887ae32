"""Exceptions the library raises; the CLI turns them into one line and exit status 2."""


class MlsearchError(Exception):
    """Base class: an error with a message fit to show a user, and an optional hint."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class IndexMissingError(MlsearchError):
    pass


class SchemaVersionError(MlsearchError):
    pass


class IndexLockedError(MlsearchError):
    pass


class QuerySyntaxError(MlsearchError):
    pass


class ArticleNotFoundError(MlsearchError):
    pass


class UnreadableFileError(MlsearchError):
    """A file that cannot be read, decoded or parsed: skipped and counted, never fatal."""


class IndexDamagedError(MlsearchError):
    """The index's files cannot be read as an index: `mlsearch check` says what is wrong,
    `mlsearch index --rebuild` builds a new one."""
