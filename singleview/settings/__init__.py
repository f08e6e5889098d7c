"""Settings: base.py defines everything; local, test and production only override."""
