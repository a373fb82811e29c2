"""The service: web pages and an HTTP API over the same library calls as the CLI.

FastAPI on uvicorn; see :func:`pexmail.service.app.create_app`.
"""
