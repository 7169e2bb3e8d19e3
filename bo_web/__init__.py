"""Streamlit glue: context cache, sign-in, page guard, formatting. No business rules."""
