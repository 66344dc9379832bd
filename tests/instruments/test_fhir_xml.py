"""FHIR Questionnaires and QuestionnaireResponses in FHIR's XML form.

HL7 publishes its examples in XML beside JSON, and many servers and form tools export
XML; the reader took only JSON and called such a file unrecognised. Each test writes a
resource in XML with a small writer of its own (the specification's rules: a resource
is an element named after its type, a primitive has a ``value`` attribute, a list is
the element repeated, ``_name`` extensions go inside the element) and checks that it
reads exactly as the JSON form does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest

from werkplaats.instruments import formats
from werkplaats.instruments.formats.fhir import xml

FILES = Path(__file__).parent / "files"
NS = "http://hl7.org/fhir"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(name: str, value: Any, extra: dict[str, Any] | None = None) -> str:
    if isinstance(value, dict):
        if "resourceType" in value:  # a resource inside: Bundle.entry.resource, contained
            return f"<{name}>{to_xml(value, root=False)}</{name}>"
        attrs = "".join(f" {k}={quoteattr(str(value[k]))}" for k in ("id", "url") if k in value)
        if name == "extension" and "url" in value:
            pass
        inner = _children({k: v for k, v in value.items() if k not in ("id", "url")})
        return f"<{name}{attrs}>{inner}</{name}>"
    inner = _children({k: v for k, v in (extra or {}).items() if k != "id"})
    attrs = f" value={quoteattr(_value(value))}"
    if extra and "id" in extra:
        attrs = f" id={quoteattr(extra['id'])}" + attrs
    return f"<{name}{attrs}>{inner}</{name}>" if inner else f"<{name}{attrs}/>"


def _children(obj: dict[str, Any]) -> str:
    out = []
    for key, value in obj.items():
        if key.startswith("_") or key == "resourceType":
            continue
        extra = obj.get("_" + key)
        if key == "div":
            out.append(value)
        elif isinstance(value, list):
            extras = extra if isinstance(extra, list) else [None] * len(value)
            out += [_element(key, v, e) for v, e in zip(value, extras)]
        else:
            out.append(_element(key, value, extra))
    return "".join(out)


def to_xml(resource: dict[str, Any], root: bool = True) -> str:
    kind = resource["resourceType"]
    ident = f'<id value="{resource["id"]}"/>' if "id" in resource else ""
    body = _children({k: v for k, v in resource.items() if k != "id"})
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if root else ""
    return f'{head}<{kind} xmlns="{NS}">{ident}{body}</{kind}>'


def _both(resource: dict[str, Any]) -> tuple[formats.ImportResult, formats.ImportResult]:
    from_json = formats.read(json.dumps(resource).encode(), None, "q.json", "nl")
    from_xml = formats.read(to_xml(resource).encode(), None, "q.xml", "nl")
    return from_json, from_xml


def test_the_example_questionnaire_reads_the_same_in_xml() -> None:
    resource = json.loads((FILES / "fhir_questionnaire.json").read_text())
    assert xml.load(to_xml(resource)) == resource
    from_json, from_xml = _both(resource)
    assert from_xml.definitions == from_json.definitions
    assert [str(x) for x in from_xml.losses] == [str(x) for x in from_json.losses]


def test_a_bundle_of_questionnaires_with_a_narrative_reads_the_same() -> None:
    one = json.loads((FILES / "fhir_questionnaire.json").read_text())
    two = {
        "resourceType": "Questionnaire",
        "id": "kort",
        "text": {
            "status": "generated",
            "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Korte <b>vragen</b></p></div>',
        },
        "status": "draft",
        "code": [{"system": "http://loinc.org", "code": "1234-5"}],
        "item": [
            {"linkId": "a", "type": "integer", "text": "Aantal", "required": True,
             "maxLength": 3},
            {"linkId": "b", "type": "boolean", "text": "Ja?", "repeats": False,
             "enableWhen": [{"question": "a", "operator": ">", "answerInteger": 2}]},
            {"linkId": "c", "type": "decimal", "text": "Gewicht",
             "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/maxValue",
                            "valueDecimal": 250.5}]},
        ],
    }  # fmt: skip
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:1", "resource": one}, {"resource": two}],
    }
    assert xml.load(to_xml(bundle)) == bundle
    from_json, from_xml = _both(bundle)
    assert len(from_xml.definitions) == 2
    assert from_xml.definitions == from_json.definitions


def test_xml_is_recognised_without_a_name() -> None:
    resource = json.loads((FILES / "fhir_questionnaire.json").read_text())
    assert formats.detect("", to_xml(resource).encode()) == "fhir"
    assert formats.detect("", ("\ufeff  " + to_xml(resource)).encode()) == "fhir"


@pytest.mark.parametrize(
    "text, reason",
    [
        ('<Questionnaire xmlns="http://hl7.org/fhir"><status value="active"/>', "XML"),
        (
            '<?xml version="1.0"?><!DOCTYPE q [<!ENTITY e "boom">]>'
            '<Questionnaire xmlns="http://hl7.org/fhir"><title value="&e;"/></Questionnaire>',
            "XML",
        ),
        (
            '<Questionnaire xmlns="http://hl7.org/fhir"><item><required value="yes"/></item>'
            "</Questionnaire>",
            "true or false",
        ),
        (
            '<Questionnaire xmlns="http://hl7.org/fhir"><title value="a"/><title value="b"/>'
            "</Questionnaire>",
            "twice",
        ),
    ],
)
def test_broken_xml_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(formats.FormatError) as caught:
        formats.read(text.encode(), None, "q.xml", "nl")
    message = str(caught.value)
    assert "FHIR" in message and reason in message


def test_an_external_entity_is_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    text = (
        f'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY s SYSTEM "file://{secret}">]>'
        '<Questionnaire xmlns="http://hl7.org/fhir"><title value="&s;"/></Questionnaire>'
    )
    with pytest.raises(formats.FormatError) as caught:
        formats.read(text.encode(), "fhir", "q.xml", "nl")
    assert "do not read" not in str(caught.value)
