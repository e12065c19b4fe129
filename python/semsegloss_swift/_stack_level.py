"""Where a warning of the package should point: at the user's code, however many of the
package's own frames (wrappers such as `_option_hints.with_option_hints`, helpers) lie in
between."""
from __future__ import annotations

import os
import sys

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The `stacklevel` for a `warnings.warn` made by the function that calls this, such
    that the warning names the first frame outside this package."""
    frame = sys._getframe(1)  # the function that warns: stacklevel 1
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level
