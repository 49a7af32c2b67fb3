"""Model: figures from a Dataset's tables; no I/O, no Streamlit."""
