"""Copier migrations: small scripts ``copier update`` runs when it crosses a release.

copier.yml's ``_migrations`` runs each file here as a script with the interpreter copier runs on
(``{{ _copier_python }}``), in the generated project, so they use the standard library only.
Each one is safe to run twice, never deletes the team's data and prints what it did.
"""
