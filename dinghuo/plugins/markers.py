"""The pluggy markers of the ``dinghuo`` project name.

Kept in a module of their own, free of any other import, so a plugin importing
``hookimpl`` pulls in nothing of the platform.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "dinghuo"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
