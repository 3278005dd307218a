"""Error kinds, so every failure is shown the right way.

- ``UserFacingError``: shown to the agent word for word (wrong password, no such setting).
- ``EnvironmentalError``: the world is not as expected (server unreachable, device missing);
  retried and shown as state.
- anything else is a bug: logged with its traceback and shown in a dialog to copy.

Imports no Qt.
"""


class SoftphoneError(Exception):
    """Base of the errors the app raises on purpose."""


class UserFacingError(SoftphoneError):
    """A problem the agent can act on; the message is written for them."""


class EnvironmentalError(SoftphoneError):
    """Something outside the app failed; retry and show it as state."""
