"""Who may POST to Open311: API keys.

Uses the account API keys (``gis.accounts.apikeys.verify_api_key``) when that module is
present. INTERIM, until it is: keys listed in ``GRIDMAP_OPEN311_API_KEYS`` (comma-separated
plain keys or ``sha256:<hex>`` digests of keys). Remove the interim branch once account
keys are everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
from typing import Any

from sqlalchemy.orm import Session

from gis.cases.settings import get_case_settings
from gis.errors import Forbidden


def _accounts_verify() -> Any:
    try:
        return importlib.import_module("gis.accounts.apikeys").verify_api_key
    except (ImportError, AttributeError):
        return None


def _interim_match(key: str) -> str | None:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    for i, item in enumerate(x.strip() for x in get_case_settings().open311_api_keys.split(",")):
        if not item:
            continue
        if item.startswith("sha256:"):
            if hmac.compare_digest(item[7:].lower(), digest):
                return f"env-key-{i + 1}"
        elif hmac.compare_digest(item.encode(), key.encode("utf-8", "surrogatepass")):
            return f"env-key-{i + 1}"
    return None


def check_api_key(*, session: Session, key: str | None) -> str:
    """The name of the key that ``key`` is, or :class:`Forbidden`.

    Raises
    ------
    Forbidden
        Missing, unknown or revoked key.
    """
    if not key:
        raise Forbidden("缺少 api_key (api_key is required)", field="api_key")
    verify = _accounts_verify()
    if verify is not None:
        row = verify(session=session, key=key)
        if row is None:
            raise Forbidden("api_key 无效或已吊销 (invalid or revoked api_key)", field="api_key")
        return str(getattr(row, "name", "api-key"))
    name = _interim_match(key)  # INTERIM: environment keys until account keys exist
    if name is None:
        raise Forbidden("api_key 无效 (invalid api_key)", field="api_key")
    return name
