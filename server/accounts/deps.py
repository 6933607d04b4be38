"""Who is calling, as dependencies: a handler declares ``identity: CurrentIdentity``,
``user: CurrentUser``, ``principal: CurrentPrincipal`` (signed in, else 401 or the
sign-in page) or ``maybe_identity: MaybeIdentity`` (pages that also serve the signed-out).

Each reads :func:`server.accounts.auth.identify`, which asks the database once per
request; the route's guard has usually asked already.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from litestar import Request
from litestar.di import NamedDependency, Provide

from server.accounts.auth import Identity, identify, require_identity
from server.accounts.guard import Principal
from server.accounts.models import User

AnyRequest = Request[Any, Any, Any]

CurrentIdentity: TypeAlias = NamedDependency[Identity]
MaybeIdentity: TypeAlias = NamedDependency[Identity | None]
CurrentUser: TypeAlias = NamedDependency[User]
CurrentPrincipal: TypeAlias = NamedDependency[Principal]


async def provide_identity(request: AnyRequest) -> Identity:
    return await require_identity(request)


async def provide_maybe_identity(request: AnyRequest) -> Identity | None:
    return await identify(request)


async def provide_user(request: AnyRequest) -> User:
    return (await require_identity(request)).user


async def provide_principal(request: AnyRequest) -> Principal:
    return (await require_identity(request)).principal


#: merged into the app's dependencies by create_app
DEPENDENCIES: dict[str, Provide] = {
    "identity": Provide(provide_identity),
    "maybe_identity": Provide(provide_maybe_identity),
    "user": Provide(provide_user),
    "principal": Provide(provide_principal),
}
