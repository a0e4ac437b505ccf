#!/usr/bin/python3
"""PyTorch's side of the chronograd round trip, for tests and for checking by hand.

  torch_reference.py random --cell gru --layers 2 --input 3 --hidden 5 --output 2 --steps 7
                            [--batch 3] [--classes] [--h0] [--seed 1] --model M --data D
      builds torch modules with random weights (wider than the default initialisation, so
      gates saturate unevenly) and a random sequence, and saves them as a chronograd model
      file M and data file D (classes: some steps -100, ignored);
  torch_reference.py grad --model M --data D --out R
      loads M into torch with load_model (load_state_dict strict=True) and writes to R the
      loss and its gradient for every model tensor, computed by autograd in float64 from
      the float32 weights and rounded to float32: what `chronograd grad` must give;
  torch_reference.py batch JOBS
      runs every job of the JSON file JOBS (a list of argument lists, as above) in one
      process, so that torch is imported once.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chronograd_torch as ct  # noqa: E402


def random_case(a):
    torch.manual_seed(a.seed)
    if a.cell == "lstm":
        rnn = torch.nn.LSTM(a.input, a.hidden, num_layers=a.layers)
    elif a.cell == "gru":
        rnn = torch.nn.GRU(a.input, a.hidden, num_layers=a.layers)
    else:
        rnn = torch.nn.RNN(a.input, a.hidden, num_layers=a.layers, nonlinearity=a.cell[4:])
    head = torch.nn.Linear(a.hidden, a.output)
    with torch.no_grad():
        for p in list(rnn.parameters()) + list(head.parameters()):
            p.copy_(torch.randn_like(p) * 0.6)
    lead = (a.steps, a.batch) if a.batch else (a.steps,)
    x = torch.randn(*lead, a.input)
    data = {"inputs": x}
    if a.classes:
        c = torch.randint(0, a.output, lead)
        c[torch.rand(lead) < 0.3] = ct.IGNORE_INDEX
        data["classes"] = c
    else:
        data["targets"] = torch.randn(*lead, a.output)
    if a.h0:
        shape = (a.layers, a.batch, a.hidden) if a.batch else ((a.hidden,) if a.layers == 1 else (a.layers, a.hidden))
        data["h0"] = torch.randn(*shape) * 0.5
        if a.cell == "lstm":
            data["c0"] = torch.randn(*shape) * 0.5
    ct.save_model(a.model, rnn, head)
    ct.save_data(a.data, **data)


def reference(a):
    rnn, head = ct.load_model(a.model, dtype=torch.float64)
    loss = ct.loss(rnn, head, **ct.read_data(a.data))
    loss.backward()
    out = {"loss": np.array([loss.item()], dtype=np.float32)}
    for n, p in rnn.named_parameters():
        out[n] = p.grad.numpy()
    for n, p in head.named_parameters():
        out["head." + n] = p.grad.numpy()
    ct.write_safetensors(a.out, out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("random")
    r.add_argument("--cell", required=True, choices=sorted(ct.CELLS))
    for name, default in (("layers", 1), ("input", 3), ("hidden", 5), ("output", 2), ("steps", 7), ("batch", 0), ("seed", 1)):
        r.add_argument("--" + name, type=int, default=default)
    r.add_argument("--classes", action="store_true")
    r.add_argument("--h0", action="store_true")
    r.add_argument("--model", required=True)
    r.add_argument("--data", required=True)
    g = sub.add_parser("grad")
    g.add_argument("--model", required=True)
    g.add_argument("--data", required=True)
    g.add_argument("--out", required=True)
    b = sub.add_parser("batch")
    b.add_argument("jobs")
    a = ap.parse_args(argv)
    try:
        if a.mode == "batch":
            with open(a.jobs) as f:
                for job in json.load(f):
                    main(job)
        elif a.mode == "random":
            random_case(a)
        else:
            reference(a)
    except ct.ChronogradFileError as e:
        sys.exit("torch_reference.py: %s" % e)


if __name__ == "__main__":
    main()
