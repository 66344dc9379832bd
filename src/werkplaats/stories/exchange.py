"""REFI-QDA exchange for Django rows: turn codebooks and rounds into the plain dataclasses
of ``refi_qda`` and back. Imports are all-or-nothing: parsed completely before anything is
written, then written in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from werkplaats.core.audit import log_access
from werkplaats.partnership.models import User
from werkplaats.programme.models import Study
from werkplaats.stories import refi_qda, services
from werkplaats.stories.models import (
    Code,
    Codebook,
    CoderAssignment,
    CodingLink,
    CodingRound,
    CodingSet,
    MediaReference,
    Memo,
    Segment,
    SharedVersion,
    Source,
)

NAMESPACE = uuid.UUID("5b0e8f3c-3d7e-4c61-9d8a-7f2f1c0a9e11")


def _guid(kind: str, pk: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{pk}"))


def codes_to_refi(codebook: Codebook) -> list[refi_qda.Code]:
    codes = list(codebook.codes.all())
    by_parent: dict[int | None, list[Code]] = {}
    for code in codes:
        by_parent.setdefault(code.parent_id, []).append(code)

    def convert(code: Code) -> refi_qda.Code:
        return refi_qda.Code(
            guid=str(code.guid),
            name=code.name,
            is_codable=not code.is_group,
            color=code.colour,
            description=code.description,
            children=[convert(c) for c in by_parent.get(code.pk, [])],
        )

    return [convert(c) for c in by_parent.get(None, [])]


def codebook_export(codebook: Codebook, user: User) -> bytes:
    log_access(user, "export", codebook, "REFI-QDA codebook")
    return refi_qda.write_codebook(codes_to_refi(codebook), origin="Werkplaats")


def _store_codes(
    codebook: Codebook, user: User, codes: Iterable[refi_qda.Code], parent: Code | None = None
) -> dict[str, Code]:
    stored: dict[str, Code] = {}
    for code in codes:
        row = services.code_create(
            codebook=codebook,
            user=user,
            name=code.name,
            description=code.description,
            colour=code.color if code.color and len(code.color) == 7 else "#1f5fa8",
            is_group=not code.is_codable,
            parent=parent,
            guid=uuid.UUID(code.guid),
        )
        stored[code.guid] = row
        stored.update(_store_codes(codebook, user, code.children, row))
    return stored


@transaction.atomic
def codebook_import(
    *, user: User, data: bytes, title: str, description: str = "", studies: Iterable[Study] = ()
) -> Codebook:
    codes, origin = refi_qda.read_codebook(data)  # raises RefiQdaError before any write
    source_note = f"REFI-QDA ({origin})" if origin else "REFI-QDA"
    codebook = services.codebook_create(
        user=user,
        title=title,
        description="\n".join(filter(None, [description, source_note])),
        studies=studies,
    )
    _store_codes(codebook, user, codes)
    return codebook


def _coder_label(assignment: CoderAssignment, index: int, researchers: set[int]) -> str:
    # Researchers on the study leave under their username, so an import maps them back to
    # themselves; other coders by role and number, not by name: clients code too.
    if assignment.coder_id in researchers:
        return assignment.coder.username
    roles = sorted(assignment.coder.roles())
    return f"{roles[0] if roles else 'coder'} {index}"


def round_to_project(coding_round: CodingRound) -> refi_qda.Project:
    assignments = list(coding_round.assignments.select_related("coder"))
    user_guid = {a.coder_id: _guid("coder", a.pk) for a in assignments}
    documents = list(coding_round.documents.filter(source__in=Source.objects.research_usable()))
    researchers = set(coding_round.study.researchers.values_list("pk", flat=True))
    project = refi_qda.Project(
        name=coding_round.title,
        origin="Werkplaats",
        description=f"{coding_round.study.title}; units: {coding_round.unitising}",
        users=[
            refi_qda.User(guid=user_guid[a.coder_id], name=_coder_label(a, i + 1, researchers))
            for i, a in enumerate(assignments)
        ],
        codes=codes_to_refi(coding_round.codebook),
    )
    segments = coding_round.segments.select_related("code").prefetch_related("memos")
    by_document: dict[int, list[Segment]] = {}
    external: dict[str, str] = {}  # coders from another tool, by name: their User guid
    for segment in segments:
        by_document.setdefault(segment.document_id, []).append(segment)
        if segment.external_coder and segment.external_coder not in external:
            external[segment.external_coder] = str(
                uuid.uuid5(NAMESPACE, f"external-coder:{coding_round.pk}:{segment.external_coder}")
            )
    # External coders came in under their own name from the other tool, and leave under it.
    project.users.extend(refi_qda.User(guid=g, name=n) for n, g in external.items())
    for document in documents:
        source = refi_qda.TextSource(
            guid=_guid("document", document.pk), name=document.title, text=document.text
        )
        for memo in document.memos.filter(context=Memo.Context.RESEARCH):
            note = refi_qda.Note(guid=_guid("memo", memo.pk), name=document.title, text=memo.text)
            project.notes.append(note)
            source.note_guids.append(note.guid)
        for segment in by_document.get(document.pk, []):
            if segment.is_stale:
                continue  # offsets no longer point at what was coded
            memo_text = "\n".join(
                filter(None, [segment.memo, *(m.text for m in segment.memos.all())])
            )
            source.selections.append(
                refi_qda.Selection(
                    guid=str(segment.guid or uuid.uuid5(NAMESPACE, f"segment:{segment.pk}")),
                    start=segment.start,
                    end=segment.end,
                    code_guids=[str(segment.code.guid)],
                    creating_user=(
                        external[segment.external_coder]
                        if segment.external_coder
                        else user_guid.get(segment.coder_id)
                    ),
                    description=memo_text,
                )
            )
        project.sources.append(source)
    _notes_to_refi(coding_round, project)
    kept = {s.guid for s in project.sources}
    for member_set in coding_round.sets.prefetch_related("codes", "documents"):
        project.sets.append(
            refi_qda.Set(
                guid=str(member_set.guid),
                name=member_set.name,
                description=member_set.description,
                code_guids=[str(c.guid) for c in member_set.codes.all()],
                source_guids=[
                    g for d in member_set.documents.all() if (g := _guid("document", d.pk)) in kept
                ],
            )
        )
    exported = {c.guid for c in project.all_codes()} | {s.guid for s in project.sources}
    exported |= {sel.guid for s in project.sources for sel in s.selections}
    for link in coding_round.links.all():
        if str(link.origin) in exported and str(link.target) in exported:
            project.links.append(
                refi_qda.Link(
                    guid=str(link.guid),
                    origin=str(link.origin),
                    target=str(link.target),
                    name=link.name,
                    direction=link.direction,
                )
            )
    return project


def _notes_to_refi(coding_round: CodingRound, project: refi_qda.Project) -> None:
    """Research memos on the round's codes and on the round itself become Notes with a
    NoteRef on the code or on the project. Care memos never leave."""
    research = Memo.objects.filter(context=Memo.Context.RESEARCH)
    on_code: dict[str, list[str]] = {}
    for memo in research.filter(code__codebook=coding_round.codebook).select_related("code"):
        assert memo.code is not None
        note = refi_qda.Note(guid=_guid("memo", memo.pk), name=memo.code.name, text=memo.text)
        project.notes.append(note)
        on_code.setdefault(str(memo.code.guid), []).append(note.guid)
    for code in project.all_codes():
        code.note_guids = on_code.get(code.guid, [])
    for memo in research.filter(round=coding_round):
        note = refi_qda.Note(guid=_guid("memo", memo.pk), name=coding_round.title, text=memo.text)
        project.notes.append(note)
        project.note_guids.append(note.guid)


def round_export(coding_round: CodingRound, user: User) -> bytes:
    log_access(user, "export", coding_round, "REFI-QDA project")
    return refi_qda.write_qdpx(round_to_project(coding_round), created=timezone.now())


@dataclass(frozen=True)
class ProjectImport:
    """What a REFI-QDA import made, and what of the project it could not keep."""

    coding_round: CodingRound
    missing_sources: list[str]  # sources whose text is not in the file
    media_sources: list[tuple[str, str, int]]  # (name, kind, selections) kept as references
    ignored: list[tuple[str, int]]  # (part of the project, how many) not kept
    unmatched_coders: list[str]  # coders kept by name: no researcher on the study matches


@transaction.atomic
def project_import(
    *,
    user: User,
    study: Study,
    data: bytes,
    kind: str = Source.Kind.INTERVIEW,
    offsets: refi_qda.parser.Offsets = "auto",
) -> ProjectImport:
    """A .qdpx from another tool becomes sources (consent and anonymisation confirmed by the
    importing researcher), a codebook and a finished coding round. Coders whose REFI-QDA
    name matches the username of a researcher on the study keep their coding; all other
    coding is attributed to the importer."""
    project = refi_qda.read_qdpx(data, offsets=offsets)  # raises RefiQdaError before any write
    coding_round = _project_store(user=user, study=study, project=project, kind=kind)
    names = _researchers_by_name(study)
    return ProjectImport(
        coding_round=coding_round,
        missing_sources=project.missing_sources,
        media_sources=project.media_sources,
        ignored=project.ignored,
        unmatched_coders=[
            u.name or u.guid for u in project.users if (u.name or "").strip().lower() not in names
        ],
    )


def _researchers_by_name(study: Study) -> dict[str, User]:
    """The study's researchers under their username and their display name (lower case);
    a username wins over another researcher's display name."""
    names: dict[str, User] = {}
    researchers = list(study.researchers.all())
    for researcher in researchers:
        full = researcher.get_full_name().strip().lower()
        if full:
            names.setdefault(full, researcher)
    for researcher in researchers:
        names[researcher.username.lower()] = researcher
    return names


def _project_store(
    *, user: User, study: Study, project: refi_qda.Project, kind: str
) -> CodingRound:
    codebook = services.codebook_create(
        user=user, title=project.name, description=f"REFI-QDA ({project.origin})", studies=[study]
    )
    codes = _store_codes(codebook, user, project.codes)
    # A coder whose name is the username or display name of a researcher on the study codes
    # as that researcher; any other coder is kept by name as an external coder, their
    # coding held under the importer's assignment.
    names = _researchers_by_name(study)
    coder_for: dict[str | None, User] = {}
    external_for: dict[str | None, str] = {}
    for refi_user in project.users:
        match = names.get((refi_user.name or "").strip().lower())
        coder_for[refi_user.guid] = match or user
        if match is None:
            external_for[refi_user.guid] = refi_user.name or refi_user.guid
    documents: list[SharedVersion] = []
    doc_for: dict[str, SharedVersion] = {}
    for text_source in project.sources:
        source = services.source_create(
            user=user,
            kind=kind,
            title=text_source.name,
            text=text_source.text,
            teller_role=Source.TellerRole.OTHER,
            study=study,
            imported_from=f"REFI-QDA: {project.origin or project.name}",
            research_consent=True,
        )
        document = SharedVersion(
            source=source,
            title=text_source.name[:120],
            text=text_source.text,
            masks=[],
            reviewed_by=user,
            reviewed_at=timezone.now(),
        )
        document.full_clean()
        document.save()
        documents.append(document)
        doc_for[text_source.guid] = document
    coders = {user, *(coder_for.values())}
    coding_round = services.round_create(
        user=user,
        study=study,
        codebook=codebook,
        title=project.name,
        documents=documents,
        coders=sorted(coders, key=lambda u: u.pk),
        blind=False,
    )
    assignments = {a.coder_id: a for a in coding_round.assignments.all()}
    kept_guids: set[str] = set()
    first_segment: dict[str, Segment] = {}  # selection guid: its first segment
    for text_source in project.sources:
        document = doc_for[text_source.guid]
        for selection in text_source.selections:
            coder = coder_for.get(selection.creating_user, user)
            for code_guid in selection.code_guids:
                code = codes[code_guid]
                if code.is_group:
                    continue
                segment = services.segment_add(
                    assignment=assignments[coder.pk],
                    document=document,
                    code=code,
                    start=selection.start,
                    end=selection.end,
                    memo=selection.description,
                    external_coder=_external_name(selection.creating_user, coder_for, external_for),
                )
                first_segment.setdefault(selection.guid, segment)
                if segment.guid is None and selection.guid not in kept_guids:
                    # one selection coded with several codes is several segments; only the
                    # first keeps the selection's guid, so every guid stays unique
                    kept_guids.add(selection.guid)
                    segment.guid = uuid.UUID(selection.guid)
                    segment.save(update_fields=["guid"])
    _notes_store(user, project, coding_round, codes, doc_for, first_segment)
    for refi_set in project.sets:
        member_set = CodingSet(
            round=coding_round,
            guid=uuid.UUID(refi_set.guid),
            name=refi_set.name,
            description=refi_set.description,
        )
        member_set.full_clean()
        member_set.save()
        member_set.codes.set([codes[g] for g in refi_set.code_guids])
        member_set.documents.set([doc_for[g] for g in refi_set.source_guids])
    _links_store(project, coding_round, codes, doc_for, first_segment)
    for media in project.media_selections:
        reference = MediaReference.objects.create(
            round=coding_round,
            guid=media.guid,
            source_name=media.source_name,
            kind=media.kind,
            position=media.position,
        )
        reference.codes.set([codes[g] for g in media.code_guids])
    CoderAssignment.objects.filter(round=coding_round).update(done_at=timezone.now())
    log_access(user, "create", coding_round, "imported from REFI-QDA")
    return coding_round


def _external_name(
    creating_user: str | None,
    coder_for: dict[str | None, User],
    external_for: dict[str | None, str],
) -> str:
    """The external coder of a selection: a named user not matched to a researcher, or a
    creatingUser the file does not list among its Users (kept under its guid)."""
    if creating_user is None:
        return ""
    if creating_user not in coder_for:
        return creating_user
    return external_for.get(creating_user, "")


def _notes_store(
    user: User,
    project: refi_qda.Project,
    coding_round: CodingRound,
    codes: dict[str, Code],
    doc_for: dict[str, SharedVersion],
    first_segment: dict[str, Segment],
) -> None:
    """Each REFI-QDA Note becomes a research memo on what refers to it: a code, a source
    (its anonymised version), a selection (its first segment) or the project (the round).
    A note nothing refers to is a memo on the round; a note referred to twice, two memos."""
    notes = {n.guid: n for n in project.notes}
    used: set[str] = set()

    def add(note_guids: list[str], **target: object) -> None:
        for guid in note_guids:
            note = notes.get(guid)
            if note is not None and (note.text.strip() or note.name.strip()):
                used.add(guid)
                services.memo_add(
                    user=user,
                    text=note.text if note.text.strip() else note.name,
                    context=Memo.Context.RESEARCH,
                    **target,
                )

    for refi_code in project.all_codes():
        add(refi_code.note_guids, code=codes[refi_code.guid])
    for text_source in project.sources:
        add(text_source.note_guids, document=doc_for[text_source.guid])
        for selection in text_source.selections:
            if selection.guid in first_segment:
                add(selection.note_guids, segment=first_segment[selection.guid])
            else:  # coded with grouping codes only: no segment, the note goes on the source
                add(selection.note_guids, document=doc_for[text_source.guid])
    add(project.note_guids, round=coding_round)
    add([g for g in notes if g not in used], round=coding_round)


def _links_store(
    project: refi_qda.Project,
    coding_round: CodingRound,
    codes: dict[str, Code],
    doc_for: dict[str, SharedVersion],
    first_segment: dict[str, Segment],
) -> None:
    """Links between codes, coded selections and sources are kept under the GUIDs the
    export will give those ends; links to anything else (cases, notes, sources not
    imported) are counted in the loss report."""
    ends: dict[str, str] = {g: g for g in codes}
    ends.update({g: _guid("document", d.pk) for g, d in doc_for.items()})
    ends.update({g: str(s.guid) for g, s in first_segment.items() if s.guid is not None})
    dropped = 0
    for link in project.links:
        if link.origin not in ends or link.target not in ends:
            dropped += 1
            continue
        CodingLink.objects.create(
            round=coding_round,
            guid=uuid.UUID(link.guid),
            name=link.name,
            direction=link.direction,
            origin=uuid.UUID(ends[link.origin]),
            target=uuid.UUID(ends[link.target]),
        )
    if dropped:
        project.ignored.append(("Links", dropped))
