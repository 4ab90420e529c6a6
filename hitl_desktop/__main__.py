"""`python -m hitl_desktop` starts the desktop app."""

import sys

from hitl_desktop.ui.app import main

sys.exit(main())
