"""A newcomer's first screen: `flask` commands print no warning about code that is not
ours (pyHanko's import of cryptography's DSA classes), and only that one is filtered."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_flask_commands_start_without_warnings(tmp_path):
    env = {**os.environ, "FLASK_APP": "wsgi", "PYTHONWARNINGS": ""}
    env.pop("COORDAPP_ENV", None)
    run = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--help"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "DSA is deprecated" not in run.stderr
    assert "Warning" not in run.stderr, run.stderr


# In a process of its own: pytest replaces the warning filters around each test.
FILTER_CHECK = """
import warnings

from cryptography.utils import CryptographyDeprecationWarning as CDW

import coordapp

dsa = "DSA is deprecated and support will be removed in a future release."
for text, category, module in [
    (dsa, CDW, "pyhanko.sign.signers.pdf_cms"),
    (dsa, CDW, "coordapp.signing.ca"),
    ("TripleDES is deprecated", CDW, "pyhanko.sign"),
    (dsa, DeprecationWarning, "pyhanko.sign.signers.pdf_cms"),
]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit(text, category, f"{module}.py", 1, module=module)
    print(module, category.__name__, "shown" if caught else "hidden")
"""


def test_only_pyhankos_dsa_warning_is_filtered():
    run = subprocess.run(
        [sys.executable, "-W", "always", "-c", FILTER_CHECK],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "pyhanko.sign.signers.pdf_cms CryptographyDeprecationWarning hidden",
        # The same words from our code, another cryptography warning, another category.
        "coordapp.signing.ca CryptographyDeprecationWarning shown",
        "pyhanko.sign CryptographyDeprecationWarning shown",
        "pyhanko.sign.signers.pdf_cms DeprecationWarning shown",
    ]
