"""The Qt-free core: the run's rules, the workflow, providers, settings, export. No Qt here."""
