"""What credentials plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from campus.credentials import demo, tasks
from campus.credentials.data import PERMISSIONS
from campus.credentials.endpoints import page_router, router
from campus.credentials.endpoints.templates import UPLOAD_PATHS
from campus.credentials.settings import CredentialsSettings
from campus.kernel.module import ContextModule

MODULE = ContextModule(
    name="credentials",
    routers=(router,),
    root_routers=(page_router,),
    openapi_tags=(
        {
            "name": "certificates",
            "description": "Certificates: a learner's own, a course's for its staff, approvals, "
            "revocation, reissue and the Open Badges 3.0 credential",
        },
        {"name": "certificate templates", "description": "Certificate templates and previews"},
        {
            "name": "verification",
            "description": "Public verification of certificates, the issuer's key and the "
            "revocation status list",
        },
    ),
    settings=CredentialsSettings,
    permissions=PERMISSIONS,
    register=tasks.register,
    demo=demo.seed_step,
    upload_paths=(UPLOAD_PATHS,),
)
