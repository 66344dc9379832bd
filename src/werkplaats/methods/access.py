"""Who may read and change the methods library, and record fidelity.

- every staff role reads the library (methods are not personal data);
- researchers describe new methods and change every method; a professional who owns a
  method (``MethodOwner``, the 'method owner' permission) changes that method and may
  describe new ones;
- fidelity is case content: it is recorded by the trajectory's lead professional and read
  with the trajectory (``casework.access``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from werkplaats.casework.models import Method
from werkplaats.core.audit import log_access
from werkplaats.methods.models import MethodOwner
from werkplaats.partnership.access import require_role
from werkplaats.partnership.models import STAFF_ROLES, Role, User

READERS = STAFF_ROLES  # every staff role reads the library


def require_reader(user: User) -> None:
    require_role(user, *READERS)


def is_method_owner(user: User) -> bool:
    """A professional holding the 'method owner' permission for at least one method."""
    return user.has_role(Role.PROFESSIONAL) and MethodOwner.objects.filter(user=user).exists()


def can_create(user: User) -> bool:
    return user.has_role(Role.RESEARCHER) or is_method_owner(user)


def can_edit(user: User, method: Method) -> bool:
    if user.has_role(Role.RESEARCHER):
        return True
    return (
        user.has_role(Role.PROFESSIONAL)
        and MethodOwner.objects.filter(user=user, method=method).exists()
    )


def can_grant_ownership(user: User) -> bool:
    """Researchers name a method's owners (the professionals who develop it)."""
    return user.has_role(Role.RESEARCHER)


def require_creator(user: User) -> None:
    if not can_create(user):
        raise PermissionDenied


def access_method_by_id(user: User, method_id: int, *, write: bool = False) -> Method:
    """A method of the library, to read or (``write``) to change; changes are logged (a
    refusal is logged by the access-log middleware)."""
    require_reader(user)
    method = get_object_or_404(Method, pk=method_id)
    if write:
        if not can_edit(user, method):
            raise PermissionDenied
        log_access(user, "change", method, clients=[])
    return method
