"""Streamlit glue: session state, caching and shared widgets. Pages import from here and from lib."""
