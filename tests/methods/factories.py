"""Methods described through the library's own service, as a method owner would."""

from __future__ import annotations

from typing import Any

from werkplaats.methods.models import MethodVersion
from werkplaats.methods.services import MethodContent, method_create


def described_method(user: Any, *, name: str = "Sterk in de wijk", **fields: Any) -> MethodVersion:
    owners = fields.pop("owners", ())
    content = MethodContent(
        name=name,
        description=fields.pop("description", "Krachtgericht werken met het netwerk."),
        fidelity_items=fields.pop(
            "fidelity_items",
            ["Doel in eigen woorden besproken", "Netwerk betrokken", "Afspraak vastgelegd"],
        ),
        **fields,
    )
    return method_create(user=user, content=content, owners=owners)
