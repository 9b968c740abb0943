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

EXIT_CODES = """exit codes (every command):
  0    ok: everything asked for was done and holds
  1    findings: a declaration that does not hold or could not be checked (nothing validated counts),
       a failed configuration, a backend that disagrees, a stale card, a model of the index with an
       error (it is still listed, and named at the end)
  2    bad usage, or a file that cannot be read at all (missing, not UTF-8, broken YAML, over a limit)
  130  interrupted"""


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's own layout, except that the exit-code table keeps its lines."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return text if text is EXIT_CODES else super()._fill_text(text, width, indent)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoo",
        description="Benchmark, evaluate, validate and document a zoo of vision models.",
        epilog=EXIT_CODES,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"zoo {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("cmd_")):
        importlib.import_module(f"{__name__}.{module}").register(commands)
    for command in commands.choices.values():  # one contract, printed by every command's --help
        command.epilog = EXIT_CODES
        command.formatter_class = _HelpFormatter
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; bad input is one line on stderr and exit 2, never a traceback.

    Everything printed, on stdout and stderr, goes through `visible`: a name from an index cannot
    drive the terminal. An index read leniently says what it skipped on stderr, and a command that
    succeeded exits 1 naming the models with errors.
    """
    from zoo.index import Index, Notice, on_index_loaded

    reported: dict[str, Notice] = {}  # each notice once, though a command may read an index twice

    def report(index: Index) -> None:
        for notice in index.notices:
            if notice.message not in reported:
                reported[notice.message] = notice
                print(f"zoo: {notice}", file=sys.stderr)

    try:
        with contextlib.redirect_stderr(VisibleWriter(sys.stderr)):
            args = build_parser().parse_args(argv)
            with contextlib.redirect_stdout(VisibleWriter(sys.stdout)), on_index_loaded(report):
                code = int(args.run(args) or 0)
            errors = [notice for notice in reported.values() if notice.severity == "error"]
            if errors and code == 0:
                broken = sorted({notice.model for notice in errors if notice.model is not None})
                named = f" ({len(broken)} model(s): {', '.join(broken)})" if broken else ""
                print(f"zoo: {len(errors)} error(s) in the index{named}; see above", file=sys.stderr)
                code = 1
            sys.stdout.flush()
            return code
    except BrokenPipeError:  # `zoo list | head` closed our stdout: not an error
        _quiet_closed_stdout()
        return 0
    except ZooError as error:
        print(visible(f"zoo: error: {error}"), file=sys.stderr)
        return error.exit_code
    except OSError as error:  # a file the user named that cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        print(visible(f"zoo: error: {where}{error.strerror or error}"), file=sys.stderr)
        return 2
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


def _quiet_closed_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush at exit finds no closed pipe."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
