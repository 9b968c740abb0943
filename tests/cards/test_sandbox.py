"""Templates are data: hostile ones are one line naming the template and line, and exit 2.

Each case would, without the sandbox and the confined loader, run code, read or remove a file outside
the template folders, or build something huge; each must leave no card and no trace of the secret.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import render, write_template

SECRET = "TOP-SECRET-4711"


# One case a line: id :: template body (line 3 of the template) :: what the one-line error says.
HOSTILE = [
    line.split(" :: ")
    for line in """
popen via cycler :: {{ cycler.__init__.__globals__.os.popen('echo pwned').read() }} :: unsafe
popen via lipsum :: {{ lipsum.__globals__['os'].popen('echo pwned').read() }} :: 'lipsum' is undefined
lipsum bomb :: {{ lipsum(10**5, false, 10**5, 10**5) }} :: 'lipsum' is undefined
popen via joiner :: {{ joiner.__init__.__globals__.os.popen('echo pwned').read() }} :: unsafe
str subclasses :: {{ ''.__class__.__mro__[1].__subclasses__() }} :: unsafe
format reaches dunders :: {{ '{0.__class__.__init__.__globals__}'.format(card) }} :: unsafe
Path.read_text :: {{ card.template.read_text() }} :: 'read_text' of 'PosixPath'
Path.unlink :: {{ card.models[0].source.path.unlink() }} :: 'unlink' of 'PosixPath'
Path walk to secret :: {{ card.results.folder.parent.joinpath('secret.txt').read_text() }} :: 'parent' of
list mutation :: {{ models.append(1) }} :: unsafe
include .. :: {% include '../../secret.txt' %} :: may not leave its folder
include absolute :: {% include '/etc/passwd' %} :: no template '/etc/passwd'
extends .. :: {% extends '../secret.txt' %} :: may not leave its folder
include link out :: {% include 'leak.md' %} :: links to a file outside
include link to /etc :: {% include 'leak.md' %} :: links to a file outside
string bomb :: {{ 'x' * 10**9 }} :: would build more than
list bomb :: {{ [1, 2] * 600000 }} :: would build more than
power bomb :: {{ 2 ** 100000000 }} :: would build a number
huge range :: {{ range(10**9) | list }} :: OverflowError
center bomb :: {{ 'x' | center(10**9) }} :: a width of more than
indent bomb :: {{ 'x' | indent(width=10**9, first=true) }} :: a width of more than
percent bomb :: {{ '%999999999d' % 1 }} :: a format field wider than
format filter bomb :: {{ '%-999999999s' | format('x') }} :: a format field wider than
str.format bomb :: {{ '{:>999999999}'.format(1) }} :: a format field wider than
division by zero :: {{ 1 / 0 }} :: ZeroDivisionError
endless recursion :: {% macro f() %}{{ f() }}{% endmacro %}{{ f() }} :: RecursionError
bad format :: {{ 'abc' | fmt('.2f') }} :: ValueError
""".strip().splitlines()
]
# The cases whose `leak.md` beside the templates is a link, and where it points (under tmp_path).
LINKS = {"include link out": "secret.txt", "include link to /etc": "/etc/passwd"}


@pytest.mark.parametrize(("case", "body", "says"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_template_is_one_line_naming_template_and_line(
    case: str, body: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "secret.txt").write_text(SECRET)
    template = write_template(tmp_path / "t", f"# Family\n\n{body}")
    if case in LINKS:
        (tmp_path / "t" / "leak.md").symlink_to(tmp_path / LINKS[case])  # an absolute target stays as is
    assert render(tmp_path / "t", tmp_path / "r", tmp_path / "out") == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("zoo: error: "), captured.err
    assert f"{template}:3: " in captured.err and says in captured.err, captured.err
    assert SECRET not in captured.out + captured.err and "pwned" not in captured.out + captured.err
    assert not (tmp_path / "out").exists()
    assert template.is_file() and (tmp_path / "secret.txt").read_text() == SECRET


def test_collection_template_linking_outside_its_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_template(tmp_path / "t", "# Family")
    (tmp_path / "secret.md").write_text(SECRET)
    (tmp_path / "t" / "models" / "leak.md").symlink_to(tmp_path / "secret.md")
    assert render(tmp_path / "t", tmp_path / "r", tmp_path / "out") == 2
    error = capsys.readouterr().err
    assert (
        error.count("\n") == 1
        and f"{tmp_path / 't' / 'models' / 'leak.md'}: a link to a file outside" in error
    )
    assert SECRET not in error and not (tmp_path / "out").exists()


def test_links_inside_the_template_folders_still_work(tmp_path: Path) -> None:
    """The confinement is by resolved path, not a ban on links: a project may link its own snippets."""
    write_template(tmp_path / "t", "# Family\n\n{% include 'alias.md' %}")
    (tmp_path / "t" / "shared.md").write_text("Shared words for {{ model_name }}.\n")
    (tmp_path / "t" / "alias.md").symlink_to(tmp_path / "t" / "shared.md")
    assert render(tmp_path / "t", tmp_path / "r", tmp_path / "out") == 0
    assert "Shared words for tf_efficientnet_lite0." in (tmp_path / "out" / "family.md").read_text()
