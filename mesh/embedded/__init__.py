"""Embedded servers for development and tests; `mesh.infra` is the public face."""
