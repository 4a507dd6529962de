"""Reference codes: the short public identifiers shown (and searched) instead of numeric ids."""

import secrets

from django.db import models

# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_reference() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_reference(text: str) -> str | None:
    """The reference code a person most likely meant by `text`, or None if it can't be one."""
    candidate = text.strip().replace("-", "").replace(" ", "").upper().translate(_LOOK_ALIKES)
    if len(candidate) == LENGTH and all(char in ALPHABET for char in candidate):
        return candidate
    return None


class ReferenceField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", LENGTH)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", new_reference)
        kwargs.setdefault("verbose_name", "reference")
        super().__init__(*args, **kwargs)
