"""The UI's pages, one module per part of the site; each registers on :data:`bp`."""
