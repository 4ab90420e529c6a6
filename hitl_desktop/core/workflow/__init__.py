"""The research → review → report workflow (LlamaIndex Workflows; imports no Qt)."""
