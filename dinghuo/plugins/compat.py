"""The plugin API version and the rule deciding which plugins may load.

``PLUGIN_API_VERSION`` is ``MAJOR.MINOR``. A minor release only adds (a hook,
an optional hook argument, a data-class field with a default), so a plugin
written against 1.0 keeps working on 1.3. A major release may remove or change
something. A plugin declares the range it supports as a PEP 440 specifier,
usually ``">=1.0,<2"``; the host refuses to load a plugin whose range does not
contain the host's version.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

PLUGIN_API_VERSION = "1.1"


class IncompatiblePlugin(Exception):
    """The plugin's declared API range excludes this host, or cannot be read."""


def check_api_compatible(api_versions: str) -> None:
    """Raise :class:`IncompatiblePlugin` with a message an operator can act on."""
    try:
        spec = SpecifierSet(api_versions)
    except InvalidSpecifier as exc:
        raise IncompatiblePlugin(
            f'api_versions={api_versions!r} is not a version range (write e.g. ">=1.0,<2")'
        ) from exc
    if not str(spec):
        raise IncompatiblePlugin('it declares no API version range (write e.g. ">=1.0,<2")')
    if not spec.contains(Version(PLUGIN_API_VERSION), prereleases=True):
        raise IncompatiblePlugin(
            f"it supports plugin API {api_versions}, but this Dinghuo "
            f"provides plugin API {PLUGIN_API_VERSION}; upgrade the plugin or Dinghuo"
        )


def is_api_compatible(api_versions: str) -> bool:
    try:
        check_api_compatible(api_versions)
    except IncompatiblePlugin:
        return False
    return True
