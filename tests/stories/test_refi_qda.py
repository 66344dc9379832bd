"""REFI-QDA exchange in plain Python: schema validity, round trips, tool quirks, bad files."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.stories.qdpx import zipped
from werkplaats.stories.refi_qda import (
    Code,
    Note,
    Project,
    RefiQdaError,
    Selection,
    TextSource,
    User,
    read_codebook,
    read_qdpx,
    write_codebook,
    write_project_xml,
    write_qdpx,
)
from werkplaats.stories.refi_qda.offsets import codepoint_to_utf16, utf16_to_codepoint
from werkplaats.stories.refi_qda.safety import Limits, read_zip

SCHEMAS = Path(__file__).resolve().parents[2] / "src/werkplaats/stories/refi_qda/schemas"


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def g() -> str:
    return str(uuid.uuid4())


def sample_project() -> Project:
    coder = User(guid=g(), name="researcher 1")
    child = Code(guid=g(), name="Steun van buren", color="#1f5fa8", description="Praktische hulp")
    theme = Code(guid=g(), name="Netwerk", is_codable=False, children=[child])
    text = "Mijn buurvrouw helpt met boodschappen. 😀 Ik voel me minder alleen."
    note = Note(guid=g(), name="memo", text="Eerste indruk: hoopvol.")
    source = TextSource(
        guid=g(),
        name="Verhaal 1",
        text=text,
        selections=[
            Selection(
                guid=g(),
                start=0,
                end=38,
                code_guids=[child.guid],
                creating_user=coder.guid,
                description="sterk citaat",
            ),
            Selection(
                guid=g(), start=42, end=len(text), code_guids=[child.guid], creating_user=coder.guid
            ),
        ],
        note_guids=[note.guid],
    )
    return Project(name="Studie S", users=[coder], codes=[theme], sources=[source], notes=[note])


def test_codebook_export_validates_against_the_codebook_schema():
    codes = sample_project().codes
    document = etree.fromstring(write_codebook(codes))
    schema = _schema("Codebook.xsd")
    assert schema.validate(document), schema.error_log


def test_project_export_validates_against_the_project_schema():
    document = etree.fromstring(write_project_xml(sample_project()))
    schema = _schema("Project.xsd")
    assert schema.validate(document), schema.error_log


def test_codebook_round_trip_keeps_hierarchy_colours_and_grouping_codes():
    codes, origin = read_codebook(write_codebook(sample_project().codes, origin="Werkplaats"))
    assert origin == "Werkplaats"
    assert codes[0].name == "Netwerk" and codes[0].is_codable is False
    assert codes[0].children[0].color == "#1f5fa8"
    assert codes[0].children[0].description == "Praktische hulp"


def test_project_round_trip_keeps_text_selections_memos_and_notes():
    original = sample_project()
    back = read_qdpx(write_qdpx(original))
    source = back.sources[0]
    assert source.text == original.sources[0].text
    assert [(s.start, s.end) for s in source.selections] == [(0, 38), (42, len(source.text))]
    assert source.selections[0].description == "sterk citaat"
    assert source.selections[0].creating_user == original.users[0].guid
    assert back.notes[0].text == "Eerste indruk: hoopvol."
    assert source.note_guids == [back.notes[0].guid]


def test_atlas_ti_capital_project_qde_and_flattened_hierarchy():
    code_a, code_b = g(), g()
    source = g()
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="atlas" origin="ATLAS.ti 23">
 <CodeBook><Codes>
  <Code guid="{code_a}" name="Netwerk::Buren" isCodable="true"/>
  <Code guid="{code_b}" name="Netwerk::Familie::Dochter" isCodable="true"/>
 </Codes></CodeBook>
 <Sources><TextSource guid="{source}" name="Interview" plainTextPath="internal://{source}.txt">
  <PlainTextSelection guid="{g()}" startPosition="0" endPosition="4">
   <Coding guid="{g()}"><CodeRef targetGUID="{code_a}"/></Coding></PlainTextSelection>
 </TextSource></Sources></Project>""".encode()
    project = read_qdpx(zipped({"Project.qde": qde, f"Sources/{source}.txt": b"Hallo wereld"}))
    (netwerk,) = project.codes
    assert netwerk.name == "Netwerk" and netwerk.is_codable is False
    assert [c.name for c in netwerk.children] == ["Buren", "Familie"]
    assert netwerk.children[1].children[0].name == "Dochter"
    assert project.sources[0].selections[0].code_guids == [code_a]


def test_nvivo_utf16_offsets_are_converted_to_code_points():
    code, source = g(), g()
    text = "😀😀 Ik red me wel."
    start16 = codepoint_to_utf16(text, 3)
    qde = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="n" origin="NVivo 14">
 <CodeBook><Codes><Code guid="{code}" name="Zelfredzaam" isCodable="true"/></Codes></CodeBook>
 <Sources><TextSource guid="{source}" name="s"><PlainTextContent>{text}</PlainTextContent>
  <PlainTextSelection guid="{g()}" startPosition="{start16}" endPosition="{codepoint_to_utf16(text, len(text))}">
   <Coding guid="{g()}"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>
 </TextSource></Sources></Project>""".encode()
    selection = read_qdpx(zipped({"project.qde": qde})).sources[0].selections[0]
    assert text[selection.start : selection.end] == "Ik red me wel."


def test_offsets_helpers_refuse_the_middle_of_a_surrogate_pair():
    assert utf16_to_codepoint("a😀b", 3) == 2
    with pytest.raises(ValueError):
        utf16_to_codepoint("a😀b", 2)
    with pytest.raises(ValueError):
        utf16_to_codepoint("ab", 5)


def test_a_selection_outside_the_source_is_refused():
    code, source = g(), g()
    qde = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="n">
 <CodeBook><Codes><Code guid="{code}" name="c" isCodable="true"/></Codes></CodeBook>
 <Sources><TextSource guid="{source}" name="kort"><PlainTextContent>kort</PlainTextContent>
  <PlainTextSelection guid="{g()}" startPosition="2" endPosition="99"/>
 </TextSource></Sources></Project>""".encode()
    with pytest.raises(RefiQdaError, match="falls outside"):
        read_qdpx(zipped({"project.qde": qde}))


def test_entity_expansion_is_refused():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="x" name="&lol2;" isCodable="true"/></Codes></CodeBook>"""
    with pytest.raises(RefiQdaError, match="document type or entities"):
        read_codebook(bomb)


def test_external_entities_are_refused():
    xxe = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>"""
    with pytest.raises(RefiQdaError):
        read_codebook(xxe)


def test_zip_bomb_is_refused_while_unpacking():
    bomb = zipped({"project.qde": b"<" + b"a" * 5_000_000})
    with pytest.raises(RefiQdaError, match="zip bomb|allowed size"):
        read_zip(bomb, Limits(max_entry_bytes=1_000_000))
    with pytest.raises(RefiQdaError, match="zip bomb"):
        read_zip(bomb)


def test_paths_that_climb_out_of_the_archive_are_refused():
    with pytest.raises(RefiQdaError, match="unsafe path"):
        read_zip(zipped({"../evil.txt": b"x"}))


def test_broken_source_encoding_is_refused_with_its_name():
    source = g()
    qde = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="n"><Sources>
 <TextSource guid="{source}" name="kapot" plainTextPath="internal://{source}.txt"/></Sources></Project>""".encode()
    with pytest.raises(RefiQdaError, match="kapot.*UTF-8"):
        read_qdpx(zipped({"project.qde": qde, f"sources/{source}.txt": b"caf\xe9 \xff"}))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a zip",
        zipped({}),
        zipped({"project.qde": b""}),
        zipped({"project.qde": b"<Project/>"}),
        zipped(
            {
                "project.qde": b"<Project xmlns='urn:QDA-XML:project:1.0'><Users><User/></Users></Project>"
            }
        ),
    ],
)
def test_malformed_projects_are_refused_with_a_message(data):
    with pytest.raises(RefiQdaError) as info:
        read_qdpx(data)
    assert str(info.value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_either_parse_or_raise_refi_qda_error(data):
    for reader in (read_qdpx, read_codebook):
        try:
            reader(data)
        except RefiQdaError:
            pass


xml_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"),
    max_size=40,
)
story_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00\ufffe\uffff"),
    min_size=1,
    max_size=200,
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(xml_text.filter(lambda s: s.strip()), min_size=1, max_size=5),
    story_text,
    st.data(),
)
def test_written_projects_read_back_identically(names, text, data):
    codes = [Code(guid=g(), name=n.strip()) for n in names]
    selections = []
    for _ in range(data.draw(st.integers(0, 4))):
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start + 1, len(text)))
        selections.append(Selection(guid=g(), start=start, end=end, code_guids=[codes[0].guid]))
    project = Project(
        name="p", codes=codes, sources=[TextSource(g(), "s", text, selections=selections)]
    )
    back = read_qdpx(write_qdpx(project))
    assert [c.name for c in back.all_codes()] == [c.name for c in codes]
    assert back.sources[0].text == text
    assert [(s.start, s.end) for s in back.sources[0].selections] == [
        (s.start, s.end) for s in selections
    ]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_mutated_project_xml_never_crashes_the_parser(data):
    xml = bytearray(write_project_xml(sample_project()))
    for _ in range(data.draw(st.integers(1, 5))):
        position = data.draw(st.integers(0, len(xml) - 1))
        xml[position] = data.draw(st.integers(0, 255))
    try:
        read_qdpx(
            zipped(
                {
                    "project.qde": bytes(xml),
                    **{f"sources/{s.guid}.txt": s.text.encode() for s in sample_project().sources},
                }
            )
        )
    except RefiQdaError:
        pass


def test_every_guid_in_an_export_is_unique_which_the_xsd_cannot_check():
    project = sample_project()
    # one selection coded with two codes comes back from the database as two segments that
    # share the selection's guid: the export must still give every element its own guid
    first = project.sources[0].selections[0]
    project.sources[0].selections.append(
        Selection(guid=first.guid, start=0, end=38, code_guids=[first.code_guids[0]])
    )
    project.sources[0].selections.append(
        Selection(guid=first.guid, start=0, end=38, code_guids=[first.code_guids[0]])
    )
    document = etree.fromstring(write_project_xml(project))
    guids = [e.get("guid") for e in document.iter() if e.get("guid")]
    assert len(guids) == len(set(guids))
    assert _schema("Project.xsd").validate(document)
    # references still point at codes, users and notes that exist
    targets = {e.get("targetGUID") for e in document.iter() if e.get("targetGUID")}
    assert targets <= set(guids)


def test_a_bare_qde_imports_its_codebook_and_reports_its_sources_missing():
    qde = write_project_xml(sample_project())
    project = read_qdpx(qde)
    assert project.codes[0].name == "Netwerk"
    assert project.sources == [] and project.missing_sources == ["Verhaal 1"]


def test_an_archive_with_an_empty_sources_folder_keeps_the_sources_it_has():
    project = sample_project()
    second = TextSource(guid=g(), name="Verhaal 2", text="Tweede verhaal.")
    project.sources.append(second)
    archive = write_qdpx(project)
    entries = read_zip(archive)
    kept = {k: v for k, v in entries.items() if second.guid not in k}
    back = read_qdpx(zipped(kept))
    assert [s.name for s in back.sources] == ["Verhaal 1"]
    assert back.missing_sources == ["Verhaal 2"]
    assert len(back.sources[0].selections) == 2


def test_media_sources_are_reported_not_dropped_silently():
    qde = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="n"><Sources>
 <PDFSource guid="{g()}" name="scan.pdf" path="internal://x.pdf"><PDFSelection guid="{g()}"
 page="1" firstX="0" firstY="0" secondX="1" secondY="1"/></PDFSource></Sources></Project>""".encode()
    project = read_qdpx(qde)
    assert project.media_sources == [("scan.pdf", "PDFSource", 1)]


def test_atlas_ti_keeps_a_real_parent_code_whatever_its_place_in_the_list():
    diet, coke = g(), g()
    qdc = f"""<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti"><Codes>
 <Code guid="{diet}" name="Coke::diet Coke" isCodable="true"/>
 <Code guid="{coke}" name="Coke" isCodable="true" color="#ff0000"><Description>the drink</Description></Code>
 <Code guid="{g()}" name="Tea::green" isCodable="true"/>
</Codes></CodeBook>""".encode()
    codes, _origin = read_codebook(qdc)
    parent = next(c for c in codes if c.name == "Coke")
    assert parent.guid == coke and parent.is_codable and parent.color == "#ff0000"
    assert parent.description == "the drink"
    assert [c.guid for c in parent.children] == [diet]
    tea = next(c for c in codes if c.name == "Tea")
    assert tea.is_codable is False and tea.children[0].name == "green"
