"""The ordering domain. Every table here is tenant-scoped."""
