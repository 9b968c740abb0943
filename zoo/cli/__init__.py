"""The `zoo` command. Each `cmd_*.py` module in this package adds one subcommand.

Commands stay thin: parse arguments, call one library function, print a table or `--json`.
Heavy libraries (torch, openvino) are imported inside the commands, so `zoo list` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from zoo import __version__
from zoo._errors import ZooError, one_line
from zoo._text import VisibleWriter, visible


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoo", description="Benchmark, evaluate, validate and document a zoo of vision models."
    )
    parser.add_argument("--version", action="version", version=f"zoo {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("cmd_")):
        importlib.import_module(f"{__name__}.{module}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; bad input is one line on stderr and exit 2, never a traceback.

    Everything printed goes through `visible`: a name from an index cannot drive the terminal.
    """
    args = build_parser().parse_args(argv)
    try:
        with contextlib.redirect_stdout(VisibleWriter(sys.stdout)):
            return int(args.run(args) or 0)
    except ZooError as error:
        print(visible(f"zoo: error: {error}"), file=sys.stderr)
        return error.exit_code
    except OSError as error:  # a file the user named that cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        print(visible(f"zoo: error: {where}{error.strerror or error}"), file=sys.stderr)
        return 2
    except BrokenPipeError:  # `zoo list | head` closed our stdout: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("zoo: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug of zoo's: still one line, with how to see the rest
        if os.environ.get("ZOO_DEBUG"):
            raise
        print(
            visible(f"zoo: internal error: {one_line(error)} (ZOO_DEBUG=1 shows the traceback)"),
            file=sys.stderr,
        )
        return 1
