"""The models: a plain MLP and the tutorial's CNN, each an ``nn.Sequential`` (so state dicts read
like the demos'), and the rule that decides which parameters weight decay acts on."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..config import Config, ConfigError

ACTIVATIONS: dict[str, type[nn.Module] | None] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
    "identity": None,  # no layer at all, as the LayerNorm demo has none
}


def build_model(cfg: Config, input_shape: tuple[int, ...], n_outputs: int = 1) -> nn.Sequential:
    """The config's model for inputs of ``input_shape`` (one example) and ``n_outputs`` outputs
    (1 for regression, the number of classes for classification). Raises ConfigError when the
    inputs don't fit the model (a CNN needs images)."""
    model = _cnn(cfg, input_shape, n_outputs) if cfg.model == "cnn" else _mlp(cfg, input_shape, n_outputs)
    if cfg.init == "normal":
        _init_normal(model)
    elif cfg.init == "zero":
        _init_zero(model)
    return model


def _mlp(cfg: Config, input_shape: tuple[int, ...], n_outputs: int) -> nn.Sequential:
    """``depth`` hidden blocks of ``width`` units, each Linear [→ LayerNorm] [→ activation]
    [→ Dropout], then a Linear to the output. ``depth`` 0 is a linear model; images are flattened.

    sine: Linear(1,64) → Tanh → Linear(64,1).  quadratic: 4 × (Linear → LayerNorm) → Linear(20,1).
    """
    layers: list[nn.Module] = [nn.Flatten()] if len(input_shape) > 1 else []
    fan_in = 1
    for size in input_shape:
        fan_in *= size
    activation = ACTIVATIONS[cfg.activation]
    for _ in range(cfg.depth):
        layers.append(nn.Linear(fan_in, cfg.width))
        if cfg.norm == "layernorm":
            layers.append(nn.LayerNorm(cfg.width))
        if activation is not None:
            layers.append(activation())
        if cfg.dropout > 0:
            layers.append(Dropout(cfg.dropout))
        fan_in = cfg.width
    layers.append(nn.Linear(fan_in, n_outputs))
    return nn.Sequential(*layers)


def _cnn(cfg: Config, input_shape: tuple[int, ...], n_outputs: int) -> nn.Sequential:
    """The CIFAR-10 tutorial's network, generalized: per entry of ``channels`` a block
    Conv2d(k = ``kernel``, padding k//2, so the size is kept) [→ activation] → MaxPool2d(2); then
    Flatten [→ Dropout] → Linear(·, ``width``) [→ activation] [→ Dropout] → Linear(``width``, out).

    cifar10 (activation identity, as the tutorial has none): Conv 3→32 k5 p2, MaxPool 2,
    Conv 32→32 k5 p2, MaxPool 2, Conv 32→64 k5 p2, MaxPool 2, Flatten, Linear 1024→64, Linear 64→10.
    """
    if len(input_shape) != 3:
        shape = "(N, " + ", ".join(map(str, input_shape)) + ")"
        raise ConfigError("model", f"a CNN needs images, x of shape (N, H, W) or (N, C, H, W); "
                          f"the data has x of shape {shape} (use --model mlp)")
    channels, height, width = input_shape
    pools = len(cfg.channels)
    if height >> pools < 1 or width >> pools < 1:
        raise ConfigError("channels", f"{pools} conv blocks halve {height}×{width} images {pools} times, "
                          f"to nothing; use at most {min(height, width).bit_length() - 1} blocks")
    activation = ACTIVATIONS[cfg.activation]
    layers: list[nn.Module] = []
    for out in cfg.channels:
        layers.append(nn.Conv2d(channels, out, cfg.kernel, padding=cfg.kernel // 2))
        if activation is not None:
            layers.append(activation())
        layers.append(nn.MaxPool2d(2))
        channels, height, width = out, height // 2, width // 2
    layers.append(nn.Flatten())
    if cfg.dropout > 0:
        layers.append(Dropout(cfg.dropout))
    layers.append(nn.Linear(channels * height * width, cfg.width))
    if activation is not None:
        layers.append(activation())
    if cfg.dropout > 0:
        layers.append(Dropout(cfg.dropout))
    layers.append(nn.Linear(cfg.width, n_outputs))
    return nn.Sequential(*layers)


# Layers whose forward is one torch function of the input (exactly what the module's forward calls).
_FUNCTIONS = {nn.Tanh: torch.tanh, nn.ReLU: torch.relu, nn.Sigmoid: torch.sigmoid}


def layer_function(layer: nn.Module):
    """The torch function a Tanh/ReLU/Sigmoid layer's forward is (called without
    ``nn.Module.__call__``, see :func:`forward_function`), else the layer itself."""
    return _FUNCTIONS.get(type(layer), layer)


def pooled_first(layers: list[nn.Module]) -> set[int]:
    """The indices of the ReLU layers directly followed by a MaxPool2d, which a forward pass may
    apply after the pool (a quarter of the ReLU's work for 2×2 pools). max commutes with the
    non-decreasing ReLU, so the values are the same; so are the gradients: where the window's
    max m > 0 both orders send the gradient to the first position holding m, where m ≤ 0 both
    send 0."""
    return {i for i, (layer, after) in enumerate(zip(layers, layers[1:]))
            if type(layer) is nn.ReLU and isinstance(after, nn.MaxPool2d)}


def channels_last(h: torch.Tensor) -> torch.Tensor:
    """Images (N, C, H, W) in the channels-last memory layout (the same tensor, its values stored
    pixel by pixel, channels innermost), others as they are. Convolutions keep the layout of their
    input, and on the CPU max-pooling in it ran 25 times faster than in the planar layout on the
    16 digits CNNs' 256 channels of 8×8 (the planar kernel goes plane by plane). Measured on those
    16 CNNs (CPU time, one thread): evaluating 1,797 images 3–4× faster, a training step 1.7×
    faster together with pooling before the ReLU (:func:`pooled_first`); on one digits CNN
    (:func:`forward_function`) evaluating them 2.5–4× faster, a training step 1.2–1.5×. One
    channel (the digits' images) is stored the same either way, but PyTorch reads such a tensor
    as planar: its strides are set to say channels-last."""
    if h.dim() != 4:
        return h
    if h.shape[1] == 1:
        h = h.contiguous()
        return h.as_strided(h.shape, (h.shape[2] * h.shape[3], 1, h.shape[3], 1))
    return h.contiguous(memory_format=torch.channels_last)


def forward_function(model: nn.Module):
    """``model``'s forward pass without ``nn.Module.__call__`` (hook and tracing checks, ~2 µs per
    layer, a tenth of a sine epoch): for a Sequential, Linear layers become ``F.linear`` on the
    layer's own parameter tensors (updated in place by the optimizers, so they stay current) and
    Tanh/ReLU/Sigmoid their torch function — the same operations in the same order as
    ``model(x)``, so the same numbers. Convolutions (zero padding) become ``F.conv2d`` on images
    in the channels-last layout (:func:`channels_last`: 2.5–4× faster to evaluate the digits
    CNN on the CPU), and a ReLU followed by a MaxPool2d is applied after the pool
    (:func:`pooled_first`): the same function, the same numbers up to float rounding (oneDNN sums
    in another order in that layout). Any other layer (dropout, LayerNorm, pooling…) is called
    as a module, so its mode (train/eval) and settings (dropout p) apply."""
    if not isinstance(model, nn.Sequential):
        return model
    layers = list(model)
    first = pooled_first(layers)
    steps = []
    for i, layer in enumerate(layers):
        if i - 1 in first:
            continue  # the pool, applied before the ReLU above it
        if type(layer) is nn.Linear:
            steps.append(lambda h, w=layer.weight, b=layer.bias: F.linear(h, w, b))
        elif type(layer) is nn.Conv2d and layer.padding_mode == "zeros":
            steps.append(lambda h, c=layer: F.conv2d(channels_last(h), c.weight, c.bias, c.stride, c.padding,
                                                     c.dilation, c.groups))
        elif i in first:
            steps.append(lambda h, pool=layers[i + 1]: torch.relu(pool(h)))
        else:
            steps.append(layer_function(layer))

    def forward(x: torch.Tensor) -> torch.Tensor:
        for step in steps:
            x = step(x)
        return x

    return forward


DROPOUT_STREAM = 1 << 32  # a run's masks: a generator seeded seed + 2³², apart from its shuffling's (seed)


def dropout_generator(seed: int, device: torch.device) -> torch.Generator:
    """The generator a run with this seed draws its dropout masks from: its own stream, so a
    run's masks depend on nothing else (not on torch's global generator, nor on other runs)."""
    return torch.Generator(device=device).manual_seed(DROPOUT_STREAM + seed)


def dropout_scale(uniform: torch.Tensor, p: float | torch.Tensor) -> torch.Tensor:
    """Inverted dropout's factor per entry from uniforms u ~ U[0, 1): 1/(1 − p) where u ≥ p (kept,
    probability 1 − p), else 0; so E[x·factor] = x. ``p`` may be a tensor broadcast over ``u`` (one
    p per copy of a batched model); p = 0 keeps every entry with factor 1 exactly."""
    return (uniform >= p).to(uniform.dtype) / (1 - p)


class Dropout(nn.Dropout):
    """``nn.Dropout`` whose masks come from ``generator`` (set by the trainer, see
    :func:`dropout_generator`; None: torch's global generator): in training, ``x·dropout_scale(u, p)``
    with u = ``torch.rand(x.shape, generator)``, one draw per layer per step in the model's
    order; in evaluation, or at p = 0, ``x`` itself and nothing is drawn. A batched copy that
    draws from a generator with the same seed gets the same masks (``batched.BatchedModel``)."""

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        return x * dropout_scale(torch.rand(x.shape, generator=self.generator, dtype=x.dtype, device=x.device), self.p)


def no_dropout_layers(config_p: float) -> ConfigError:
    """The refusal of a dropout p > 0 for a model built without dropout layers."""
    return ConfigError("dropout", f"this model has no dropout layers (dropout {config_p:g}); "
                       "give the config a dropout p > 0 to build them")


def set_dropout(model: nn.Module, p: float, generator: torch.Generator | None = None) -> bool:
    """Set every Dropout layer's p (and the generator its masks come from); False if the model
    has none."""
    layers = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    for layer in layers:
        layer.p = p
        if isinstance(layer, Dropout):
            layer.generator = generator
    return bool(layers)


def _init_normal(model: nn.Module) -> None:
    """d2l's initialisation: weights ~ N(0, 1), biases 0."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                module.weight.normal_(0.0, 1.0)
                module.bias.zero_()


def _init_zero(model: nn.Module) -> None:
    """Every parameter 0 (LayerNorm's scale too is left at 1). For a linear model (d2l) this is
    the start from which gradient descent stays in the row space of the training inputs; in a
    hidden layer every unit would get the same gradient and stay equal to the others."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                module.weight.zero_()
                module.bias.zero_()


def scale_invariant(model: nn.Module) -> list[str]:
    """The weight tensors whose scale the model's function ignores: a Linear (or Conv2d) directly
    followed by a LayerNorm. For c > 0, LN(c·(W·x + b)) = LN(W·x + b) up to LayerNorm's ε, so
    scaling W and b together changes nothing the model computes. Weight decay cannot make such a
    layer "simpler"; shrinking it only makes the next gradient steps turn it by a larger angle
    (a larger effective learning rate; van Laarhoven 2017, Zhang et al. 2019). Names as in
    ``named_parameters`` (``0.weight``); each layer's bias (``0.bias``) scales with it."""
    if not isinstance(model, nn.Sequential):
        return []
    layers = list(model.named_children())
    return [f"{name}.weight" for (name, layer), (_, after) in zip(layers, layers[1:])
            if isinstance(layer, (nn.Linear, nn.Conv2d)) and isinstance(after, nn.LayerNorm)]


def layer_names(model: nn.Module) -> dict[str, str]:
    """A reader's name for each weight matrix and conv kernel (the tensors with ``dim() >= 2``),
    keyed by its ``named_parameters`` name: convolutions ``conv 1 (Conv 3→32, 5×5)`` …, hidden
    linear layers ``hidden 1 (Linear 1→64)`` … (inputs → outputs, as a network is read; PyTorch
    stores the weight as out×in, which read "64×1" as 64 inputs), and the last linear layer
    ``output (Linear 64→1)`` (a linear model's only layer too)."""
    weights = [(name, p) for name, p in model.named_parameters() if p.dim() >= 2]
    names: dict[str, str] = {}
    counts = {"conv": 0, "hidden": 0}
    for i, (name, weight) in enumerate(weights):
        out, into = weight.shape[:2]
        if weight.dim() > 2:
            counts["conv"] += 1
            names[name] = f"conv {counts['conv']} (Conv {into}→{out}, {'×'.join(map(str, weight.shape[2:]))})"
        elif i == len(weights) - 1:
            names[name] = f"output (Linear {into}→{out})"
        else:
            counts["hidden"] += 1
            names[name] = f"hidden {counts['hidden']} (Linear {into}→{out})"
    return names


def split_decay(model: nn.Module, decay_all: bool) -> tuple[list[str], list[str]]:
    """Which parameters weight decay acts on: tensors with ``dim() >= 2`` (the weights of linear
    and conv layers) are decayed; biases and normalization parameters (1-D) are not, unless
    ``decay_all`` (what ``Adam(model.parameters(), weight_decay=...)`` does). Returns the names of
    the decayed and the other parameters, in the model's order.
    """
    decayed, others = [], []
    for name, param in model.named_parameters():
        (decayed if decay_all or param.dim() >= 2 else others).append(name)
    return decayed, others
