"""Built-in carrier plugins: ``manual`` and ``flat_rate``.

Each is a module written against the public ``dinghuo.plugins`` API only, and
loaded through the same path as a third-party carrier (``DEFAULT_PLUGINS``).
A tenant enables the ones it uses; their quotes become checkout's delivery
options ``manual:standard`` and ``flat_rate:standard``.
"""
