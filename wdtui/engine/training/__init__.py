"""Training: models, optimizers, regularizers, the trainers and the records they yield."""
