"""An example third-party carrier plugin for Dinghuo (see README.md)."""
