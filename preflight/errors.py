"""The error every stage raises for bad input, so the CLI can report it in one line."""

from __future__ import annotations


class InputError(Exception):
    """Bad input to preflight (flags, project, stack file, state file, policy config): exit code 2.

    `str()` is the one-line message; `path`, `line`, `column` (1-based) and `key_path` locate it where known, for
    callers that reformat it."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        key_path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column
        self.key_path = key_path

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled across the worker process boundary with its keyword fields.
        return (_rebuild, (str(self), self.path, self.line, self.column, self.key_path))


def _rebuild(message: str, path: str | None, line: int | None, column: int | None, key_path: str | None) -> InputError:
    return InputError(message, path=path, line=line, column=column, key_path=key_path)
