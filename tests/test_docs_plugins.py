"""docs/plugins.md: every hook documented with its real signature, and the worked example works."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nst_pipeline import hookspecs, plugin
from test_plugins_dists import run_nst

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def hook_functions() -> dict[str, object]:
    marker = f"{hookspecs.PROJECT}_spec"
    return {name: fn for name, fn in vars(hookspecs).items() if callable(fn) and hasattr(fn, marker)}


def signature_text(fn) -> str:
    sig = inspect.signature(fn)
    params = ", ".join(str(p) for p in sig.parameters.values())
    returns = str(sig.return_annotation).replace('"', "").replace("'", "")
    return f"{fn.__name__}({params}) -> {returns}"


def documented_hooks(text: str) -> dict[str, str]:
    return {m.group(2): m.group(1) for m in re.finditer(r"^### `((nst_\w+)\(.*?\).*?)`$", text, re.M)}


def test_every_hook_is_documented_with_its_signature():
    text = DOC.read_text()
    documented = documented_hooks(text)
    hooks = hook_functions()
    assert set(documented) == set(hooks), "docs/plugins.md and hookspecs.py disagree on the hooks"
    for name, fn in hooks.items():
        assert documented[name] == signature_text(fn)
    assert set(plugin.HOOKS) == set(hooks)


def test_every_public_name_is_documented():
    text = DOC.read_text()
    missing = [name for name in plugin.__all__ if f"`{name}" not in text]
    assert not missing, f"undocumented in docs/plugins.md: {missing}"


def example_files(text: str) -> dict[str, str]:
    pattern = r"<!-- file: (\S+) -->\n```\w*\n(.*?)```"
    return {path: body for path, body in re.findall(pattern, text, re.S)}


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory) -> Path:
    """The worked example, written out from the doc and pip-installed (into a throwaway target)."""
    root = tmp_path_factory.mktemp("doc")
    files = example_files(DOC.read_text())
    assert {"nst-mine/pyproject.toml", "nst-mine/src/nst_mine/__init__.py", "nst-mine/tests/test_nst_mine.py"} <= set(files)
    for rel, body in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(body)
    site = root / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "--target", str(site), str(root / "nst-mine")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return site


def test_worked_example_lists_checks_and_runs(installed_example, make_image, tmp_path):
    listed = run_nst(["plugins", "list"], installed_example)
    assert any(line.split()[:6] == ["loss", "term", "mine", "mine", "nst-mine", "0.1.0"] for line in listed.stdout.splitlines())
    checked = run_nst(["plugins", "check", "mine"], installed_example)
    assert checked.returncode == 0 and "ok   loss term mine (nst-mine)" in checked.stdout, checked.stdout
    content, style = make_image("c.png", (40, 32), seed=1), make_image("s.png", (40, 32), seed=2)
    log = tmp_path / "log.jsonl"
    ran = run_nst(["image", str(content), "-s", str(style), "-o", str(tmp_path / "o.png"), "--size", "32",
                   "--steps", "2", "--loss", "mine:20", "--loss", "style:0", "--loss-option", "mine.layers=relu1_1,relu2_1",
                   "--log-json", str(log), "-q"], installed_example)
    assert ran.returncode == 0, ran.stderr
    assert "mine" in json.loads(log.read_text().splitlines()[-1])["terms"]
