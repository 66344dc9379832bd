"""Small readers of FHIR values: texts with translations, extensions, value sets, enableWhen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkplaats.instruments.formats.common import (
    FormatError,
    language_code,
    option_code,
)
from werkplaats.instruments.formats.fhir.names import (
    ITEM_CONTROL,
    TRANSLATION,
)
from werkplaats.stats import expressions
from werkplaats.stats.definition import Problem

# ---------------------------------------------------------------- reading


def _text_of(value: Any, extension: Any, language: str, languages: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(value, str) and value.strip():
        out[language] = value.strip()[:2000]
    for translation in (
        (extension or {}).get("extension", []) if isinstance(extension, dict) else []
    ):
        if not isinstance(translation, dict) or translation.get("url") != TRANSLATION:
            continue
        parts = {e.get("url"): e for e in translation.get("extension", []) if isinstance(e, dict)}
        lang = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if isinstance(lang, str) and isinstance(content, str) and content.strip():
            code = language_code(lang, language)
            out.setdefault(code, content.strip()[:2000])
    for lang in out:
        if lang not in languages:
            languages.append(lang)
    return out


def _extensions(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    ext = raw.get("extension")
    return [e for e in ext if isinstance(e, dict)] if isinstance(ext, list) else []


def _resources(resource: Any) -> list[dict[str, Any]]:
    if not isinstance(resource, dict):
        raise FormatError([Problem("", "the file must hold a FHIR resource (a JSON object)")])
    if resource.get("resourceType") == "Bundle":
        found = [
            e["resource"]
            for e in resource.get("entry") or []
            if isinstance(e, dict)
            and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "Questionnaire"
        ]
        if not found:
            raise FormatError([Problem("entry", "the Bundle holds no Questionnaire")])
        return found
    if resource.get("resourceType") != "Questionnaire":
        raise FormatError([Problem("resourceType", "must be Questionnaire (or a Bundle of them)")])
    return [resource]


def _control(raw: Mapping[str, Any]) -> str | None:
    for ext in _extensions(raw):
        if ext.get("url") == ITEM_CONTROL:
            for coding in (ext.get("valueCodeableConcept") or {}).get("coding") or []:
                if isinstance(coding, dict) and coding.get("code"):
                    return str(coding["code"])
    return None


def _concepts(value_set: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in ((value_set.get("expansion") or {}).get("contains")) or []:
        if isinstance(entry, dict) and entry.get("code") is not None:
            out.append(entry)
    if out:
        return out
    for include in ((value_set.get("compose") or {}).get("include")) or []:
        for concept in (include or {}).get("concept") or []:
            if isinstance(concept, dict) and concept.get("code") is not None:
                out.append({**concept, "system": include.get("system")})
    return out


def _condition_node(
    condition: Any, by_link: Mapping[str, str], items: Mapping[str, dict[str, Any]]
) -> expressions.Node:
    if not isinstance(condition, dict):
        raise expressions.ExpressionError("not an object")
    question = by_link.get(str(condition.get("question")))
    if not question:
        raise expressions.ExpressionError(
            f"question {condition.get('question')!r} is not an item of the form"
        )
    operator = condition.get("operator")
    answer_key = next((k for k in condition if k.startswith("answer")), None)
    if answer_key is None:
        raise expressions.ExpressionError("no answer[x]")
    answer = condition[answer_key]
    ref = expressions.ref(question)
    if operator == "exists":
        node = expressions.call("answered", ref)
        return node if answer is True else expressions.Node("not", None, (node,))
    if answer_key == "answerCoding":
        code = (answer or {}).get("code") if isinstance(answer, dict) else None
        if code is None:
            raise expressions.ExpressionError("answerCoding without a code")
        value: Any = option_code(str(code))
    elif answer_key == "answerBoolean":
        value = 1 if answer else 0
    elif answer_key in ("answerQuantity", "answerReference"):
        raise expressions.ExpressionError(f"{answer_key} is not translated")
    else:
        value = answer
    if operator in ("=", "!=") and items.get(question, {}).get("type") == "multiple":
        node = expressions.call("selected", ref, expressions.const(value))
        return node if operator == "=" else expressions.Node("not", None, (node,))
    if operator not in ("=", "!=", ">", "<", ">=", "<="):
        raise expressions.ExpressionError(f"operator {operator!r}")
    return expressions.compare(ref, operator, expressions.const(value))


def _scores_to_keys(item: dict[str, Any]) -> None:
    """Ordinal values equal to the codes say nothing; reversed ones are reverse keying."""
    options = item["options"]
    scores = [o.get("score") for o in options]
    if any(s is None for s in scores):
        return
    codes = [o["value"] for o in options]
    if all(isinstance(c, int) for c in codes):
        if all(float(c) == s for c, s in zip(codes, scores, strict=True)):
            for o in options:
                o.pop("score")
        elif all(min(codes) + max(codes) - c == s for c, s in zip(codes, scores, strict=True)):
            item["reverse"] = True
            for o in options:
                o.pop("score")
