"""Writes of instrument definitions: every import is checked whole, then stored in one
transaction (all or nothing); a stored version is never changed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from werkplaats.core.audit import log_access
from werkplaats.instruments import formats
from werkplaats.instruments.library_loader import load_into
from werkplaats.instruments.models import Instrument, InstrumentVersion
from werkplaats.partnership.models import Organisation, User
from werkplaats.stats.definition import (
    Definition,
    DefinitionError,
    Problem,
    content_hash,
    parse_definition,
)


@dataclass
class ImportOutcome:
    format: str
    versions: list[InstrumentVersion] = field(default_factory=list)
    created: list[bool] = field(default_factory=list)
    losses: list[formats.Loss] = field(default_factory=list)


def _check_label(definition: Definition, digest: str, organisation: Organisation | None) -> None:
    clash = (
        InstrumentVersion.objects.filter(
            instrument__slug=definition.id, label=definition.version, organisation=organisation
        )
        .exclude(content_hash=digest)
        .exists()
    )
    if clash:
        raise DefinitionError(
            [
                Problem(
                    "version",
                    f"version {definition.version!r} of {definition.id!r} is stored already with "
                    "other content; stored versions never change, so give this one a new version",
                )
            ]
        )


def version_store(
    *,
    data: Mapping[str, Any],
    user: User | None = None,
    organisation: Organisation | None = None,
    source_format: str = "yaml",
) -> tuple[InstrumentVersion, bool]:
    """Store one definition as an immutable version; an identical one is reused.

    Only a version the importer's side may see is reused: a public one, or one of the
    same organisation. Another organisation's licensed version is never handed out.
    """
    definition = parse_definition(data)
    digest = content_hash(definition.data)
    reach = Q(organisation__isnull=True)
    if organisation is not None:
        reach |= Q(organisation=organisation)
    existing = (
        InstrumentVersion.objects.filter(reach, content_hash=digest)
        .order_by(F("organisation").asc(nulls_first=True))
        .first()
    )
    if existing is not None:
        return existing, False
    _check_label(definition, digest, organisation)
    title = definition.data["title"]
    instrument, _new = Instrument.objects.get_or_create(
        slug=definition.id,
        defaults={
            "construct": definition.data["construct"],
            "kind": definition.kind,
            "title_nl": title.get("nl") or title.get("en"),
            "title_en": title.get("en") or title.get("nl"),
        },
    )
    version = InstrumentVersion(
        instrument=instrument,
        label=definition.version,
        content_hash=digest,
        definition=definition.data,
        licence_code=definition.data["licence"]["code"],
        source_format=source_format,
        organisation=organisation,
        created_by=user,
    )
    version.full_clean()
    version.save()
    if user is not None:
        log_access(user, "create", version, f"import {source_format}")
    return version, True


def definitions_import(
    *,
    content: bytes,
    filename: str = "",
    fmt: str | None = None,
    user: User | None = None,
    organisation: Organisation | None = None,
    language: str = "nl",
    dry_run: bool = False,
) -> ImportOutcome:
    """Read a file, check every definition in it, then store them all or none.

    Raises ``formats.FormatError`` for an unreadable file and ``DefinitionError`` (with
    the path of every problem) for a definition that breaks the format.
    """
    result = formats.read(content, fmt, filename, language)
    problems: list[Problem] = []
    many = len(result.definitions) > 1
    for n, data in enumerate(result.definitions):
        try:
            parse_definition(data)
        except DefinitionError as exc:
            prefix = f"definitions[{n}]" if many else ""
            problems += [
                Problem(f"{prefix}.{p.path}".strip(".") if prefix else p.path, p.message)
                for p in exc.problems
            ]
    if problems:
        raise DefinitionError(problems)
    outcome = ImportOutcome(result.format, losses=list(result.losses))
    if result.format not in ("yaml", "json"):
        result.definitions = [
            _relabel_if_taken(d, organisation, outcome.losses) for d in result.definitions
        ]
    with transaction.atomic():
        for data in result.definitions:
            version, created = version_store(
                data=data, user=user, organisation=organisation, source_format=result.format
            )
            outcome.versions.append(version)
            outcome.created.append(created)
        if dry_run:
            transaction.set_rollback(True)
    return outcome


def _relabel_if_taken(
    data: dict[str, Any], organisation: Organisation | None, losses: list[formats.Loss]
) -> dict[str, Any]:
    """A file from another tool keeps its version label unless that label is taken by
    other content (a lossy round trip changes the content): then it gets a suffix."""
    definition = parse_definition(data)
    digest = content_hash(definition.data)
    try:
        _check_label(definition, digest, organisation)
    except DefinitionError:
        label = f"{definition.version}+{formats.imported_version(definition.data)}"[:40]
        losses.append(
            formats.Loss(
                "version",
                f"version {definition.version!r} is stored already with other content; "
                f"this import is stored as {label!r}",
            )
        )
        return {**definition.data, "version": label}
    return definition.data


def library_load() -> int:
    """Store the shipped library definitions that are not stored yet."""
    with transaction.atomic():
        return load_into(Instrument, InstrumentVersion)
