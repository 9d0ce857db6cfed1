"""The one exception family for user mistakes: the CLI prints its message as one line and exits non-zero."""


class DmpdataError(Exception):
    """A user-facing error (bad scenario, bad path, invalid dataset): its message is the whole story."""


class ScenarioError(DmpdataError, ValueError):
    """A scenario file or setting is malformed."""


class DatasetError(DmpdataError):
    """A dataset folder is missing, incomplete, corrupted or would clobber user files."""
