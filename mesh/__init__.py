"""chatmesh's shared runtime: the one package every service imports.

Import what you need from its modules (``mesh.server``, ``mesh.errors``, ``mesh.authz``, …);
the package itself exports nothing, so ``import mesh`` stays cheap for the launcher and CLI.
"""
