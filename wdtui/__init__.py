"""wdtui: explore weight decay (L2 regularization) by training small neural networks live."""

__version__ = "0.1.0"
