"""ASGI entry point for servers started with an import string (``uvicorn api.asgi:app``)."""

from api.main import create_app

app = create_app()
