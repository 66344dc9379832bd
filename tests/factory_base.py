"""The base of the test suite's factories: calling one returns the model it builds.

factory_boy's factories are generic in the model (``DjangoModelFactory[Client]``), so
``ClientFactory.create()`` is typed ``Client``; but calling the class, as the tests do,
goes through factory_boy's metaclass, which the type checker does not follow, and would be
typed as the factory. ``ModelFactory.__new__`` says what the call really returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model
from factory.django import DjangoModelFactory

M = TypeVar("M", bound=Model)


class ModelFactory(DjangoModelFactory[M]):
    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # The metaclass turns ``Factory(**fields)`` into ``Factory.create(**fields)``.
        def __new__(cls, *args: Any, **kwargs: Any) -> M: ...  # type: ignore[misc]
