"""Prune Lab's engine: offline MNIST, LeNet-300-100, masked magnitude pruning, retraining and analysis.

The dashboard (``app.py``/``views/``) and the CLI (``python -m pruning_core``) are thin faces over the
modules here; nothing in this package imports streamlit.
"""
