"""HITL Desktop: an LLM agent researches a topic, a human reviews it, the agent writes the report."""

__version__ = "0.1.0"

APP_NAME = "HITL Desktop"
APP_ID = "hitl-desktop"
ORGANIZATION = "HITL Desktop"
ORGANIZATION_DOMAIN = "hitl-desktop.app"
