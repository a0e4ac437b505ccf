#!/usr/bin/python3
"""Writes PyTorch golden files for the cell package's TestPyTorchGolden.

For nn.RNN (tanh, relu), nn.GRU and nn.LSTM with H=7, I=5 it draws fixed small random
float32 weights, runs a sequence of T=6 inputs from a non-zero h0 (and c0), and records
the outputs and the gradient of L = sum_t 0.5*||h_t - y_t||^2 with respect to every
parameter, h0 and c0. The forward and backward passes run in float64 on the float32
values, so the files hold the exact answer for the stored inputs.

Run from this directory: /usr/bin/python3 gen_golden.py  (needs torch; CI does not).
"""
import json

import torch

H, I, T = 7, 5, 6
KINDS = {
    "rnn_tanh": lambda: torch.nn.RNN(I, H, nonlinearity="tanh"),
    "rnn_relu": lambda: torch.nn.RNN(I, H, nonlinearity="relu"),
    "gru": lambda: torch.nn.GRU(I, H),
    "lstm": lambda: torch.nn.LSTM(I, H),
}
NAMES = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    for seed, (kind, make) in enumerate(KINDS.items()):
        torch.manual_seed(1000 + seed)
        model = make()
        with torch.no_grad():
            for p in model.parameters():
                # 1.5x PyTorch's default range, rounded to float32: gates saturate
                # unevenly, so every derivative term matters.
                p.mul_(1.5)
                p.copy_(p.float())
        model = model.double()
        x = torch.randn(T, 1, I).float().double()
        y = torch.randn(T, 1, H).float().double()
        h0 = torch.randn(1, 1, H).float().double().requires_grad_()
        c0 = torch.randn(1, 1, H).float().double().requires_grad_()
        if kind == "lstm":
            out, (hn, cn) = model(x, (h0, c0))
        else:
            out, hn = model(x, h0)
        loss = 0.5 * ((out - y) ** 2).sum()
        loss.backward()
        golden = {
            "kind": kind,
            "hidden": H,
            "input": I,
            "steps": T,
            "params": {n: flat(getattr(model, n)) for n in NAMES},
            "inputs": flat(x),
            "targets": flat(y),
            "h0": flat(h0),
            "outputs": flat(out),
            "loss": float(loss),
            "grad": {n: flat(getattr(model, n).grad) for n in NAMES},
            "grad_h0": flat(h0.grad),
        }
        if kind == "lstm":
            golden["c0"] = flat(c0)
            golden["c_n"] = flat(cn)
            golden["grad_c0"] = flat(c0.grad)
        golden["torch_version"] = torch.__version__
        with open(f"golden_{kind}.json", "w") as f:
            json.dump(golden, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
