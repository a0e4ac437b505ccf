#!/usr/bin/python3
"""Generate the golden files of `chronograd grad` for stacked models and both losses.

For every kind in {rnn_tanh, gru, lstm}, L in {1, 2, 3} layers, loss in {se, ce} and with or
without an initial state it writes, to stack/ next to this script,
  <case>.model.safetensors  weight_ih_l{k} ... for k < L, head.weight, head.bias; metadata cell
  <case>.data.safetensors   inputs [T, I]; targets [T, O] (se) or classes [T] int64 with
                            -100 on ignored steps (ce); h0 (and c0 for lstm) [H] or [L, H];
                            the _B3 and _B4 cases have a batch axis: inputs [T, B, I],
                            targets [T, B, O] or classes [T, B], h0 and c0 [L, B, H]
  <case>.grad.safetensors   dL/dtheta for every model tensor, and loss [1]
with L = sum_t of the step losses of nn.RNN / nn.GRU / nn.LSTM(num_layers=L) and nn.Linear:
1/2 ||head(h_t) - y_t||^2 (se) or cross_entropy(head(h_t), c_t, ignore_index=-100,
reduction="sum") (ce). The case lstm_L1_ce_extreme scales the head so that the logits reach
about +-80: the gradient of a stable log-sum-exp must not overflow. The gradient is computed in
float64 from the float32 weights, then rounded to float32.

Run with Debian's python3-torch: /usr/bin/python3 cmd/chronograd/testdata/gen_stack_golden.py
CI does not need PyTorch: the outputs are committed.
"""
import json
import os
import struct

import torch
import torch.nn.functional as F

H, I, O, T = 5, 3, 4, 9
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stack")


def write_safetensors(path, tensors, metadata=None):
    """A minimal safetensors writer: F32 and I64, little-endian, header padded to 8 bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype == torch.int64:
            values = t.reshape(-1).tolist()
            blob, dtype = struct.pack("<%dq" % len(values), *values), "I64"
        else:
            values = t.to(torch.float32).reshape(-1).tolist()
            blob, dtype = struct.pack("<%df" % len(values), *values), "F32"
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def case(kind, layers, loss_name, with_h0, seed, extreme=False, batch=None):
    torch.manual_seed(seed)
    if kind == "rnn_tanh":
        rnn = torch.nn.RNN(I, H, num_layers=layers)
    elif kind == "gru":
        rnn = torch.nn.GRU(I, H, num_layers=layers)
    else:
        rnn = torch.nn.LSTM(I, H, num_layers=layers)
    head = torch.nn.Linear(H, O)
    with torch.no_grad():
        for p in list(rnn.parameters()) + list(head.parameters()):
            p.copy_(torch.randn_like(p) * 0.6)
        if extreme:
            # h is in (-1, 1): weights of 40 and a bias of +-40 put logits near +-80.
            head.weight.copy_(torch.sign(head.weight) * 40)
            head.bias.copy_(torch.tensor([40.0, -40.0, 40.0, -40.0]))
    B = batch or 1
    lead = (T, batch) if batch else (T,)
    x = torch.randn(*lead, I)
    h0 = torch.randn(layers, B, H) * 0.5
    c0 = torch.randn(layers, B, H) * 0.5
    if not batch:
        h0, c0 = h0[:, 0], c0[:, 0]

    model = {n: p.detach().clone() for n, p in rnn.named_parameters()}
    model["head.weight"] = head.weight.detach().clone()
    model["head.bias"] = head.bias.detach().clone()
    meta = {"cell": kind}
    data = {"inputs": x}
    if loss_name == "se":
        y = torch.randn(*lead, O)
        data["targets"] = y
    else:
        c = torch.randint(0, O, lead)
        c[1::3] = -100  # ignored steps
        if batch:
            c[0::4, 0] = -100  # and some sequences' steps
        data["classes"] = c
    state = (lambda v: v[0]) if layers == 1 and not batch else (lambda v: v)
    if with_h0:
        data["h0"] = state(h0)
        if kind == "lstm":
            data["c0"] = state(c0)

    rnn, head = rnn.double(), head.double()
    hx = (h0 if with_h0 else torch.zeros(layers, B, H)).double().reshape(layers, B, H)
    if kind == "lstm":
        hx = (hx, (c0 if with_h0 else torch.zeros(layers, B, H)).double().reshape(layers, B, H))
    hs, _ = rnn(x.double().reshape(T, B, I), hx)
    yhat = head(hs.reshape(T * B, H))
    if loss_name == "se":
        loss = 0.5 * ((yhat - y.double().reshape(T * B, O)) ** 2).sum()
    else:
        loss = F.cross_entropy(yhat, c.reshape(T * B), ignore_index=-100, reduction="sum")
    loss.backward()
    grad = {n: p.grad for n, p in rnn.named_parameters()}
    grad["head.weight"] = head.weight.grad
    grad["head.bias"] = head.bias.grad
    grad["loss"] = loss.detach().reshape(1)

    name = "%s_L%d_%s_%s" % (kind, layers, loss_name, "h0" if with_h0 else "zero")
    if extreme:
        name = "%s_L%d_%s_extreme" % (kind, layers, loss_name)
    if batch:
        name += "_B%d" % batch
    base = os.path.join(HERE, name)
    write_safetensors(base + ".model.safetensors", model, meta)
    write_safetensors(base + ".data.safetensors", data)
    write_safetensors(base + ".grad.safetensors", grad, meta)
    return name


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    names, seed = [], 200
    for kind in ["rnn_tanh", "gru", "lstm"]:
        for layers in [1, 2, 3]:
            for loss_name in ["se", "ce"]:
                for with_h0 in [False, True]:
                    names.append(case(kind, layers, loss_name, with_h0, seed))
                    seed += 1
    names.append(case("lstm", 1, "ce", False, seed, extreme=True))
    # Minibatches: inputs [T, B, I], targets [T, B, O] or classes [T, B], h0/c0 [L, B, H].
    for kind in ["rnn_tanh", "gru", "lstm"]:
        for layers in [1, 2]:
            for loss_name in ["se", "ce"]:
                for batch, with_h0 in [(3, True), (4, False)]:
                    seed += 1
                    names.append(case(kind, layers, loss_name, with_h0, seed, batch=batch))
    print("torch", torch.__version__, "wrote", len(names), "cases to", HERE)
