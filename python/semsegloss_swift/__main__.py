"""Command line: ``semsegloss-swift COMMAND`` or ``python -m semsegloss_swift COMMAND``.

Commands:
  study   train a U-Net with several losses and compare them (see `study --help`)
  demo    evaluate every loss and metric on a synthetic batch and print a table
"""
from __future__ import annotations

import sys
from typing import List, Optional

COMMANDS = {"study": "semsegloss_swift.study", "demo": "semsegloss_swift.demo"}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"semsegloss-swift: unknown command {command!r}; commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    import importlib
    return importlib.import_module(COMMANDS[command]).main(rest)


if __name__ == "__main__":
    sys.exit(main())
