"""The adapters (ASGI, WSGI, Django, FastAPI, Falcon) tested through their frameworks and real servers."""
