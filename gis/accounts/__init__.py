"""Accounts: users and roles, passwords, sign-in tokens, API keys (see also ``gis.audit``)."""

from gis.accounts.models import API_KEY_ROLES, ROLES, ApiKey, RefreshToken, User

__all__ = ["API_KEY_ROLES", "ROLES", "ApiKey", "RefreshToken", "User"]
