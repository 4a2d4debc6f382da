"""The sample alert rules (deploy/prometheus-alerts.yml): Prometheus's own checker
accepts them, and every coordapp metric they name is one /metrics exposes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

RULES = Path(__file__).resolve().parent.parent / "deploy" / "prometheus-alerts.yml"
TOKEN = "alert-rules-token-0123456789"
# Series the rules read from other exporters: Prometheus's own `up`, node_exporter's disk.
ELSEWHERE = {"up", "node_filesystem_avail_bytes", "node_filesystem_size_bytes"}
FUNCTIONS_AND_WORDS = {
    "rate", "increase", "sum", "or", "and", "unless", "by", "without", "job", "status",
    "mountpoint", "coordapp", "m", "h", "s",
}  # fmt: skip


def _rules() -> list[dict]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def _names_in(expr: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', "", expr)
    without_labels = re.sub(r"\{[^}]*\}", "", without_strings)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_labels)
    return set(re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", without_ranges)) - FUNCTIONS_AND_WORDS


def test_promtool_accepts_the_rules():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool missing: apt-get install prometheus (.ci/run does)")
    result = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in result.stdout


def test_every_metric_the_rules_read_is_exposed(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    client.get("/healthz")  # so the request series have a sample
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    exposed = {
        sample.name
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }
    rules = _rules()
    assert {rule["alert"] for rule in rules} >= {
        "CoordappMailStuck",
        "CoordappMailFailuresRising",
        "CoordappMailBouncesRising",
        "CoordappWorkerSilent",
        "CoordappDatabaseErrors",
        "CoordappDiskFilling",
    }
    for rule in rules:
        assert rule["annotations"]["summary"], rule["alert"]
        names = _names_in(rule["expr"])
        assert names, rule["alert"]
        unknown = names - exposed - ELSEWHERE
        assert not unknown, f"{rule['alert']} reads series /metrics does not have: {unknown}"


def test_the_name_check_catches_a_misspelt_metric():
    assert _names_in("coordapp_outbox_oldest_due_age_secs > 15 * 60") == {
        "coordapp_outbox_oldest_due_age_secs"
    }
