"""Move recurrent models and sequences between PyTorch and chronograd.

chronograd (a Go library and command line for training recurrent networks through time)
reads and writes safetensors files. This module writes and reads them with numpy alone;
torch is imported only by the functions that build or read torch modules.

Model file (F32 tensors), for each layer k < L::

    weight_ih_l{k}  [G*H, I_k]   I_0 = input size, I_k = H for k > 0
    weight_hh_l{k}  [G*H, H]
    bias_ih_l{k}    [G*H]
    bias_hh_l{k}    [G*H]
    head.weight     [O, H]       the linear readout
    head.bias       [O]

with G = 1, 3, 4 for rnn, gru, lstm; metadata "cell" is one of rnn_tanh, rnn_relu, gru,
lstm (PyTorch's mode strings) and the optional "alpha" is the leak of a vanilla cell
(absent means 1; PyTorch's nn.RNN has no leak). These are exactly the state_dict names of
nn.RNN / nn.GRU / nn.LSTM(num_layers=L) and nn.Linear, once the recurrent module's prefix
("rnn.", "lstm.", "encoder." ...) is stripped and the head's ("fc.", "linear." ...) becomes
"head.".

Data file, sequence-first as PyTorch's default layout::

    inputs   [T, I] or [T, B, I]              F32
    targets  [T, O] or [T, B, O]              F32: loss = sum over t, b of 1/2 ||head(h_t) - y_t||^2
    classes  [T] or [T, B]                    I64 or I32: loss = sum over t, b of the softmax
                                              cross-entropy of head(h_t); class -100 is ignored
    h0, c0   [H] (L = 1), [L, H] or [L, B, H] optional initial state (c0 for lstm only)

A file holds targets or classes, never both.

Gradient file (``chronograd grad -out``): the loss's gradient for every model tensor,
under the tensor's own name, and ``loss`` [1].

Typical use::

    import chronograd_torch as ct
    ct.save_model("m.safetensors", rnn, head)          # nn.GRU + nn.Linear -> chronograd
    ct.save_data("d.safetensors", inputs=x, targets=y)  # x [T, B, I], y [T, B, O]
    # chronograd grad -model m.safetensors -data d.safetensors -out g.safetensors
    grads = ct.read_gradient("g.safetensors")           # name -> numpy array, and "loss"
    rnn, head = ct.load_model("trained.safetensors")   # chronograd -> torch, strict=True
"""

import json
import os
import re
import struct
import tempfile

import numpy as np

__all__ = [
    "ChronogradFileError",
    "read_safetensors",
    "write_safetensors",
    "cell_name",
    "model_tensors",
    "save_model",
    "map_state_dict",
    "save_state_dict",
    "load_model",
    "save_data",
    "read_data",
    "read_gradient",
    "loss",
]

IGNORE_INDEX = -100
"""The class that marks a step without a target (PyTorch's ignore_index default)."""

CELLS = {"rnn_tanh": 1, "rnn_relu": 1, "gru": 3, "lstm": 4}
"""chronograd's cell kinds (PyTorch's mode strings) and their gate counts G."""

_DTYPES = {"F32": np.dtype("<f4"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4")}
_MAX_HEADER = 100 << 20
_LAYER = re.compile(r"^(?P<prefix>.*?)(?P<name>(?:weight|bias)_(?:ih|hh)_l(?P<k>\d+))$")
_LAYER_NAMES = ("weight_ih_l{}", "weight_hh_l{}", "bias_ih_l{}", "bias_hh_l{}")


class ChronogradFileError(ValueError):
    """A file or a tensor does not follow chronograd's contract; the message names it."""


# ---------------------------------------------------------------------------------------
# safetensors, numpy only


def read_safetensors(path):
    """Read a safetensors file holding F32, I64 and I32 tensors.

    Returns (tensors, metadata): a dict of tensor name to numpy array (float32, or int64
    for both integer types) and the dict of metadata strings. Every fault (a truncated
    file, a header that is not JSON, an unsupported dtype, offsets that do not tile the
    data, NaN or Inf) raises ChronogradFileError naming the file and the tensor.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ChronogradFileError("%s: not a safetensors file (shorter than 8 bytes)" % path)
    (n,) = struct.unpack("<Q", raw[:8])
    if n > _MAX_HEADER or 8 + n > len(raw):
        raise ChronogradFileError("%s: not a safetensors file (header length %d, %d bytes follow)" % (path, n, len(raw) - 8))
    try:
        header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ChronogradFileError("%s: not a safetensors file (header: %s)" % (path, e)) from None
    if not isinstance(header, dict):
        raise ChronogradFileError("%s: not a safetensors file (header is not a JSON object)" % path)
    data = raw[8 + n :]
    metadata = header.pop("__metadata__", None) or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ChronogradFileError("%s: __metadata__ must map strings to strings" % path)
    tensors, spans = {}, []
    for name, rec in header.items():
        if not isinstance(rec, dict) or set(rec) != {"dtype", "shape", "data_offsets"}:
            raise ChronogradFileError("%s: tensor %r: header record must have dtype, shape and data_offsets" % (path, name))
        dtype = _DTYPES.get(rec["dtype"])
        if dtype is None:
            raise ChronogradFileError("%s: tensor %r has dtype %s; chronograd files hold F32, I64 and I32" % (path, name, rec["dtype"]))
        shape = rec["shape"]
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ChronogradFileError("%s: tensor %r: bad shape %r" % (path, name, shape))
        offsets = rec["data_offsets"]
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise ChronogradFileError("%s: tensor %r: data_offsets %r are not two integers" % (path, name, offsets))
        begin, end = offsets
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not (0 <= begin <= end <= len(data)) or end - begin != count * dtype.itemsize:
            raise ChronogradFileError(
                "%s: tensor %r: data_offsets [%d, %d] do not hold shape %s of %s in a %d-byte buffer"
                % (path, name, begin, end, shape, rec["dtype"], len(data))
            )
        a = np.frombuffer(data, dtype=dtype, count=count, offset=begin).reshape(shape)
        if dtype.kind == "f":
            if not np.all(np.isfinite(a)):
                raise ChronogradFileError("%s: tensor %r holds NaN or Inf" % (path, name))
            a = a.astype(np.float32)
        else:
            a = a.astype(np.int64)
        tensors[name] = a
        spans.append((begin, end, name))
    pos = 0
    for begin, end, name in sorted(spans):
        if begin != pos:
            raise ChronogradFileError("%s: tensor %r starts at byte %d of the data, want %d (overlap or gap)" % (path, name, begin, pos))
        pos = end
    if pos != len(data):
        raise ChronogradFileError("%s: data bytes [%d, %d) belong to no tensor" % (path, pos, len(data)))
    return tensors, dict(metadata)


def _as_array(name, value):
    """A numpy view of a numpy array, a torch tensor or a nested list."""
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def write_safetensors(path, tensors, metadata=None):
    """Write tensors (name -> numpy array or torch tensor) to a safetensors file.

    Floating-point arrays are stored as F32, int64 arrays as I64 and int32 arrays as I32;
    any other dtype, NaN or Inf raises ChronogradFileError naming the tensor and nothing is
    written. The file is written to a temporary file in the same directory and renamed
    over path, so a reader never sees half a file. Data are laid out as the reference
    implementation does (larger elements first, then by name).
    """
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise ChronogradFileError("bad tensor name %r" % (name,))
        a = _as_array(name, value)
        if a.dtype.kind == "f":
            a = a.astype("<f4")
            if not np.all(np.isfinite(a)):
                raise ChronogradFileError("tensor %r holds NaN or Inf (chronograd refuses non-finite values)" % name)
            dtype = "F32"
        elif a.dtype == np.int64:
            a, dtype = a.astype("<i8"), "I64"
        elif a.dtype == np.int32:
            a, dtype = a.astype("<i4"), "I32"
        else:
            raise ChronogradFileError("tensor %r has dtype %s; write float, int64 or int32" % (name, a.dtype))
        arrays[name] = (dtype, np.ascontiguousarray(a))
    order = sorted(arrays, key=lambda k: (-arrays[k][1].dtype.itemsize, k))
    header, offset = {}, 0
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ChronogradFileError("metadata must map strings to strings, got %r" % (metadata,))
        header["__metadata__"] = dict(sorted(metadata.items()))
    for name in order:
        dtype, a = arrays[name]
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for name in order:
                f.write(arrays[name][1].tobytes())
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ---------------------------------------------------------------------------------------
# models


def cell_name(rnn):
    """chronograd's cell kind of a torch nn.RNN, nn.GRU or nn.LSTM: its mode string.

    Raises ChronogradFileError for what chronograd's cells do not have: bidirectional
    layers, LSTM projections (proj_size > 0) and layers without biases.
    """
    import torch.nn as nn

    if isinstance(rnn, nn.LSTM):
        kind = "lstm"
    elif isinstance(rnn, nn.GRU):
        kind = "gru"
    elif isinstance(rnn, nn.RNN):
        kind = "rnn_" + rnn.nonlinearity
    else:
        raise ChronogradFileError("%s is not an nn.RNN, nn.GRU or nn.LSTM" % type(rnn).__name__)
    if rnn.bidirectional:
        raise ChronogradFileError("a bidirectional %s has no chronograd counterpart (its cells run forward in time)" % type(rnn).__name__)
    if getattr(rnn, "proj_size", 0):
        raise ChronogradFileError("an LSTM with proj_size=%d has no chronograd counterpart" % rnn.proj_size)
    if not rnn.bias:
        raise ChronogradFileError("%s was built with bias=False; chronograd's cells have biases (build it with bias=True)" % type(rnn).__name__)
    return kind


def model_tensors(rnn, head):
    """The chronograd model tensors (name -> float32 numpy array) and metadata of a torch
    recurrent module and its nn.Linear readout."""
    import torch.nn as nn

    kind = cell_name(rnn)
    if not isinstance(head, nn.Linear) or head.bias is None:
        raise ChronogradFileError("the head must be an nn.Linear with a bias, got %r" % (head,))
    if head.in_features != rnn.hidden_size:
        raise ChronogradFileError("head.weight is [%d, %d]; its inputs must be the hidden size %d" % (head.out_features, head.in_features, rnn.hidden_size))
    tensors = {}
    for k in range(rnn.num_layers):
        for pattern in _LAYER_NAMES:
            name = pattern.format(k)
            tensors[name] = getattr(rnn, name).detach().cpu().numpy().astype(np.float32)
    tensors["head.weight"] = head.weight.detach().cpu().numpy().astype(np.float32)
    tensors["head.bias"] = head.bias.detach().cpu().numpy().astype(np.float32)
    return tensors, {"cell": kind}


def save_model(path, rnn, head):
    """Save a torch nn.RNN / nn.GRU / nn.LSTM (any num_layers) and its nn.Linear readout as a
    chronograd model file (F32 tensors, metadata cell)."""
    tensors, meta = model_tensors(rnn, head)
    write_safetensors(path, tensors, meta)


def map_state_dict(state_dict, rnn_prefix=None, head_prefix=None):
    """Rename a state_dict's tensors to chronograd's model names.

    The recurrent module's tensors (…weight_ih_l0 …) lose their common prefix ("rnn.",
    "encoder.lstm." …) and the readout's two tensors (…weight, …bias) get the prefix "head.".
    Without rnn_prefix or head_prefix each is found from the names; ambiguous or missing
    names raise ChronogradFileError listing the names found. Returns name -> float32 array.
    """
    names = list(state_dict)
    found = ", ".join(names)
    layer = {}
    for n in names:
        m = _LAYER.match(n)
        if m and (rnn_prefix is None or m.group("prefix") == rnn_prefix):
            layer.setdefault(m.group("prefix"), []).append(n)
    if not layer:
        raise ChronogradFileError("no recurrent-layer tensors (weight_ih_l0 …) in the state_dict; names found: %s" % found)
    if len(layer) > 1:
        raise ChronogradFileError(
            "recurrent-layer tensors under several prefixes %s; pass rnn_prefix= (names found: %s)" % (sorted(layer), found)
        )
    ((rnn_prefix, rnn_names),) = layer.items()
    rest = [n for n in names if n not in rnn_names]
    if head_prefix is None:
        heads = sorted({n[: -len("weight")] for n in rest if n.endswith("weight") and (n[: -len("weight")] + "bias") in rest})
        if len(heads) != 1:
            raise ChronogradFileError(
                "cannot tell the readout: want exactly one pair PREFIX.weight, PREFIX.bias besides the recurrent layers, found %s; pass head_prefix= (names found: %s)"
                % (heads or "none", found)
            )
        head_prefix = heads[0]
    out = {}
    for n in rnn_names:
        out[n[len(rnn_prefix) :]] = _as_array(n, state_dict[n]).astype(np.float32)
    for part in ("weight", "bias"):
        n = head_prefix + part
        if n not in state_dict:
            raise ChronogradFileError("readout tensor %r is missing; names found: %s" % (n, found))
        out["head." + part] = _as_array(n, state_dict[n]).astype(np.float32)
    leftover = [n for n in rest if n not in (head_prefix + "weight", head_prefix + "bias")]
    if leftover:
        raise ChronogradFileError("tensors %s are neither the recurrent layers (prefix %r) nor the readout (prefix %r)" % (leftover, rnn_prefix, head_prefix))
    _check_model(out, None, "state_dict")
    return out


def save_state_dict(path, state_dict, cell=None, rnn_prefix=None, head_prefix=None):
    """Save a state_dict (e.g. torch.load of a checkpoint) as a chronograd model file.

    cell is chronograd's cell kind (rnn_tanh, rnn_relu, gru, lstm); when None it is read
    from the gate count (3 gru, 4 lstm), which cannot tell rnn_tanh from rnn_relu.
    Prefixes are mapped as map_state_dict does.
    """
    tensors = map_state_dict(state_dict, rnn_prefix, head_prefix)
    gates = tensors["weight_hh_l0"].shape[0] // tensors["weight_hh_l0"].shape[1]
    if cell is None:
        cell = {3: "gru", 4: "lstm"}.get(gates)
        if cell is None:
            raise ChronogradFileError("weight_hh_l0 is %s: a vanilla RNN; pass cell='rnn_tanh' or cell='rnn_relu'" % (list(tensors["weight_hh_l0"].shape),))
    _check_model(tensors, cell, "state_dict")
    write_safetensors(path, tensors, {"cell": cell})


def _check_model(tensors, cell, where):
    """Check the names and shapes of chronograd model tensors; returns (L, H, I, O, G)."""
    found = ", ".join(sorted(tensors))
    for n in ("weight_hh_l0", "weight_ih_l0", "head.weight", "head.bias"):
        if n not in tensors:
            hint = ""
            if any(k != n and k.endswith(n) for k in tensors):
                hint = " (strip the module prefix such as 'rnn.' or 'fc.': map_state_dict does)"
            raise ChronogradFileError("%s: tensor %r is missing%s; names found: %s" % (where, n, hint, found))
    for n in ("weight_hh_l0", "weight_ih_l0", "head.weight"):
        if tensors[n].ndim != 2:
            raise ChronogradFileError("%s: tensor %r has shape %s, want a matrix" % (where, n, list(tensors[n].shape)))
    whh = tensors["weight_hh_l0"]
    H = whh.shape[1]
    if H < 1 or whh.shape[0] % H or whh.shape[0] // H not in (1, 3, 4):
        raise ChronogradFileError("%s: weight_hh_l0 has shape %s, want [G*H, H] with G = 1, 3 or 4 gate blocks" % (where, list(whh.shape)))
    G = whh.shape[0] // H
    if cell is not None:
        if cell not in CELLS:
            raise ChronogradFileError("%s: unknown cell %r (want one of %s)" % (where, cell, ", ".join(CELLS)))
        if CELLS[cell] != G:
            raise ChronogradFileError("%s: weight_hh_l0 has %d gate blocks of H=%d, but a %s cell has %d" % (where, G, H, cell, CELLS[cell]))
    # The number of layers is one more than the largest layer index named; a gap is a
    # missing tensor.
    L = 1 + max(int(m.group("k")) for m in map(_LAYER.match, tensors) if m)
    I = tensors["weight_ih_l0"].shape[1]
    O = tensors["head.weight"].shape[0]
    want = {}
    for k in range(L):
        want["weight_ih_l%d" % k] = (G * H, I if k == 0 else H)
        want["weight_hh_l%d" % k] = (G * H, H)
        want["bias_ih_l%d" % k] = (G * H,)
        want["bias_hh_l%d" % k] = (G * H,)
    want["head.weight"] = (O, H)
    want["head.bias"] = (O,)
    for n, shape in want.items():
        if n not in tensors:
            raise ChronogradFileError("%s: tensor %r is missing (a model of %d layers); names found: %s" % (where, n, L, found))
        if tuple(tensors[n].shape) != shape:
            raise ChronogradFileError("%s: tensor %r has shape %s, want %s" % (where, n, list(tensors[n].shape), list(shape)))
    extra = sorted(set(tensors) - set(want))
    if extra:
        raise ChronogradFileError("%s: unexpected tensors %s; a model file holds %s" % (where, ", ".join(extra), ", ".join(want)))
    return L, H, I, O, G


def load_model(path, dtype=None):
    """Load a chronograd model file into fresh torch modules.

    Returns (rnn, head): an nn.RNN / nn.GRU / nn.LSTM(input_size, hidden_size, num_layers)
    with PyTorch's default batch_first=False, and an nn.Linear, both filled with
    load_state_dict(strict=True), in float32 (or dtype). A vanilla cell with a leak
    alpha != 1 is refused: PyTorch's nn.RNN has no leak.
    """
    import torch
    import torch.nn as nn

    tensors, meta = read_safetensors(path)
    cell = meta.get("cell")
    if cell is None:
        raise ChronogradFileError("%s: metadata 'cell' is missing (want one of %s)" % (path, ", ".join(CELLS)))
    L, H, I, O, _ = _check_model(tensors, cell, path)
    alpha = meta.get("alpha", "1")
    try:
        a = float(alpha)
    except ValueError:
        a = None
    if a != 1.0:
        raise ChronogradFileError(
            "%s: metadata alpha=%s: a leaky vanilla cell, s_t = (1-alpha) s_(t-1) + alpha tanh(...); PyTorch's nn.RNN has no leak, so only alpha = 1 loads"
            % (path, alpha)
        )
    if cell == "lstm":
        rnn = nn.LSTM(I, H, num_layers=L)
    elif cell == "gru":
        rnn = nn.GRU(I, H, num_layers=L)
    else:
        rnn = nn.RNN(I, H, num_layers=L, nonlinearity=cell[4:])
    head = nn.Linear(H, O)
    rnn.load_state_dict({n: torch.from_numpy(tensors[n].copy()) for n in rnn.state_dict()}, strict=True)
    head.load_state_dict({"weight": torch.from_numpy(tensors["head.weight"].copy()), "bias": torch.from_numpy(tensors["head.bias"].copy())}, strict=True)
    if dtype is not None:
        rnn, head = rnn.to(dtype), head.to(dtype)
    return rnn, head


# ---------------------------------------------------------------------------------------
# data and gradients


def save_data(path, inputs, targets=None, classes=None, h0=None, c0=None):
    """Save a sequence (or a batch of sequences) as a chronograd data file.

    inputs is [T, I] or [T, B, I] (sequence first); give either targets ([T, O] or
    [T, B, O], squared error) or classes ([T] or [T, B], integers, IGNORE_INDEX = -100 for a
    step without a target; cross-entropy). h0 and c0 (lstm) are optional initial states of
    shape [H] (one layer), [L, H] or [L, B, H]. Arrays may be numpy arrays or torch
    tensors. Inconsistent shapes raise ChronogradFileError naming the tensor.
    """
    x = _as_array("inputs", inputs).astype(np.float32)
    if x.ndim not in (2, 3):
        raise ChronogradFileError("inputs has shape %s, want [T, I] or [T, B, I]" % list(x.shape))
    lead = x.shape[:-1]  # (T,) or (T, B)
    out = {"inputs": x}
    if (targets is None) == (classes is None):
        raise ChronogradFileError("give either targets (squared error) or classes (cross-entropy), not %s" % ("both" if targets is not None else "neither"))
    if targets is not None:
        y = _as_array("targets", targets).astype(np.float32)
        if y.ndim != x.ndim or y.shape[:-1] != lead:
            raise ChronogradFileError("targets has shape %s, want %s + [O] to match inputs %s" % (list(y.shape), list(lead), list(x.shape)))
        out["targets"] = y
    else:
        c = _as_array("classes", classes)
        if c.dtype.kind not in "iu":
            raise ChronogradFileError("classes has dtype %s, want integers (class indices, -100 for no target)" % c.dtype)
        if c.shape != lead:
            raise ChronogradFileError("classes has shape %s, want %s to match inputs %s" % (list(c.shape), list(lead), list(x.shape)))
        if np.any((c < 0) & (c != IGNORE_INDEX)):
            raise ChronogradFileError("classes holds negative values other than -100 (the ignored class)")
        out["classes"] = c.astype(np.int64)
    for name, s in (("h0", h0), ("c0", c0)):
        if s is None:
            continue
        s = _as_array(name, s).astype(np.float32)
        ok = s.ndim in (1, 2) or (s.ndim == 3 and x.ndim == 3 and s.shape[1] == x.shape[1])
        if not ok:
            raise ChronogradFileError("%s has shape %s, want [H], [L, H] or [L, B, H] with B = %s" % (name, list(s.shape), x.shape[1] if x.ndim == 3 else "the batch size of 3-D inputs"))
        out[name] = s
    if "h0" in out and "c0" in out and out["h0"].shape != out["c0"].shape:
        raise ChronogradFileError("h0 has shape %s and c0 %s; they must agree" % (list(out["h0"].shape), list(out["c0"].shape)))
    write_safetensors(path, out)


def read_data(path):
    """Read a chronograd data file into a dict (inputs, targets or classes, h0, c0) of numpy
    arrays, ready for loss(rnn, head, **read_data(path))."""
    tensors, _ = read_safetensors(path)
    known = {"inputs", "targets", "classes", "h0", "c0"}
    extra = sorted(set(tensors) - known)
    if extra:
        raise ChronogradFileError("%s: unexpected tensors %s (a data file holds %s)" % (path, extra, ", ".join(sorted(known))))
    if "inputs" not in tensors:
        raise ChronogradFileError("%s: tensor 'inputs' is missing; names found: %s" % (path, ", ".join(sorted(tensors))))
    return tensors


def read_gradient(path):
    """Read a gradient file written by chronograd grad: tensor name -> float32 numpy array
    (the model's names, and loss of shape [1])."""
    tensors, _ = read_safetensors(path)
    if "loss" not in tensors:
        raise ChronogradFileError("%s: tensor 'loss' is missing: not a chronograd gradient file (names found: %s)" % (path, ", ".join(sorted(tensors))))
    return tensors


def _state(name, s, L, B, like):
    """A [L, B, H] torch initial state from [H], [L, H] or [L, B, H] (broadcast over B)."""
    import torch

    s = torch.as_tensor(_as_array(name, s)).to(like.dtype)
    if s.dim() == 1:
        if L != 1:
            raise ChronogradFileError("%s has shape [H] but the model has %d layers; want [L, H] or [L, B, H]" % (name, L))
        s = s.reshape(1, -1)
    if s.dim() == 2:
        s = s.unsqueeze(1).expand(s.shape[0], B, s.shape[1])
    if s.shape[0] != L or s.shape[1] != B:
        raise ChronogradFileError("%s has shape %s, want [%d, %d, H]" % (name, list(s.shape), L, B))
    return s.contiguous()


def loss(rnn, head, inputs, targets=None, classes=None, h0=None, c0=None):
    """chronograd's loss of a torch model on a sequence, as a torch scalar (call backward()).

    With targets: sum over steps t and batch columns b of 1/2 ||head(h_t) - y_t||^2. With
    classes: the sum of the softmax cross-entropy of head(h_t) against the class, steps
    with class -100 ignored. Arguments are as for save_data (numpy or torch, sequence
    first, without or with a batch axis); computed in the modules' dtype.
    """
    import torch
    import torch.nn.functional as F

    p = next(rnn.parameters())
    x = torch.as_tensor(_as_array("inputs", inputs)).to(p.dtype)
    batched = x.dim() == 3
    if not batched:
        x = x.unsqueeze(1)
    T, B, _ = x.shape
    L = rnn.num_layers
    hx = None
    if h0 is not None or c0 is not None:
        zeros = torch.zeros(L, B, rnn.hidden_size, dtype=p.dtype)
        h = _state("h0", h0, L, B, p) if h0 is not None else zeros
        if isinstance(rnn, torch.nn.LSTM):
            hx = (h, _state("c0", c0, L, B, p) if c0 is not None else zeros)
        elif c0 is not None:
            raise ChronogradFileError("c0 given for a %s, which has no cell state" % type(rnn).__name__)
        else:
            hx = h
    if rnn.batch_first:
        out, _ = rnn(x.transpose(0, 1), hx)
        out = out.transpose(0, 1)
    else:
        out, _ = rnn(x, hx)
    logits = head(out)  # [T, B, O]
    if (targets is None) == (classes is None):
        raise ChronogradFileError("give either targets or classes")
    if targets is not None:
        y = torch.as_tensor(_as_array("targets", targets)).to(p.dtype).reshape(T, B, -1)
        return 0.5 * ((logits - y) ** 2).sum()
    c = torch.as_tensor(_as_array("classes", classes)).to(torch.int64).reshape(T * B)
    return F.cross_entropy(logits.reshape(T * B, -1), c, ignore_index=IGNORE_INDEX, reduction="sum")
