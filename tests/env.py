"""Loaded by pytest before Django (``-p tests.env``): the suite runs with development
defaults (no TLS redirect, no manifest static storage) unless the caller says otherwise."""

import os

os.environ.setdefault("DEBUG", "1")
