"""Sweeps: many λ (and lr × λ) trained at once, λ chosen on a validation set, the ridge path."""
