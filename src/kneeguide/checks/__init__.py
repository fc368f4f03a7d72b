"""The checks ``kneeguide validate`` runs, one module per family, each problem with a stable code.

``checks.core`` runs them in order; docs/diagnostics.md documents every code.
"""
