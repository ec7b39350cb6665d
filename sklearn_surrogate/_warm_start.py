"""Warm start and ``partial_fit``: a freshly built net continues from a fitted one."""

import copy

import torch

__all__ = ["continue_from"]


def continue_from(net, previous, *, keep_optimizer):
    """Start ``net`` (initialised) from ``previous``'s weights, loss state and, optionally, optimizer state.

    Parameters
    ----------
    net : SurrogateNet
        The net just built and initialised for this fit.
    previous : SurrogateNet
        The fitted net to continue from.
    keep_optimizer : bool
        Whether the optimizer's state (moments, step counts) carries on too, as
        in ``partial_fit``; a warm-started ``fit`` starts the optimizer afresh.

    Raises
    ------
    ValueError
        When the network built now has another shape than the fitted one.
    """
    try:
        net.module_.load_state_dict(previous.module_.state_dict())
    except RuntimeError as exc:
        raise ValueError(
            "warm_start/partial_fit cannot continue from the fitted network: its shape differs from the one "
            f"these parameters build ({exc}). Fit afresh (warm_start=False)."
        ) from None
    # the loss's learned parameters (AUC-M's a, b, alpha); per-sample buffers (ALDR-KL's temperatures)
    # belong to the rows they were learned on and start afresh, as setup() left them
    previous_params = dict(previous.criterion_.named_parameters())
    with torch.no_grad():
        for name, param in net.criterion_.named_parameters():
            if name in previous_params and previous_params[name].shape == param.shape:
                param.copy_(previous_params[name])
    if keep_optimizer and type(previous.optimizer_) is type(net.optimizer_):
        # the moments and step counts carry on; lr, weight_decay... are the estimator's current ones
        settings = [{k: v for k, v in group.items() if k != "params"} for group in net.optimizer_.param_groups]
        try:
            # a copy: torch's load_state_dict keeps the very tensors it is given when dtype and device match,
            # so the new optimizer's steps would move the fitted net's moments too (and a failed
            # partial_fit, which leaves the estimator as it was, would leave them moved)
            net.optimizer_.load_state_dict(copy.deepcopy(previous.optimizer_.state_dict()))
        except (ValueError, KeyError, RuntimeError):  # other learnable parameters: start the optimizer afresh
            return
        for group, kept in zip(net.optimizer_.param_groups, settings):
            group.update(kept)
