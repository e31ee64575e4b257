"""Settings for the test suite: production settings (DEBUG off) with a throwaway key, static files from
the finders, and plain-HTTP cookies for the test client. Environment variables still win."""

import os

os.environ.setdefault("OURPLAN_SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("OURPLAN_MANIFEST_STATIC", "0")
os.environ.setdefault("OURPLAN_SSL_REDIRECT", "0")
os.environ.setdefault("OURPLAN_SECURE_COOKIES", "0")
os.environ.setdefault("OURPLAN_REQUIRE_STAFF_MFA", "0")
os.environ.setdefault("OURPLAN_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("OURPLAN_LOG_LEVEL", "ERROR")

from ourplan.settings import *  # noqa: F403

# Hashing passwords at full strength makes the suite slow and proves nothing about Ourplan.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True

# Jobs run at once in tests unless a test enqueues into the database backend on purpose.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}
OURPLAN_MESSAGE_BACKEND = "file"
