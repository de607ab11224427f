"""The one exception type that means "the user asked for something invalid".

The CLI turns it into a one-line message and exit code 2; the dashboard into an ``st.error``. Anything else
that escapes is a bug in Prune Lab, not in the user's input.
"""


class UserError(ValueError):
    """Invalid input, a missing or corrupt file: a clear one-line message for a person."""
