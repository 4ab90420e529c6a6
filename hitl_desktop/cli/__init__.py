"""Command-line entry points that do their job and exit without opening the window."""
