"""Write wdtui/data/digits.npz (package data) once from scikit-learn's copy of the UCI "optdigits" 8×8 digits.

Source: E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine Learning
Repository (CC BY 4.0), https://doi.org/10.24432/C50P49 — as shipped in scikit-learn
(``sklearn.datasets.load_digits``: 1,797 images, pixel values 0…16). wdtui reads the written file
at run time and never downloads anything.

    python assets/make_digits.py        # needs scikit-learn; writes wdtui/data/digits.npz
"""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

digits = load_digits()
images = digits.images.astype(np.uint8)  # (1797, 8, 8), values 0…16
labels = digits.target.astype(np.uint8)  # (1797,), 0…9
target = Path(__file__).resolve().parents[1] / "wdtui" / "data" / "digits.npz"
np.savez_compressed(target, images=images, labels=labels)
print(f"{target}: {images.shape[0]} images {images.shape[1]}×{images.shape[2]}, "
      f"{target.stat().st_size} bytes")
