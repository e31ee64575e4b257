"""Round trip: a practice's records exported with $export, imported into an empty Ourplan (a transaction
Bundle of everything), and exported again give the same resources, apart from meta (versions and times of
the new database), the new ids (mapped back to the old ones here) and the element ids of plan activities
(an action's id is assigned by the server that stores it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from tests.fhir_roundtrip import TYPES

ROOT = Path(__file__).resolve().parents[1]


def _run(data_dir: Path, *args: str) -> dict[str, Any]:
    env = {**os.environ, "OURPLAN_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "ourplan.test_settings"}
    env.pop("DATABASE_URL", None)  # each step its own file SQLite database: "an empty instance"
    done = subprocess.run([sys.executable, "-m", "tests.fhir_roundtrip", *args], cwd=ROOT, env=env,
                          capture_output=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    result: dict[str, Any] = orjson.loads(done.stdout)
    return result


def _resources(folder: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for path in folder.glob("*.ndjson"):
        for line in path.read_bytes().splitlines():
            resource = orjson.loads(line)
            out[f"{resource['resourceType']}/{resource['id']}"] = resource
    return out


def _comparable(resource: dict[str, Any], ids: dict[str, str]) -> Any:
    """The resource without meta, with ids given as the first export's, and activities without element ids."""
    text = orjson.dumps({k: v for k, v in resource.items() if k != "meta"}).decode()
    for old, new in ids.items():
        text = text.replace(new, old)
    data = orjson.loads(text)
    for item in data.get("activity", []):
        item.pop("id", None)
    return data


def test_export_import_into_an_empty_instance_and_export_again_gives_the_same_resources(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _run(tmp_path / "a", "export", str(first))
    ids = _run(tmp_path / "b", "import", str(first), str(second))["ids"]
    before, after = _resources(first), _resources(second)
    assert {k.split("/")[0] for k in before} == set(TYPES)
    assert len(before) == len(after) and set(ids) == set(before)
    new_ids = {old.split("/", 1)[1]: new.split("/", 1)[1] for old, new in ids.items()}
    for key, resource in before.items():
        again = after[ids[key]]
        assert _comparable(again, new_ids) == _comparable(resource, {}), key
