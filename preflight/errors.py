"""The error every stage raises for bad input, so the CLI can report it in one line."""


class InputError(Exception):
    """Bad input to preflight (flags, project, stack file, state file, policy config): exit code 2."""
