#!/usr/bin/python3
"""Peer timings for bench/peers/run.sh and batch.sh: PyTorch BPTT per sequence (and per
minibatch: torchbatch CELL N B) and numpy exact RTRL per step, printed as JSON lines. Single-threaded, batch 1. Exits 3 when torch is absent
(run.sh then skips the PyTorch rows), and 4 when the BLAS that numpy and PyTorch call is not
OpenBLAS: Debian's reference libblas3, which apt may pick for python3-torch, runs their
products several times slower and would make every ratio a measure of it. `peers.py blas`
prints the library in use (the scripts' header line) and makes the same check."""
import json
import platform
import sys
import time

import numpy as np


def blas_library():
    """The BLAS library numpy and PyTorch call: the mapped file that provides it once
    numpy (and torch, when installed) ran a product. Debian's reference BLAS is mapped
    as libblas.so.3.x, OpenBLAS as libopenblas*.so; when the reference one is there at
    all it is the one called (it is what libblas.so.3 names, which torch and numpy link
    before the liblapack.so.3 that may bring OpenBLAS along). None if neither is."""
    a = np.ones((4, 4), np.float32)
    _ = a @ a
    try:
        import torch
        _ = torch.ones(4, 4) @ torch.ones(4, 4)
    except ImportError:
        pass
    with open("/proc/self/maps") as f:
        names = {line.split()[-1] for line in f if "/" in line}
    for want in ("libblas.so", "openblas", "mkl"):
        for path in sorted(names):
            if want in path.rsplit("/", 1)[-1]:
                return path
    return None


def require_openblas():
    """Exits 4, naming the library, unless numpy and PyTorch run on OpenBLAS."""
    lib = blas_library()
    if lib is None or "openblas" not in lib:
        print("peers.py: numpy and PyTorch call %s, not OpenBLAS: its products run several "
              "times slower and the ratios would measure that; apt-get install libopenblas-dev "
              "(or pick OpenBLAS with update-alternatives --config libblas.so.3-%s-linux-gnu)"
              % (lib or "no BLAS library", platform.machine()), file=sys.stderr)
        sys.exit(4)
    return lib


def need_torch():
    """Exits 3 when torch is absent, 4 unless it runs on OpenBLAS (require_openblas)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit(3)
    require_openblas()


def median_time(fn, repeats, inner):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    times.sort()
    return times[len(times) // 2]


def torch_rows(cells, sizes, T, repeats):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    modules = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN}
    for cell in cells:
        for n in sizes:
            rnn = modules[cell](n, n)  # input size = hidden size, as run.sh asks chronograd
            head = torch.nn.Linear(n, 1)
            x = torch.randn(T, 1, n)
            y = torch.randn(T, 1, 1)

            def step():
                rnn.zero_grad(set_to_none=True)
                head.zero_grad(set_to_none=True)
                out, _ = rnn(x)
                loss = 0.5 * ((head(out) - y) ** 2).sum()
                loss.backward()

            step()  # warm-up
            inner = max(1, int(0.2 / max(median_time(step, 1, 1), 1e-6)))
            sec = median_time(step, repeats, inner)
            print(json.dumps({"peer": "pytorch", "cell": cell, "hidden": n, "input": n, "T": T,
                              "algo": "bptt", "ms_per_sequence": sec * 1e3}), flush=True)


def numpy_rtrl_rows(sizes, inputs, repeats):
    """Exact RTRL for a vanilla tanh RNN, written the way a numpy user would: M = J M + Ī."""
    rng = np.random.default_rng(0)
    for n in sizes:
        I = inputs
        W = rng.standard_normal((n, n)).astype(np.float32) / np.sqrt(n)
        U = rng.standard_normal((n, I)).astype(np.float32) / np.sqrt(I)
        b = np.zeros(n, np.float32)
        P = n * (I + n + 2)
        M = np.zeros((n, P), np.float32)
        h = np.zeros(n, np.float32)
        x = rng.standard_normal(I).astype(np.float32)
        y = np.zeros(n, np.float32)
        grad = np.zeros(P, np.float32)

        def step():
            nonlocal h, M, grad
            hprev = h
            u = U @ x + W @ hprev + b + b
            h = np.tanh(u)
            d = 1 - h * h
            J = d[:, None] * W
            Ibar = np.zeros((n, P), np.float32)
            rows = np.arange(n)
            for i in range(n):  # row i of weight_ih, weight_hh, bias_ih, bias_hh feeds unit i
                Ibar[i, i * I:(i + 1) * I] = d[i] * x
                Ibar[i, n * I + i * n:n * I + (i + 1) * n] = d[i] * hprev
            Ibar[rows, n * I + n * n + rows] = d
            Ibar[rows, n * I + n * n + n + rows] = d
            M = J @ M + Ibar
            grad += (h - y) @ M

        step()
        inner = max(1, int(0.2 / max(median_time(step, 1, 1), 1e-6)))
        sec = median_time(step, repeats, inner)
        print(json.dumps({"peer": "numpy", "cell": "rnn_tanh", "hidden": n, "input": I, "algo": "rtrl",
                          "ms_per_step": sec * 1e3}), flush=True)


def torch_layers_row(cell, n, layers, T, repeats):
    """One stacked case: nn.RNN/GRU/LSTM(num_layers=layers), batch 1, T steps, I = n, one
    output; the time per sequence."""
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    modules = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN}
    rnn = modules[cell](n, n, num_layers=layers)
    head = torch.nn.Linear(n, 1)
    x = torch.randn(T, 1, n)
    y = torch.randn(T, 1, 1)

    def step():
        rnn.zero_grad(set_to_none=True)
        head.zero_grad(set_to_none=True)
        out, _ = rnn(x)
        loss = 0.5 * ((head(out) - y) ** 2).sum()
        loss.backward()

    step()
    inner = max(1, int(0.3 / max(median_time(step, 1, 1), 1e-6)))
    sec = median_time(step, repeats, inner)
    print(json.dumps({"peer": "pytorch", "cell": cell, "hidden": n, "input": n, "T": T, "layers": layers,
                      "algo": "bptt", "ms_per_sequence": sec * 1e3}), flush=True)


def torch_batch_row(cell, n, B, T, repeats):
    """One minibatch case: forward and backward of B sequences of T steps (I = n, one
    output, a target at every step), the time per minibatch."""
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    modules = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN}
    rnn = modules[cell](n, n)
    head = torch.nn.Linear(n, 1)
    x = torch.randn(T, B, n)
    y = torch.randn(T, B, 1)

    def step():
        rnn.zero_grad(set_to_none=True)
        head.zero_grad(set_to_none=True)
        out, _ = rnn(x)
        loss = 0.5 * ((head(out) - y) ** 2).sum()
        loss.backward()

    step()  # warm-up
    inner = max(1, int(0.3 / max(median_time(step, 1, 1), 1e-6)))
    sec = median_time(step, repeats, inner)
    print(json.dumps({"peer": "pytorch", "cell": cell, "hidden": n, "input": n, "T": T, "batch": B,
                      "algo": "bptt", "ms_per_minibatch": sec * 1e3}), flush=True)


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "blas":
        print(require_openblas())
        sys.exit(0)
    if what == "torch":
        need_torch()
        torch_rows(["rnn_tanh", "gru", "lstm"], [32, 128, 512], 100, 5)
    elif what == "torchbatch":
        need_torch()
        torch_batch_row(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), 100, 5)
    elif what == "torchlayers":
        need_torch()
        torch_layers_row(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), 100, 5)
    elif what == "numpy":
        require_openblas()
        numpy_rtrl_rows([32, 64], 1, 5)
