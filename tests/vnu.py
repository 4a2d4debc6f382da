"""The W3C Nu Html Checker (vnu.jar), as the `vnu-jar` npm package ships it.

`.ci/run` installs Debian's `default-jre-headless` and `npm install -g vnu-jar`; the jar is
looked up at VNU_JAR, else in npm's global folder. All pages go to one run of the checker
(starting the JVM costs several seconds).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

GLOBAL_NPM_FOLDERS = ("/usr/lib/node_modules", "/usr/local/lib/node_modules")
JAR_IN_PACKAGE = Path("vnu-jar") / "build" / "dist" / "vnu.jar"


def vnu_jar() -> Path | None:
    """Where vnu.jar is, or None."""
    if os.environ.get("VNU_JAR"):
        return Path(os.environ["VNU_JAR"])
    folders = list(GLOBAL_NPM_FOLDERS)
    if shutil.which("npm"):
        root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, timeout=60)
        if root.returncode == 0 and root.stdout.strip():
            folders.insert(0, root.stdout.strip())
    for folder in folders:
        jar = Path(folder) / JAR_IN_PACKAGE
        if jar.is_file():
            return jar
    return None


def missing() -> str | None:
    """Why the checker cannot run here, or None."""
    if not shutil.which("java"):
        return "no java (apt-get install default-jre-headless)"
    if vnu_jar() is None:
        return "no vnu.jar (npm install -g vnu-jar)"
    return None


def html_errors(pages: dict[str, str]) -> list[str]:
    """The checker's errors (not warnings) on every page, as "page:line: message"; `pages`
    maps a name (what the error names) to the page's HTML."""
    if not pages:
        return []
    with tempfile.TemporaryDirectory(prefix="coordapp-vnu-") as folder:
        names = {}
        for number, (name, html) in enumerate(pages.items()):
            filename = f"{number:04d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)[:80]}.html"
            names[filename] = name
            Path(folder, filename).write_text(html, encoding="utf-8")
        run = subprocess.run(
            ["java", "-jar", str(vnu_jar()), "--errors-only", "--format", "json", folder],
            capture_output=True,
            text=True,
            timeout=600,
        )
    report = json.loads(run.stderr or run.stdout)
    errors = []
    for message in report["messages"]:
        filename = message.get("url", "").rsplit("/", 1)[-1]
        where = f"{names.get(filename, filename)}:{message.get('lastLine', '?')}"
        errors.append(f"{where}: {message['message']} [{message.get('extract', '').strip()}]")
    return errors
