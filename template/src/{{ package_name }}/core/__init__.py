"""The platform: settings, logging, errors, the request pipeline and its stages.

The template owns this package and `copier update` rewrites it; the team's own code lives
beside it (``routes.py``) and in ``config/``.
"""
