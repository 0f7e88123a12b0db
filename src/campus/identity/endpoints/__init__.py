"""Identity's HTTP endpoints. ``router`` gathers them all (``module.py`` plugs it in):
``/auth/*`` in ``auth``, ``/users/me/*`` in ``me``, ``/admin/users`` in ``admin`` and
``/instructors`` in ``instructors``,
``/organizations`` and ``/users/me/organizations`` in ``organizations``."""

from __future__ import annotations

from campus.identity.endpoints import admin, auth, instructors, me, organizations
from campus.kernel.http import api_router

router = api_router()
router.include_router(auth.router)
router.include_router(me.router)
router.include_router(organizations.me_router)
router.include_router(admin.router)
router.include_router(instructors.router)
router.include_router(organizations.router)
