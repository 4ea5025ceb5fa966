"""Trained to convergence, a weight-decayed linear model is the closed-form solution.

Mapping λ to scikit-learn's α (n training points, intercept not penalized in both):
  ridge: mse  (1/n)‖r‖² + λ/2‖w‖²   ⇔  ‖r‖² + α‖w‖²           with α = nλ/2   (half_mse: α = nλ)
  lasso: mse  (1/n)‖r‖² + λ‖w‖₁     ⇔  (1/2n)‖r‖² + α‖w‖₁      with α = λ/2    (half_mse: α = λ)
"""

import numpy as np
import pytest
from conftest import experiment, trained
from sklearn.linear_model import Lasso, Ridge

LAM = 0.5


def _linear(trainer):
    layer = trainer.model[0]
    return layer.weight.detach().numpy().ravel(), float(layer.bias.detach())


@pytest.mark.parametrize("loss,alpha_per_n", [("mse", LAM / 2), ("half_mse", LAM)])
@pytest.mark.parametrize("regularizer", ["l2", "coupled"])
def test_weight_decay_converges_to_sklearn_ridge(loss, alpha_per_n, regularizer):
    exp = experiment("sparse", n_train=100, dtype="float64", optimizer="sgd", lr=0.05,
                     momentum=0.9, epochs=700, loss=loss)
    x, y = exp.data.x_train.numpy(), exp.data.y_train.numpy().ravel()
    ridge = Ridge(alpha=len(y) * alpha_per_n, solver="cholesky").fit(x, y)
    w, b = _linear(trained(exp, regularizer, LAM))
    assert np.abs(w - ridge.coef_).max() <= 1e-6 * np.abs(ridge.coef_).max()
    assert abs(b - ridge.intercept_) <= 1e-6


@pytest.mark.parametrize("loss,alpha", [("mse", LAM / 2), ("half_mse", LAM)])
def test_l1_converges_to_sklearn_lasso_with_the_same_zeros(loss, alpha):
    exp = experiment("sparse", n_train=100, dtype="float64")
    x, y = exp.data.x_train.numpy(), exp.data.y_train.numpy().ravel()
    lipschitz = np.linalg.eigvalsh(x.T @ x / len(y)).max() * (2 if loss == "mse" else 1)
    # plain SGD at step 1/L with the proximal step is ISTA, which converges for this step size
    exp = experiment("sparse", n_train=100, dtype="float64", optimizer="sgd", lr=1 / lipschitz,
                     epochs=1500, loss=loss)
    lasso = Lasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(x, y)
    w, b = _linear(trained(exp, "l1", LAM))
    assert np.abs(w - lasso.coef_).max() <= 1e-6 * np.abs(lasso.coef_).max()
    assert abs(b - lasso.intercept_) <= 1e-6
    assert np.array_equal(w == 0, lasso.coef_ == 0)
    assert 0 < (w == 0).sum() < len(w)  # a real sparsity pattern, not all or nothing
