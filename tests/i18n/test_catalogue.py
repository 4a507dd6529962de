"""The Indonesian catalogue is complete, compiled, and covers every string in the code."""

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.i18n.catalogue import MO_FILE, PO_FILE, messages, read_po

BASE_DIR = Path(settings.BASE_DIR)


def test_every_indonesian_message_is_translated_and_none_is_fuzzy():
    entries = read_po()
    problems = [
        entry.fields["msgid"]
        for entry in messages(entries)
        if "fuzzy" in entry.flags or not all(entry.translations)
    ]
    assert messages(entries), "the catalogue has no messages"
    assert problems == [], f"untranslated, empty or fuzzy: {problems}"


def test_the_catalogue_has_no_obsolete_entries_or_fuzzy_header():
    entries = read_po()
    assert "fuzzy" not in entries[0].flags
    assert [entry.fields for entry in entries if entry.obsolete] == []


def test_the_catalogue_uses_indonesian_plural_forms():
    header = read_po()[0].fields["msgstr"]
    assert "Language: id\n" in header
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header


def test_the_committed_mo_holds_exactly_the_translations_of_the_po():
    with MO_FILE.open("rb") as mo:
        compiled = dict(gettext.GNUTranslations(mo)._catalog)
    compiled.pop("", None)  # the header
    expected = {}
    for entry in messages(read_po()):
        if "msgid_plural" in entry.fields:
            expected[(entry.key, 0)] = entry.fields["msgstr[0]"]
        else:
            expected[entry.key] = entry.fields["msgstr"]
    assert compiled == expected, "the .mo is stale: run `manage.py compilemessages -l id`"


@pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="the gettext tools (xgettext, msgmerge) are not installed",
)
def test_makemessages_would_add_no_new_message(tmp_path):
    """Run makemessages on a copy of the project: every string it finds is already here."""
    copy = tmp_path / "project"
    shutil.copytree(
        BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            ".*", "tests", "staticfiles", "node_modules", "__pycache__", "*.sqlite3*", "*.mo"
        ),
    )
    subprocess.run(  # noqa: S603 - our own manage.py, with arguments we wrote
        [sys.executable, "manage.py", "makemessages", "-l", "id", "--no-location"]
        + ["--ignore=tests", "--ignore=staticfiles"],
        cwd=copy,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
        | {"DJANGO_SETTINGS_MODULE": "network_admin.test_settings"},
        check=True,
        capture_output=True,
    )
    extracted = {entry.key for entry in messages(read_po(copy / PO_FILE.relative_to(BASE_DIR)))}
    committed = {entry.key for entry in messages(read_po())}
    assert sorted(extracted - committed) == [], "new strings: run makemessages and translate them"
