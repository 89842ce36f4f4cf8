"""Differentiable ops: each one a forward on arrays and a backward on Tensors, side by side.

See README.md in this folder for the checklist when adding an op.
"""
