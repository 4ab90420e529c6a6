"""The README's fault catalogue and its figures stay true to the tests in this folder."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

FOLDER = Path(__file__).parent
sys.path.insert(0, str(FOLDER))  # to read the property tests' profile and the key shapes
README = FOLDER.parents[1] / "README.md"

FAULT_FILES = ("test_fault_providers.py", "test_fault_damaged_settings.py", "test_fault_interrupted_saves.py",
               "test_fault_concurrent_settings.py", "test_fault_crash_handler.py")
HOSTILE_FILES = ("test_fault_nesting.py", "test_fault_invalid_text.py", "test_fault_view_links.py",
                 "test_fault_properties.py")


def _catalogue() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Fault catalogue")
    return text[start:text.index("\n## ", start + 1)]


def _tests_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


def _all_tests() -> set[str]:
    return {name for path in FOLDER.glob("test_fault_*.py") if path != Path(__file__)
            for name in _tests_in(path)}


def _figure(label: str) -> list[int]:
    line = next(line for line in _catalogue().splitlines() if line.startswith(f"- {label}"))
    block = _catalogue()[_catalogue().index(line):].split("\n- ")[0]
    return [int(n.replace(",", "")) for n in re.findall(r"\*\*([\d,]+)\*\*", block)]


def test_every_row_names_tests_that_exist_and_every_test_has_a_row() -> None:
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", _catalogue()))
    assert named - _all_tests() == set(), "rows name tests that do not exist"
    assert _all_tests() - named == set(), "tests missing from the catalogue"


def test_the_figures_match_the_collected_tests() -> None:
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                *(str(FOLDER / name) for name in FAULT_FILES + HOSTILE_FILES)],
                               capture_output=True, text=True, check=False, cwd=FOLDER.parents[1])
    cases = Counter(line.split("::")[0].rsplit("/", 1)[-1] for line in collected.stdout.splitlines() if "::" in line)
    faults = sum(cases[name] for name in FAULT_FILES)
    hostile = sum(cases[name] for name in HOSTILE_FILES)
    assert _figure("Faults tried and survived") == [faults], cases
    hostile_cases, examples, generated, fixed = _figure("Hostile inputs tried and handled")[:4]
    assert hostile_cases == hostile, cases

    import test_fault_properties as properties

    profile = properties.PROFILE
    assert generated == 2 * properties.FEW + 3 * profile.max_examples
    assert fixed == (FOLDER / "test_fault_properties.py").read_text(encoding="utf-8").count("@example(")
    assert examples == generated + fixed


def test_the_key_leak_figure_counts_the_checks_that_run() -> None:
    leaks, checks, runs, shapes = _figure("Key leaks found")[:4]
    assert leaks == 0  # every check asserts it: a leak fails its test
    faulty_runs = sum(_uses_faulty(FOLDER / name) for name in ("test_fault_providers.py", "test_fault_invalid_text.py"))
    assert runs == 2 * faulty_runs  # the `faulty` fixture runs each on both providers and checks after
    import test_fault_key_leaks as key_leaks

    per_shape = [name for name in _tests_in(FOLDER / "test_fault_key_leaks.py")
                 if name != "test_a_short_key_is_masked_only_where_it_stands_alone"]
    assert shapes == len(per_shape) * len(key_leaks.KEYS) + 1  # each shape, plus the short-key rule
    assert checks == runs + shapes


def _uses_faulty(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sum(1 for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
               and any(arg.arg == "faulty" for arg in node.args.args))
