"""Build-only helpers used by build.spec: never shipped to users."""
