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
nested ranges :: {% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %} :: more than 5,000,000 loop steps
nested loops over text :: {% set s = 'x' * 1000000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %} :: loop steps
replace bomb :: {{ ('x' * 1000000) | replace('x', 'x' * 1000000) }} :: a text of more than
replace bomb with count :: {{ ('x' * 1000000) | replace('x', 'y' * 1000000, 20) }} :: a text of more than
tilde doubling :: {% set s = 'x' * 1000000 %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %} :: a text of more than
tilde chain :: {% set s = 'x' * 1000000 %}{{ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s }} :: a text of more than
plus doubling :: {% set s = 'x' * 1000000 %}{% set s = s + s %}{% set s = s + s %}{% set s = s + s %}{% set s = s + s %} :: a text of more than
join bomb :: {{ (['x' * 1000000] * 1000000) | join }} :: a text of more than
join with separator :: {{ range(100000) | join('y' * 1000) }} :: a text of more than
join by attribute :: {{ ([{'a': 'x' * 1000000}] * 100) | join(attribute='a') }} :: a text of more than
percent tuple :: {{ ('%s' * 100) % ((('x' * 1000000),) * 100) }} :: a text of more than
output flood :: {% for i in range(3000) %}{{ 'x' * 10000 }}{% endfor %} :: a card of more than
block set flood :: {% set s %}{% for i in range(2000) %}{{ 'x' * 10000 }}{% endfor %}{% endset %} :: a text of more than
macro flood :: {% macro m() %}{% for i in range(2000) %}{{ 'x' * 10000 }}{% endfor %}{% endmacro %}{% set s = m() %} :: a text of more than
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
    where = f"{template}: " if case == "output flood" else f"{template}:3: "  # the stream has no line
    assert where in captured.err and says in captured.err, captured.err
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


def test_a_slow_template_is_stopped_by_the_time_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from zoo.cards import _render

    monkeypatch.setattr(_render, "RENDER_SECONDS", 0.2)
    body = "{% for i in range(100000) %}{{ ('x' * 100000) | length }}{% endfor %}"
    template = write_template(tmp_path / "t", f"# Family\n\n{body}")
    assert render(tmp_path / "t", tmp_path / "r", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert f"{template}:3: over the render budget: more than 0.2 s" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "case", ["nested ranges", "replace bomb", "join bomb", "tilde doubling", "output flood"]
)
def test_a_hostile_template_stays_under_2_gb_in_a_real_process(case: str, tmp_path: Path) -> None:
    """The whole `zoo docs` process, as CI runs it: exit 2, and never above 2 GB of memory (measured by
    the parent's rusage of its child, not imposed)."""
    import os
    import subprocess
    import sys

    from .conftest import REPO, docs

    body = next(b for c, b, _ in HOSTILE if c == case)
    write_template(tmp_path / "t", f"# Family\n\n{body}")
    command = [sys.executable, "-m", "zoo", *docs(tmp_path / "t", tmp_path / "r", tmp_path / "out")]
    script = (
        "import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(p.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", script, *command], capture_output=True, text=True,
                            cwd=REPO, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    status, peak_kb = result.stdout.split("\n", 1)[0].split()
    assert status == "2", result.stdout
    assert int(peak_kb) < 2 * 1024 * 1024, f"{case}: {int(peak_kb) // 1024} MB"
