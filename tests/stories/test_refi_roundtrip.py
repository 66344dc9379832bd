"""REFI-QDA constructs that travel both ways: export → import → the same content, and every
export validates against the schema."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.db.models import Q
from lxml import etree

from tests.stories.qdpx import import_page_post, unzipped, zipped
from werkplaats.stories import exchange, refi_qda
from werkplaats.stories.models import CodingRound, Segment

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parents[2] / "src/werkplaats/stories/refi_qda/schemas"
PROJECT_NS = "urn:QDA-XML:project:1.0"


def _qde(data: bytes) -> etree._Element:
    xml = unzipped(data)["project.qde"]
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / "Project.xsd")))
    root = etree.fromstring(xml)
    assert xsd.validate(root), xsd.error_log
    return root


def _coded_project() -> bytes:
    """Three coders: one by username, one by display name, one from outside the study."""
    code = refi_qda.Code(guid=str(uuid.uuid4()), name="Steun")
    users = [
        refi_qda.User(guid=str(uuid.uuid4()), name="RITA"),
        refi_qda.User(guid=str(uuid.uuid4()), name="Anna de Vries"),
        refi_qda.User(guid=str(uuid.uuid4()), name="Rita"),  # first name of rita
    ]
    text = "Mijn buren helpen mij. Mijn dochter ook. En de huisarts."
    source = refi_qda.TextSource(
        guid=str(uuid.uuid4()),
        name="Interview 1",
        text=text,
        selections=[
            refi_qda.Selection(str(uuid.uuid4()), 0, 22, [code.guid], creating_user=users[0].guid),
            refi_qda.Selection(str(uuid.uuid4()), 0, 22, [code.guid], creating_user=users[1].guid),
            refi_qda.Selection(
                str(uuid.uuid4()), 23, 40, [code.guid], creating_user=str(uuid.uuid4())
            ),
            refi_qda.Selection(str(uuid.uuid4()), 41, 56, [code.guid], creating_user=users[2].guid),
        ],
    )
    project = refi_qda.Project(name="Buren", users=users, codes=[code], sources=[source])
    return refi_qda.write_qdpx(project)


def _coders(coding_round: CodingRound) -> set[tuple[str, str, int, int]]:
    return {
        (s.coder.username, s.external_coder, s.start, s.end)
        for s in Segment.objects.filter(round=coding_round).select_related("coder")
    }


def test_coders_map_to_researchers_by_name_else_stay_named_external_coders(world):
    first = exchange.project_import(user=world.rita, study=world.study_s, data=_coded_project())
    coders = _coders(first.coding_round)
    assert ("rita", "", 0, 22) in coders  # RITA is rita's username
    assert ("rita", "", 41, 56) in coders  # Rita is rita's display name
    assert ("rita", "Anna de Vries", 0, 22) in coders  # kept by name, not merged into rita
    unlisted = {c for c in coders if c[2] == 23}
    assert len(unlisted) == 1 and uuid.UUID(next(iter(unlisted))[1])  # unlisted: its guid
    assert first.unmatched_coders == ["Anna de Vries"]


def test_external_coders_travel_back_as_users_and_creating_users(world):
    first = exchange.project_import(user=world.rita, study=world.study_s, data=_coded_project())
    exported = exchange.round_export(first.coding_round, world.rita)
    root = _qde(exported)
    users = {u.get("name"): u.get("guid") for u in root.iter(f"{{{PROJECT_NS}}}User")}
    assert "Anna de Vries" in users
    creators = {c.get("creatingUser") for c in root.iter(f"{{{PROJECT_NS}}}Coding")}
    assert users["Anna de Vries"] in creators
    assert creators <= set(users.values())  # every creatingUser is a User of the file
    second = exchange.project_import(user=world.rita, study=world.study_s, data=exported)
    assert _coders(second.coding_round) == _coders(
        first.coding_round
    )  # rita back as rita, the others by name
    assert "Anna de Vries" in second.unmatched_coders


def test_the_import_page_names_external_coders_as_kept_not_lost(world):
    response = import_page_post(world.rita, world.study_s, _coded_project())
    page = response.content.decode()
    assert response.status_code == 200
    assert "externe codeerders" in page and "Anna de Vries" in page
    assert "is geen onderzoeker in dit onderzoek" not in page


def _noted_project() -> bytes:
    """Notes on a code, a source, a selection and the project, and one nothing refers to."""
    g = lambda: str(uuid.uuid4())  # noqa: E731
    notes = [
        refi_qda.Note(g(), "code", "Steun: ook praktische hulp."),
        refi_qda.Note(g(), "source", "Interview in de tuin."),
        refi_qda.Note(g(), "selection", "Sleutelzin."),
        refi_qda.Note(g(), "project", "Eerste ronde, open codering."),
        refi_qda.Note(g(), "loose", "Los memo."),
    ]
    code = refi_qda.Code(guid=g(), name="Steun", note_guids=[notes[0].guid])
    source = refi_qda.TextSource(
        guid=g(),
        name="Interview 1",
        text="Mijn buren helpen mij. Mijn dochter ook.",
        note_guids=[notes[1].guid],
        selections=[refi_qda.Selection(g(), 0, 22, [code.guid], note_guids=[notes[2].guid])],
    )
    project = refi_qda.Project(
        name="Buren", codes=[code], sources=[source], notes=notes, note_guids=[notes[3].guid]
    )
    return refi_qda.write_qdpx(project)


def _memos(coding_round: CodingRound) -> set[tuple[str, str]]:
    from werkplaats.stories.models import Memo

    found = set()
    for memo in Memo.objects.filter(
        models_q(coding_round)  # every memo the import made, by what it is on
    ):
        assert memo.context == Memo.Context.RESEARCH
        on = next(t for t in ("code", "document", "segment", "round") if getattr(memo, f"{t}_id"))
        found.add((on, memo.text))
    return found


def models_q(coding_round: CodingRound) -> Q:
    return (
        Q(code__codebook=coding_round.codebook)
        | Q(document__in=coding_round.documents.all())
        | Q(segment__round=coding_round)
        | Q(round=coding_round)
    )


def test_notes_travel_both_ways_as_research_memos(world):
    first = exchange.project_import(user=world.rita, study=world.study_s, data=_noted_project())
    memos = _memos(first.coding_round)
    assert memos == {
        ("code", "Steun: ook praktische hulp."),
        ("document", "Interview in de tuin."),
        ("segment", "Sleutelzin."),
        ("round", "Eerste ronde, open codering."),
        ("round", "Los memo."),
    }
    exported = exchange.round_export(first.coding_round, world.rita)
    root = _qde(exported)
    code = next(root.iter(f"{{{PROJECT_NS}}}Code"))
    assert code.find(f"{{{PROJECT_NS}}}NoteRef") is not None
    assert len(root.findall(f"{{{PROJECT_NS}}}NoteRef")) == 2  # the two round memos
    second = exchange.project_import(user=world.rita, study=world.study_s, data=exported)
    # segment memos leave as the selection's description and come back as the segment's memo
    assert _memos(second.coding_round) == memos - {("segment", "Sleutelzin.")}
    assert Segment.objects.get(round=second.coding_round).memo == "Sleutelzin."


def test_care_memos_never_leave(world):
    from werkplaats.stories import services
    from werkplaats.stories.models import Memo

    first = exchange.project_import(user=world.rita, study=world.study_s, data=_noted_project())
    services.memo_add(
        user=world.rita, text="Zorgmemo", context=Memo.Context.CARE, round=first.coding_round
    )
    exported = unzipped(exchange.round_export(first.coding_round, world.rita))
    assert b"Zorgmemo" not in exported["project.qde"]


def test_code_and_source_sets_travel_both_ways(world):
    from werkplaats.stories.models import CodingSet

    g = lambda: str(uuid.uuid4())  # noqa: E731
    steun, zorg = refi_qda.Code(g(), "Steun"), refi_qda.Code(g(), "Zorg")
    sources = [refi_qda.TextSource(g(), f"Interview {i}", "Mijn buren helpen mij.") for i in (1, 2)]
    note = refi_qda.Note(g(), "n", "Notitie.")
    sets = [
        refi_qda.Set(g(), "Hulp", "Alles over hulp", code_guids=[steun.guid, zorg.guid]),
        refi_qda.Set(g(), "Jongeren", source_guids=[sources[1].guid]),
    ]
    project = refi_qda.Project(
        name="Sets", codes=[steun, zorg], sources=sources, notes=[note], sets=sets
    )
    qde = refi_qda.write_project_xml(project)
    # a member the round cannot hold (a note) is reported, not silently dropped
    qde = qde.replace(b"</Set>", f'<MemberNote targetGUID="{note.guid}"/></Set>'.encode(), 1)
    files = unzipped(refi_qda.write_qdpx(project))
    files["project.qde"] = qde
    first = exchange.project_import(user=world.rita, study=world.study_s, data=zipped(files))
    assert ("SetMembers", 1) in first.ignored

    def content(coding_round: CodingRound) -> list[tuple[str, str, list[str], list[str]]]:
        return [
            (
                s.name,
                s.description,
                sorted(c.name for c in s.codes.all()),
                sorted(d.title for d in s.documents.all()),
            )
            for s in CodingSet.objects.filter(round=coding_round).order_by("name")
        ]

    assert content(first.coding_round) == [
        ("Hulp", "Alles over hulp", ["Steun", "Zorg"], []),
        ("Jongeren", "", [], ["Interview 2"]),
    ]
    exported = exchange.round_export(first.coding_round, world.rita)
    _qde(exported)  # validates, Sets included
    second = exchange.project_import(user=world.rita, study=world.study_s, data=exported)
    assert content(second.coding_round) == content(first.coding_round)
    assert not [part for part, _ in second.ignored if part == "SetMembers"]


def test_links_between_codes_selections_and_sources_travel_both_ways(world):
    from werkplaats.stories.models import CodingLink

    g = lambda: str(uuid.uuid4())  # noqa: E731
    steun, zorg = refi_qda.Code(g(), "Steun"), refi_qda.Code(g(), "Zorg")
    selection = refi_qda.Selection(g(), 0, 22, [steun.guid])
    source = refi_qda.TextSource(
        g(), "Interview 1", "Mijn buren helpen mij.", selections=[selection]
    )
    links = [
        refi_qda.Link(g(), steun.guid, zorg.guid, "hangt samen", "Associative"),
        refi_qda.Link(g(), selection.guid, zorg.guid, "illustreert", "OneWay"),
        refi_qda.Link(g(), source.guid, steun.guid, "bron", "Bidirectional"),
        refi_qda.Link(g(), steun.guid, g(), "naar een casus"),  # an end Werkplaats lacks
    ]
    project = refi_qda.Project(name="Links", codes=[steun, zorg], sources=[source], links=links)
    first = exchange.project_import(
        user=world.rita, study=world.study_s, data=refi_qda.write_qdpx(project)
    )
    assert ("Links", 1) in first.ignored

    def content(coding_round: CodingRound) -> list[tuple[str, str, str, str]]:
        segment = Segment.objects.get(round=coding_round)
        document = coding_round.documents.get()
        names = {
            **{str(c.guid): c.name for c in coding_round.codebook.codes.all()},
            str(segment.guid): "segment " + segment.snippet,
            exchange._guid("document", document.pk): "source " + document.title,
        }
        return sorted(
            (link.name, link.direction, names[str(link.origin)], names[str(link.target)])
            for link in CodingLink.objects.filter(round=coding_round)
        )

    assert content(first.coding_round) == [
        ("bron", "Bidirectional", "source Interview 1", "Steun"),
        ("hangt samen", "Associative", "Steun", "Zorg"),
        ("illustreert", "OneWay", "segment Mijn buren helpen mij.", "Zorg"),
    ]
    exported = exchange.round_export(first.coding_round, world.rita)
    _qde(exported)  # validates, Links included
    second = exchange.project_import(user=world.rita, study=world.study_s, data=exported)
    assert content(second.coding_round) == content(first.coding_round)


def test_media_selections_are_kept_as_references_with_a_loss_note(world):

    from werkplaats.stories.models import MediaReference

    g = lambda: str(uuid.uuid4())  # noqa: E731
    code = refi_qda.Code(g(), "Steun")
    source = refi_qda.TextSource(g(), "Interview 1", "Mijn buren helpen mij.")
    qde = refi_qda.write_project_xml(refi_qda.Project(name="M", codes=[code], sources=[source]))
    media = (
        f'<PDFSource guid="{g()}" name="scan.pdf" path="internal://x.pdf">'
        f'<PDFSelection guid="{g()}" page="3" firstX="10" firstY="20" secondX="30" secondY="40">'
        f'<Coding guid="{g()}"><CodeRef targetGUID="{code.guid}"/></Coding></PDFSelection>'
        f'</PDFSource><AudioSource guid="{g()}" name="gesprek.mp3" path="internal://a.mp3">'
        f'<AudioSelection guid="{g()}" begin="1500" end="4200"/></AudioSource>'
    )
    qde = qde.replace(b"</Sources>", media.encode() + b"</Sources>", 1)
    data = zipped({"project.qde": qde, f"sources/{source.guid}.txt": source.text.encode()})
    response = import_page_post(world.rita, world.study_s, data)
    page = response.content.decode()
    assert "bewaard als verwijzing" in page and "scan.pdf" in page
    refs = {
        (
            r.kind,
            r.source_name,
            tuple(sorted(r.position.items())),
            tuple(c.name for c in r.codes.all()),
        )
        for r in MediaReference.objects.all()
    }
    assert refs == {
        (
            "PDFSource",
            "scan.pdf",
            (
                ("firstX", "10"),
                ("firstY", "20"),
                ("page", "3"),
                ("secondX", "30"),
                ("secondY", "40"),
            ),
            ("Steun",),
        ),
        ("AudioSource", "gesprek.mp3", (("begin", "1500"), ("end", "4200")), ()),
    }


def test_codings_of_one_selection_by_two_coders_keep_both_coders(world):
    """ATLAS.ti and NVivo write one selection with a Coding per coder: each coder's
    codings become their own segment over the same span (the last coder used to win)."""
    code = refi_qda.Code(guid=str(uuid.uuid4()), name="Steun")
    users = [
        refi_qda.User(guid=str(uuid.uuid4()), name="RITA"),
        refi_qda.User(guid=str(uuid.uuid4()), name="Anna de Vries"),
    ]
    text = "Mijn buren helpen mij."
    source = refi_qda.TextSource(
        guid=str(uuid.uuid4()),
        name="Interview 1",
        text=text,
        selections=[
            refi_qda.Selection(str(uuid.uuid4()), 0, 22, [code.guid], creating_user=users[0].guid)
        ],
    )
    data = refi_qda.write_qdpx(
        refi_qda.Project(name="Buren", users=users, codes=[code], sources=[source])
    )
    files = unzipped(data)
    root = etree.fromstring(files["project.qde"])
    coding = root.find(f".//{{{PROJECT_NS}}}Coding")
    assert coding is not None
    second = etree.SubElement(
        coding.getparent(),
        f"{{{PROJECT_NS}}}Coding",
        guid=str(uuid.uuid4()),
        creatingUser=users[1].guid,
    )
    etree.SubElement(second, f"{{{PROJECT_NS}}}CodeRef", targetGUID=code.guid)
    files["project.qde"] = etree.tostring(root)
    imported = exchange.project_import(user=world.rita, study=world.study_s, data=zipped(files))
    assert _coders(imported.coding_round) == {("rita", "", 0, 22), ("rita", "Anna de Vries", 0, 22)}
