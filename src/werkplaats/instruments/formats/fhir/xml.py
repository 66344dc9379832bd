"""FHIR's XML form read into the JSON form the readers take.

FHIR defines one content model with two spellings. In XML a primitive is an element with
a ``value`` attribute (``<linkId value="1"/>``), a resource inside another (a Bundle
entry, a contained ValueSet) is wrapped in an element named after its type, and an
element that may repeat is written once per value. JSON needs to know which elements
are lists and which primitives are booleans or numbers, which XML does not say; both
come from the specification's element definitions for the resources read here
(Questionnaire, QuestionnaireResponse, Bundle, ValueSet, CodeSystem, R4 and R5) and
their data types. A primitive's ``id`` and extensions (a translation of a text) go to
``_name`` as in JSON. The narrative's XHTML is kept as text.

Parsing refuses a DOCTYPE and never resolves entities or fetches anything.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"

# Elements that repeat (0..* or 1..*) in the resources read and their data types.
LISTS = frozenset(
    {
        # every element and resource
        "extension", "modifierExtension", "contained",
        # Resource / Meta / metadata data types
        "profile", "security", "tag", "contact", "telecom", "useContext", "jurisdiction",
        "author", "editor", "reviewer", "endorser", "relatedArtifact", "topic",
        "coding", "given", "prefix", "suffix", "line",
        # Questionnaire
        "derivedFrom", "subjectType", "item", "enableWhen", "answerOption", "initial",
        # QuestionnaireResponse
        "basedOn", "partOf", "answer",
        # Bundle
        "link", "entry",
        # ValueSet and CodeSystem
        "include", "exclude", "concept", "filter", "valueSet", "designation", "contains",
        "parameter", "property", "additionalUse",
    }
)  # fmt: skip
# Elements that repeat only inside a given parent (a Coding's ``code`` is one code, a
# Reference has one ``identifier``).
LISTS_IN = {
    ("Questionnaire", "code"), ("item", "code"), ("Questionnaire", "identifier"),
    ("ValueSet", "identifier"), ("CodeSystem", "identifier"),
}  # fmt: skip
# Single in one FHIR version and a list in another (QuestionnaireResponse.identifier:
# 0..1 in R4, 0..* in R5): one occurrence is a value, several a list.
EITHER = frozenset({"identifier"})
# Primitive elements whose JSON value is a boolean or a number (the rest are strings).
BOOLEAN = frozenset(
    {
        "required", "repeats", "readOnly", "initialSelected", "experimental", "immutable",
        "inactive", "abstract", "userSelected", "caseSensitive", "compositional",
        "versionNeeded", "lockedDate", "valueBoolean", "answerBoolean", "initialBoolean",
        "disableDisplay",
    }
)  # fmt: skip
INTEGER = frozenset(
    {
        "maxLength", "total", "count", "offset", "valueInteger", "answerInteger",
        "initialInteger", "valueUnsignedInt", "valuePositiveInt", "valueInteger64",
    }
)  # fmt: skip
DECIMAL = frozenset({"valueDecimal", "answerDecimal", "initialDecimal"})
# A ``value`` that is a decimal: in Quantity, Age, Duration, Money (inside these parents).
DECIMAL_VALUE_IN = frozenset(
    {
        "valueQuantity", "answerQuantity", "initialQuantity", "valueAge", "valueDuration",
        "valueMoney", "valueDistance", "valueCount", "low", "high",
    }
)  # fmt: skip


class XmlError(ValueError):
    """Not FHIR XML that can be read (with the parser's reason)."""


def _local(tag: Any) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""  # a comment or a processing instruction
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _primitive(name: str, parent: str, raw: str) -> Any:
    if name in BOOLEAN:
        if raw in ("true", "false"):
            return raw == "true"
        raise XmlError(f"{name} must be true or false, not {raw!r}")
    try:
        if name in INTEGER:
            return int(raw)
        if name in DECIMAL or (name == "value" and parent in DECIMAL_VALUE_IN):
            number = float(raw)
            return int(number) if number.is_integer() and "." not in raw else number
    except ValueError:
        raise XmlError(f"{name} must be a number, not {raw!r}") from None
    return raw


def _resource(element: Any) -> dict[str, Any]:
    namespace, name = _local(element.tag)
    if namespace != FHIR_NS:
        raise XmlError(f"<{name}> is not in the FHIR namespace {FHIR_NS}")
    out: dict[str, Any] = {"resourceType": name}
    out.update(_content(element, name))
    return out


def _content(element: Any, name: str) -> dict[str, Any]:
    """The JSON object of a complex element's children (and its ``id``/``url``)."""
    out: dict[str, Any] = {}
    for attribute in ("id", "url"):
        if attribute in element.attrib:
            out[attribute] = element.attrib[attribute]
    for child in element:
        namespace, child_name = _local(child.tag)
        if not child_name:
            continue
        if namespace == XHTML_NS and child_name == "div":
            out["div"] = etree.tostring(child, encoding="unicode", with_tail=False)
            continue
        if namespace != FHIR_NS:
            raise XmlError(f"<{child_name}> is not in the FHIR namespace")
        many = child_name in LISTS or (name, child_name) in LISTS_IN
        if child_name in ("resource", "contained") and len(child):
            value: Any = _resource(next(c for c in child if _local(c.tag)[1]))
            extra = None
        elif "value" in child.attrib:
            value = _primitive(child_name, name, child.attrib["value"])
            extra = _content(child, child_name) or None
        elif len(child) == 0 and child.attrib:
            value, extra = None, {k: v for k, v in child.attrib.items() if k == "id"} or None
        else:
            value, extra = _content(child, child_name), None
            if not value and "value" not in child.attrib:
                continue  # an empty element carries nothing
        if value is not None:
            if many:
                out.setdefault(child_name, []).append(value)
            elif child_name in out and child_name in EITHER:
                previous = out[child_name]
                out[child_name] = [*(previous if isinstance(previous, list) else [previous]), value]
            elif child_name in out:
                raise XmlError(f"<{child_name}> appears twice in <{name}>")
            else:
                out[child_name] = value
        if extra:
            key = "_" + child_name
            if many:
                slot = out.setdefault(key, [])
                slot.extend([None] * (len(out.get(child_name, [])) - 1 - len(slot)))
                slot.append(extra)
            else:
                out[key] = extra
    return out


def load(text: str) -> dict[str, Any]:
    """The JSON form of a FHIR resource written in XML."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_comments=True, remove_pis=True,
    )  # fmt: skip
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise XmlError(str(exc).splitlines()[0][:300]) from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise XmlError("a DOCTYPE is not allowed in FHIR XML")
    return _resource(root)


def looks_like_xml(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    return head.startswith("<") and FHIR_NS in head
