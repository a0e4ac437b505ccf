#!/usr/bin/python3
"""Writes PyTorch golden files for the cell package's TestOrthogonalPyTorchGolden.

The orthogonal cell as expRNN defines it, written here in torch (float64, autograd):

    A   = (M - M^T)/2                      M = weight_hh_l0
    W   = matrix_exp(A)                    (golden_orthogonal_exp.json)
    W   = solve(I + A, I - A)              (golden_orthogonal_cayley.json)
    z_t = W_ih x_t + b_ih + W h_{t-1}
    h_t = sign(z_t) * relu(|z_t| + b)      b = bias_hh_l0 (expRNN's modrelu)

For H=7, I=5 it draws fixed float32 weights (M is not skew-symmetric: only its skew part
enters, and the gradient with respect to M is what the cell's ParamGrad returns), runs
T=6 steps from a non-zero h0 and records the outputs and the gradient of
L = sum_t 0.5*||h_t - y_t||^2 with respect to every parameter and h0. The "kink" record
is a step whose pre-activations sit exactly on modReLU's kinks (z = 0, |z| + b = 0) and
near them, with autograd's derivatives there: d h/d z (the gradient of b_ih) and
d h/d b (the gradient of bias_hh_l0) of L = sum_u h_u.

Run from this directory: /usr/bin/python3 gen_orthogonal_golden.py  (needs torch).
"""
import json

import torch

H, I, T = 7, 5, 6
NAMES = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def modrelu(z, b):
    return torch.sign(z) * torch.relu(torch.abs(z) + b)


def recurrent(m, cayley):
    a = (m - m.t()) / 2
    eye = torch.eye(m.shape[0], dtype=m.dtype)
    if cayley:
        return torch.linalg.solve(eye + a, eye - a)
    return torch.matrix_exp(a)


def run(params, x, h0, cayley):
    w = recurrent(params["weight_hh_l0"], cayley)
    h, out = h0, []
    for t in range(x.shape[0]):
        z = params["weight_ih_l0"] @ x[t] + params["bias_ih_l0"] + w @ h
        h = modrelu(z, params["bias_hh_l0"])
        out.append(h)
    return torch.stack(out)


def main():
    for seed, mp in enumerate(["exp", "cayley"]):
        torch.manual_seed(2000 + seed)
        shapes = {"weight_ih_l0": (H, I), "weight_hh_l0": (H, H), "bias_ih_l0": (H,), "bias_hh_l0": (H,)}
        params = {}
        for n in NAMES:
            v = torch.randn(*shapes[n]) * 0.6
            if n == "bias_hh_l0":
                v = torch.rand(*shapes[n]) * 0.6 - 0.2  # modReLU biases, mostly positive
            params[n] = v.float().double().requires_grad_()
        x = torch.randn(T, I).float().double()
        y = torch.randn(T, H).float().double()
        h0 = torch.randn(H).float().double().requires_grad_()
        out = run(params, x, h0, mp == "cayley")
        loss = 0.5 * ((out - y) ** 2).sum()
        loss.backward()

        # The kink record: W = I (M = 0), h0 = 0, x = 0, so z = b_ih exactly.
        zk = [0.0, 0.0, 0.25, -0.25, 1e-3, -1e-3, 0.3, 0.2]
        bk = [0.5, -0.1, -0.25, -0.25, 0.5, 0.5, -0.25, -0.25]
        kp = {
            "weight_ih_l0": torch.zeros(len(zk), 1, dtype=torch.float64, requires_grad=True),
            "weight_hh_l0": torch.zeros(len(zk), len(zk), dtype=torch.float64, requires_grad=True),
            "bias_ih_l0": torch.tensor(zk, dtype=torch.float64, requires_grad=True),
            "bias_hh_l0": torch.tensor(bk, dtype=torch.float64, requires_grad=True),
        }
        kout = run(kp, torch.zeros(1, 1, dtype=torch.float64), torch.zeros(len(zk), dtype=torch.float64), mp == "cayley")
        kout.sum().backward()

        golden = {
            "map": mp,
            "hidden": H,
            "input": I,
            "steps": T,
            "params": {n: flat(params[n]) for n in NAMES},
            "inputs": flat(x),
            "targets": flat(y),
            "h0": flat(h0),
            "outputs": flat(out),
            "loss": float(loss),
            "grad": {n: flat(params[n].grad) for n in NAMES},
            "grad_h0": flat(h0.grad),
            "kink": {
                "z": zk,
                "b": bk,
                "h": flat(kout),
                "dh_dz": flat(kp["bias_ih_l0"].grad),
                "dh_db": flat(kp["bias_hh_l0"].grad),
            },
            "torch_version": torch.__version__,
        }
        with open(f"golden_orthogonal_{mp}.json", "w") as f:
            json.dump(golden, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
