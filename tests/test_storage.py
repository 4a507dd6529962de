"""Production's static files storage gives each file's hashed URL from the manifest."""

import json

import pytest

from network_admin.storage import StaticFilesStorage


@pytest.fixture
def storage(tmp_path, settings):
    settings.DEBUG = False
    manifest = {"version": "1.1", "hash": "0", "paths": {"css/app.css": "css/app.4f2a.css"}}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return StaticFilesStorage(location=tmp_path, base_url="/static/")


def test_a_file_is_served_under_its_hashed_name_every_time(storage):
    assert storage.url("css/app.css") == "/static/css/app.4f2a.css"
    assert storage.url("css/app.css") == "/static/css/app.4f2a.css"


def test_a_file_missing_from_the_manifest_is_refused_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/gone.css")
