"""Widgets: they show state and take input. They import no LlamaIndex and reach the workflow only
through the bridge (hitl_desktop.ui.bridge)."""
