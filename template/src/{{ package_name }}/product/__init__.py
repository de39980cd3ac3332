"""The team's own code: routes and extensions. `copier update` never rewrites this package."""
