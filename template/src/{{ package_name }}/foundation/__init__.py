"""The foundation under every capability: settings, errors, config files, database."""
