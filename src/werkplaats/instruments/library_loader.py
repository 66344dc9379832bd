"""Load the shipped library (``library/*.yaml``) into the database.

Takes the model classes as arguments so that the data migration can pass its historical
models; the management command passes the real ones. Idempotent: a definition whose
content hash is stored already is skipped, except that its client-facing wording
(``client_title``, ``client_description``: outside the content hash, see
:func:`~werkplaats.stats.definition.content_hash`) is brought up to date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from werkplaats.stats.definition import CLIENT_WORDING, content_hash, parse_definition

LIBRARY_DIR = Path(__file__).with_name("library")


def library_definitions(directory: Path = LIBRARY_DIR) -> list[dict[str, Any]]:
    out = []
    for path in sorted(directory.glob("*.yaml")):
        out.append(parse_definition(yaml.safe_load(path.read_text(encoding="utf-8"))).data)
    return out


def load_into(instrument_model: Any, version_model: Any, directory: Path = LIBRARY_DIR) -> int:
    """Store every library definition not stored yet; return how many were new."""
    created = 0
    for data in library_definitions(directory):
        digest = content_hash(data)
        # Only the shared library counts: an organisation's private copy is not public.
        stored = version_model.objects.filter(content_hash=digest, organisation__isnull=True)
        known = stored.first()
        if known is not None:
            wording = {k: data[k] for k in CLIENT_WORDING if k in data}
            if any(known.definition.get(k) != v for k, v in wording.items()):
                # The one change a stored version accepts: wording outside its hash.
                stored.update(definition={**known.definition, **wording})
            continue
        instrument, _new = instrument_model.objects.get_or_create(
            slug=data["id"],
            defaults={
                "construct": data["construct"],
                "kind": data["kind"],
                "title_nl": data["title"].get("nl") or data["title"].get("en"),
                "title_en": data["title"].get("en") or data["title"].get("nl"),
            },
        )
        version_model.objects.create(
            instrument=instrument,
            label=data["version"],
            content_hash=digest,
            definition=data,
            licence_code=data["licence"]["code"],
            source_format="library",
        )
        created += 1
    return created
