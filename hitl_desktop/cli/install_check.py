"""`hitl-desktop --check-install`: does this installation (often a frozen bundle) have what it needs?

Checks, without a display and without network: our resource files, the tokenizer and NLTK data
LlamaIndex loads from its own package (it downloads them when missing, which a bundle must never
need), package metadata that libraries read at run time, and which keychain backend keyring finds.
Prints one line per check; the exit status is 0 when nothing is broken. Qt-free.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from hitl_desktop import APP_NAME, __version__

# Distributions whose code asks importlib.metadata for a version at run time.
METADATA_DISTRIBUTIONS = ("llama-index-core", "llama-index-workflows", "openai", "keyring", "pydantic")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _resources() -> str:
    from hitl_desktop.core import resources

    found = resources.icon_pngs()
    missing = [p for p in (resources.icon_svg(), resources.desktop_entry_template()) if not p.is_file()]
    corpus = resources.resources_dir() / "sample_corpus"
    if not (corpus / "LICENSE").is_file() or not any(corpus.glob("*.md")):
        missing.append(corpus)
    if len(found) < len(resources.ICON_SIZES) or missing:
        raise RuntimeError(f"incomplete in {resources.resources_dir()}: reinstall {APP_NAME}")
    return str(resources.resources_dir())


def _tokenizer() -> str:
    # The cache path LlamaIndex sets is inside its package; with the files present no download runs.
    from llama_index.core.utils import get_tokenizer

    tokens = get_tokenizer()("Human in the loop research.")
    return f"tiktoken encoding loaded offline ({len(tokens)} tokens in the probe)"


def _nltk() -> str:
    from llama_index.core.utils import globals_helper

    words = globals_helper.stopwords
    sentences = globals_helper.punkt_tokenizer.tokenize("One sentence. Another one.")
    return f"NLTK stopwords ({len(words)}) and punkt ({len(sentences)} sentences) from {globals_helper._nltk_data_dir}"


def _metadata() -> str:
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in METADATA_DISTRIBUTIONS)


def _keychain() -> str:
    from hitl_desktop.core.secret_store import SecretStore

    status = SecretStore().keychain_status()
    if status.available:
        return f"keyring backend: {status.backend}"
    # Not a failure: the app then offers a session-only key or a private key file.
    return f"no keychain (backend {status.backend}); fallback in use: {status.reason}"


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("resources", _resources), ("tokenizer data", _tokenizer), ("nltk data", _nltk),
    ("package metadata", _metadata), ("keychain", _keychain),
)


def run_checks() -> list[Check]:
    results = []
    for name, check in CHECKS:
        try:
            results.append(Check(name, True, check()))
        except Exception as exc:  # noqa: BLE001 (each check reports its own failure)
            results.append(Check(name, False, f"{type(exc).__name__}: {exc}"))
    return results


def main() -> int:
    frozen = "frozen bundle" if getattr(sys, "frozen", False) else "Python install"
    print(f"{APP_NAME} {__version__} ({frozen}, {sys.executable}, pid {os.getpid()})")
    results = run_checks()
    for check in results:
        print(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    return 0 if all(check.ok for check in results) else 1
