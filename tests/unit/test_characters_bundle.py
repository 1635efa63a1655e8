"""The characters job as the bundle declares it: every 5 minutes, one at a time, fetch then pipeline."""

from __future__ import annotations

from pathlib import Path

import yaml
from databricks.bundles.jobs import Job

from lakehouse.characters.settings import KEYS, CharactersSettings
from lakehouse.local import bundle

ROOT = Path(__file__).resolve().parents[2]
JOB_FILE = ROOT / "resources" / "characters.job.yml"


def job_spec() -> dict:
    return yaml.safe_load(JOB_FILE.read_text())["resources"]["jobs"]["characters_refresh"]


def test_the_job_polls_every_five_minutes_one_run_at_a_time_with_a_timeout():
    spec = job_spec()
    model = Job.from_dict(spec)
    assert spec["schedule"]["quartz_cron_expression"] == "${var.characters_schedule}"
    assert bundle.variables(ROOT)["characters_schedule"] == "0 0/5 * * * ?"
    assert model.max_concurrent_runs == 1 and spec["queue"] == {"enabled": False}
    assert spec["timeout_seconds"] > 0 and model.email_notifications.on_failure


def test_the_fetch_task_runs_first_with_the_job_run_id_then_the_pipeline():
    fetch, refresh = job_spec()["tasks"]
    assert fetch["notebook_task"]["base_parameters"]["run_id"] == "{{job.run_id}}"
    assert fetch["notebook_task"]["base_parameters"]["landing_path"] == "${var.landing_path}"
    assert (JOB_FILE.parent / fetch["notebook_task"]["notebook_path"]).resolve().is_file()
    assert fetch["max_retries"] >= 1 and fetch["timeout_seconds"] > 0
    assert refresh["depends_on"] == [{"task_key": fetch["task_key"]}]
    assert refresh["pipeline_task"]["pipeline_id"] == "${resources.pipelines.characters.id}"


def test_settings_read_the_secret_names_never_a_secret():
    conf = {"lakehouse.landing_path": "fixtures"}
    settings = CharactersSettings.from_conf(conf)
    assert (settings.secret_scope, settings.hash_key_secret) == (
        "lakehouse",
        KEYS["lakehouse.characters.hash_key_secret"],
    )
    resolved = bundle.pipelines(ROOT)["characters"].configuration
    assert resolved["lakehouse.characters.hash_key_secret"] == "pii-hash-key"
    assert resolved["lakehouse.secrets.scope"] == "lakehouse"
