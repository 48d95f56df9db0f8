"""Apps the tests serve for real (uvicorn, wsgiref, Django's runners): module paths like "tests.apps.ops_app:app"."""
