"""Read a gettext .po file: just enough of the format to check a catalogue (no polib here)."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

PO_FILE = Path(settings.LOCALE_PATHS[0]) / "id" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

_LINE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


@dataclass
class Entry:
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The message as gettext looks it up: "context\\x04msgid"."""
        msgid = self.fields["msgid"]
        return f"{self.fields['msgctxt']}\x04{msgid}" if "msgctxt" in self.fields else msgid

    @property
    def translations(self) -> list[str]:
        return [text for name, text in self.fields.items() if name.startswith("msgstr")]


def read_po(path: Path = PO_FILE) -> list[Entry]:
    """The entries of a .po file, header first."""
    entries, current, name = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current is not None:
                entries.append(current)
            current, name = None, None
            continue
        current = current or Entry()
        if line.startswith("#~"):
            current.obsolete = True
        elif line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif match := _LINE.match(line):
            name = match.group(1)
            current.fields[name] = ast.literal_eval(match.group(2))
        else:  # a continuation line of the field above
            current.fields[name] += ast.literal_eval(line)
    return entries


def messages(entries: list[Entry]) -> list[Entry]:
    """The entries that are messages: not the header, not obsolete."""
    return [entry for entry in entries if not entry.obsolete and entry.fields.get("msgid")]
