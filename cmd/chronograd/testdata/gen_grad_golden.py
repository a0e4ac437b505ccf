#!/usr/bin/python3
"""Generate the golden files of `chronograd grad` from PyTorch autograd.

For every cell kind it writes, next to this script,
  grad_<kind>.model.safetensors  weight_ih_l0 ... head.weight, head.bias; metadata cell, alpha
  grad_<kind>.data.safetensors   inputs [T, I], targets [T, O], h0 (and c0 for lstm) [H]
  grad_<kind>.grad.safetensors   dL/dtheta for every model tensor, and loss [1]
with L = sum_t 1/2 ||head(h_t) - y_t||^2 computed by nn.RNN / nn.GRU / nn.LSTM and nn.Linear.
The gradient is computed in float64 from the float32 weights, then rounded to float32, so the
golden files are as exact as float32 allows. Odd sizes; the gru case has no h0 (zero default).

Run with Debian's python3-torch: /usr/bin/python3 cmd/chronograd/testdata/gen_grad_golden.py
CI does not need PyTorch: the outputs are committed.
"""
import json
import os
import struct

import torch

H, I, O, T = 5, 3, 2, 8
HERE = os.path.dirname(os.path.abspath(__file__))


def write_safetensors(path, tensors, metadata=None):
    """A minimal safetensors writer: F32 only, little-endian, header padded to 8 bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        values = t.reshape(-1).tolist()
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def case(kind, seed, with_h0):
    torch.manual_seed(seed)
    if kind in ("rnn_tanh", "rnn_relu"):
        rnn = torch.nn.RNN(I, H, nonlinearity=kind[4:])
    elif kind == "gru":
        rnn = torch.nn.GRU(I, H)
    else:
        rnn = torch.nn.LSTM(I, H)
    head = torch.nn.Linear(H, O)
    # Wider than the default initialisation so that gates saturate unevenly.
    with torch.no_grad():
        for p in list(rnn.parameters()) + list(head.parameters()):
            p.copy_(torch.randn_like(p) * 0.6)
    x = torch.randn(T, I)
    y = torch.randn(T, O)
    h0 = torch.randn(H) * 0.5 if with_h0 else torch.zeros(H)
    c0 = torch.randn(H) * 0.5

    model = {n: p.detach().clone() for n, p in rnn.named_parameters()}
    model["head.weight"] = head.weight.detach().clone()
    model["head.bias"] = head.bias.detach().clone()
    meta = {"cell": kind}
    if kind.startswith("rnn"):
        meta["alpha"] = "1"
    data = {"inputs": x, "targets": y}
    if with_h0:
        data["h0"] = h0
    if kind == "lstm":
        data["c0"] = c0

    rnn, head = rnn.double(), head.double()
    hx = h0.double().reshape(1, 1, H)
    if kind == "lstm":
        hx = (hx, c0.double().reshape(1, 1, H))
    hs, _ = rnn(x.double().unsqueeze(1), hx)
    yhat = head(hs.squeeze(1))
    loss = 0.5 * ((yhat - y.double()) ** 2).sum()
    loss.backward()
    grad = {n: p.grad for n, p in rnn.named_parameters()}
    grad["head.weight"] = head.weight.grad
    grad["head.bias"] = head.bias.grad
    grad["loss"] = loss.detach().reshape(1)

    base = os.path.join(HERE, "grad_" + kind)
    write_safetensors(base + ".model.safetensors", model, meta)
    write_safetensors(base + ".data.safetensors", data)
    write_safetensors(base + ".grad.safetensors", grad, meta)


if __name__ == "__main__":
    for i, kind in enumerate(["rnn_tanh", "rnn_relu", "gru", "lstm"]):
        case(kind, 100 + i, with_h0=(kind != "gru"))
    print("torch", torch.__version__, "wrote golden files to", HERE)
