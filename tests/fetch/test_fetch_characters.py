"""``lakehouse fetch characters`` against a real HTTP server on 127.0.0.1 (never the live API).

No Spark here: the fetcher must work (and be tested) without it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lakehouse.errors import SourceUnavailable, UserError
from lakehouse.fetch.characters import FetchOptions, PageDone, fetch_characters, page_path, retry_policy
from lakehouse.machine import free_port
from tests.fetch.api_server import CharactersAPI, load_dataset

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")
CHARACTERS, UPDATES = load_dataset()
PAGES = 5  # 201 characters, 50 per page: the fifth page holds one object


@pytest.fixture
def api():
    with CharactersAPI(CHARACTERS).running() as server:
        yield server


def options(api: CharactersAPI, **changes) -> FetchOptions:
    """Quick to give up in tests: half a second per page, four attempts, short backoff."""
    quick = {"base_url": api.base_url, "read_timeout": 0.5, "attempts": 4, "backoff_factor": 0.05}
    return FetchOptions(**{**quick, **changes})


def landed(folder: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def ids_on(page: dict) -> list[object]:
    data = page["data"]
    items = [data] if isinstance(data, dict) else data
    return [item.get("_id") for item in items]


def test_every_page_lands_once_with_its_metadata(api, tmp_path):
    seen: list[PageDone] = []
    report = fetch_characters(tmp_path, "run-1", options(api), on_page=seen.append)

    pages = landed(tmp_path)
    assert [p["page"] for p in pages] == list(range(1, PAGES + 1))
    assert {p["run_id"] for p in pages} == {"run-1"}
    assert all(p["fetched_at"].endswith("Z") and p["request_url"].startswith(api.base_url) for p in pages)
    assert isinstance(pages[-1]["data"], dict), "the API's quirk: one character is an object"
    assert [i for p in pages for i in ids_on(p)] == [c.get("_id") for c in CHARACTERS]
    assert report.characters == len(CHARACTERS) == 201
    assert [(d.page, d.total_pages) for d in seen] == [(n, PAGES) for n in range(1, PAGES + 1)]
    assert api.pages_requested() == {n: 1 for n in range(1, PAGES + 1)}


def test_429_503_slow_and_dropped_answers_are_retried_and_retry_after_is_honoured(api, tmp_path):
    api.faults.update({2: ["429"], 3: ["503"], 4: ["slow"], 5: ["drop"]})
    started = time.monotonic()
    report = fetch_characters(tmp_path, "run-1", options(api))
    elapsed = time.monotonic() - started

    assert [api.requests_for(n) for n in range(1, PAGES + 1)] == [
        ["ok"],
        ["429", "ok"],
        ["503", "ok"],
        ["slow", "ok"],
        ["drop", "ok"],
    ]
    assert [d.retries for d in report.pages] == [0, 1, 1, 1, 1]
    assert elapsed >= 1.0, "Retry-After: 1 must be waited for"
    assert [i for p in landed(tmp_path) for i in ids_on(p)] == [c.get("_id") for c in CHARACTERS]


def test_a_page_that_keeps_failing_ends_with_a_clear_error_and_no_partial_file(api, tmp_path):
    api.always[3] = "503"
    with pytest.raises(SourceUnavailable, match=r"page 3 of .*/character: HTTP 503 after 4 attempts; no file written"):
        fetch_characters(tmp_path, "run-1", options(api))

    assert sorted(p.name for p in tmp_path.iterdir()) == [page_path(tmp_path, "run-1", n).name for n in (1, 2)]
    assert api.requests_for(3) == ["503"] * 4
    assert 4 not in api.pages_requested()


def test_a_page_that_times_out_every_time_ends_with_a_clear_error(api, tmp_path):
    api.always[2] = "slow"
    api.slow_seconds = 0.8
    with pytest.raises(SourceUnavailable, match=r"page 2 of .*: no answer after 2 attempts \(ReadTimeoutError"):
        fetch_characters(tmp_path, "run-1", options(api, attempts=2))
    assert [p.name for p in tmp_path.iterdir()] == [page_path(tmp_path, "run-1", 1).name]


def test_the_same_run_id_again_resumes_and_never_rewrites_a_landed_page(api, tmp_path):
    api.always[3] = "503"
    with pytest.raises(SourceUnavailable):
        fetch_characters(tmp_path, "job-42", options(api))
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    del api.always[3]
    api.log.clear()

    report = fetch_characters(tmp_path, "job-42", options(api))

    assert [d.reused for d in report.pages] == [True, True, False, False, False]
    assert sorted(api.pages_requested()) == [3, 4, 5]
    assert all((tmp_path / name).read_bytes() == content for name, content in first.items())
    again = fetch_characters(tmp_path, "job-42", options(api))
    assert again.fetched == 0 and again.characters == len(CHARACTERS)
    assert len(list(tmp_path.iterdir())) == PAGES


def test_runs_never_overwrite_each_other(api, tmp_path):
    fetch_characters(tmp_path, "run-1", options(api))
    api.update(UPDATES)
    fetch_characters(tmp_path, "run-2", options(api))

    pages = landed(tmp_path)
    assert len(pages) == 2 * PAGES
    versions = {(p["run_id"], c["_id"]): c["updatedAt"] for p in pages for c in _items(p) if "_id" in c}
    for update in UPDATES:
        assert versions[("run-2", update["_id"])] == update["updatedAt"]
        assert versions[("run-1", update["_id"])] < update["updatedAt"]


def _items(page: dict) -> list[dict]:
    return [page["data"]] if isinstance(page["data"], dict) else page["data"]


def test_an_empty_filter_result_lands_one_empty_page(api, tmp_path):
    report = fetch_characters(tmp_path, "run-1", options(api, filters={"name": "nobody has this name"}))
    (page,) = landed(tmp_path)
    assert page["data"] == [] and page["info"]["totalPages"] == 0
    assert "name=nobody" in page["request_url"]
    assert report.characters == 0


def test_max_pages_stops_early(api, tmp_path):
    report = fetch_characters(tmp_path, "run-1", options(api, max_pages=2))
    assert [d.page for d in report.pages] == [1, 2]
    assert len(landed(tmp_path)) == 2


def test_an_answer_that_is_not_json_is_an_error_and_writes_nothing(api, tmp_path):
    api.faults[1] = ["garbage"]
    with pytest.raises(SourceUnavailable, match=r"page 1 .*: the answer is not JSON \('<html>maintenance"):
        fetch_characters(tmp_path, "run-1", options(api))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("run_id", ["", "../escape", "a b", "x" * 101])
def test_a_run_id_that_cannot_be_a_file_name_is_refused(tmp_path, run_id):
    with pytest.raises(UserError, match="run id"):
        fetch_characters(tmp_path, run_id, FetchOptions(base_url="http://127.0.0.1:9"))


def test_the_fetch_module_does_not_import_pyspark():
    code = "import sys, lakehouse.fetch.characters, lakehouse.cli.fetch; print('pyspark' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run([LAKEHOUSE, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_the_cli_lands_every_page_and_shows_progress(api, tmp_path):
    folder = tmp_path / "landing" / "characters"
    done = run_cli("fetch", "characters", "--base-url", api.base_url, "--to-dir", str(folder), "--run-id", "cli-1")
    assert done.returncode == 0, done.stderr
    assert f"{PAGES}/{PAGES}" in done.stderr
    assert f"run cli-1: {PAGES} pages ({PAGES} fetched, 0 already landed), 201 characters, 0 retries" in done.stderr
    assert len(landed(folder)) == PAGES


def test_the_cli_says_in_one_line_when_the_api_cannot_be_reached(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    done = run_cli("fetch", "characters", "--base-url", url, "--to-dir", str(tmp_path), "--attempts", "2")
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last.startswith("error: page 1 of ") and "no answer after 2 attempts" in last and "refused" in last
    assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []


def test_the_job_notebook_lands_pages_with_the_job_run_id(api, tmp_path):
    env = {
        **os.environ,
        "LAKEHOUSE_LANDING_PATH": str(tmp_path),
        "LAKEHOUSE_CHARACTERS_API_URL": api.base_url,
        "LAKEHOUSE_RUN_ID": "987654",
        "LAKEHOUSE_CHARACTERS_MAX_PAGES": "2",
    }
    notebook = PROJECT_ROOT / "src" / "notebooks" / "fetch_characters.py"
    done = subprocess.run([sys.executable, str(notebook)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "characters").iterdir()) == [
        "characters-987654-p00001.json",
        "characters-987654-p00002.json",
    ]
    assert "page 2/5" in done.stdout


def test_the_retry_policy_is_bounded_and_honours_retry_after():
    policy = retry_policy(FetchOptions(attempts=6, retry_after_max=120))
    assert policy.total == 5 and policy.respect_retry_after_header
    assert set(policy.status_forcelist) == {429, 500, 502, 503, 504} and policy.allowed_methods == {"GET"}
    assert policy.retry_after_max == 120  # the pinned urllib3 has the cap
