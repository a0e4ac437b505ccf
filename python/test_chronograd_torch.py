"""Tests of chronograd_torch. Run: /usr/bin/python3 python/test_chronograd_torch.py

The numpy-only tests always run; the torch tests are skipped, saying so, when torch is
missing. The Go test cmd/chronograd/pytorch_test.go runs this file and the round trip
through the chronograd command line.
"""
import json
import os
import struct
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chronograd_torch as ct  # noqa: E402

try:
    import torch
except ImportError:  # the numpy part is tested without it
    torch = None


class Dir(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.dir = self._dir.name

    def tearDown(self):
        self._dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)


class Safetensors(Dir):
    def test_round_trip(self):
        t = {
            "inputs": np.arange(6, dtype=np.float32).reshape(3, 2) / 7,
            "classes": np.array([[3, -100], [0, 9]], dtype=np.int64),
            "small": np.array([-5, 2**31 - 1], dtype=np.int32),
            "scalar": np.float32(2.5),
        }
        ct.write_safetensors(self.path("a"), t, {"cell": "gru"})
        got, meta = ct.read_safetensors(self.path("a"))
        self.assertEqual(meta, {"cell": "gru"})
        self.assertEqual(sorted(got), sorted(t))
        for n in t:
            np.testing.assert_array_equal(got[n], t[n])
        self.assertEqual(got["classes"].dtype, np.int64)
        self.assertEqual(got["small"].dtype, np.int64)
        self.assertEqual(got["inputs"].dtype, np.float32)
        self.assertEqual(os.stat(self.path("a")).st_mode & 0o777, 0o644)

    def test_layout(self):
        # Larger elements first, then by name; header padded with spaces to 8 bytes.
        ct.write_safetensors(self.path("b"), {"b": np.zeros(1, np.float32), "a": np.zeros(1, np.int64), "c": np.zeros(1, np.float32)})
        with open(self.path("b"), "rb") as f:
            raw = f.read()
        (n,) = struct.unpack("<Q", raw[:8])
        self.assertEqual(n % 8, 0)
        h = json.loads(raw[8 : 8 + n])
        self.assertEqual([h[k]["data_offsets"] for k in "abc"], [[0, 8], [8, 12], [12, 16]])

    def test_refusals(self):
        for name, tensors, want in [
            ("nan", {"x": np.array([1, np.nan], np.float32)}, "'x' holds NaN or Inf"),
            ("uint8", {"x": np.zeros(2, np.uint8)}, "'x' has dtype uint8"),
            ("empty name", {"": np.zeros(1, np.float32)}, "bad tensor name"),
        ]:
            with self.subTest(name):
                with self.assertRaisesRegex(ct.ChronogradFileError, want):
                    ct.write_safetensors(self.path("r"), tensors)
                self.assertFalse(os.path.exists(self.path("r")))
        self.assertEqual(os.listdir(self.dir), [])

    def test_reader_refuses(self):
        def raw(header, data=b""):
            text = json.dumps(header).encode()
            return struct.pack("<Q", len(text)) + text + data

        for name, content, want in [
            ("short", b"abc", "shorter than 8 bytes"),
            ("length", struct.pack("<Q", 1 << 40), "header length"),
            ("json", struct.pack("<Q", 3) + b"{x}", "header"),
            ("f16", raw({"w": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}}, b"\0\0"), "'w' has dtype F16"),
            ("offsets", raw({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 8), "'w': data_offsets"),
            ("three offsets", raw({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}, b"\0" * 4), "'w': data_offsets \\[0, 4, 8\\] are not two integers"),
            ("stray", raw({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8), "belong to no tensor"),
            ("inf", raw({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, struct.pack("<f", float("inf"))), "'w' holds NaN or Inf"),
        ]:
            with self.subTest(name):
                with open(self.path(name), "wb") as f:
                    f.write(content)
                with self.assertRaisesRegex(ct.ChronogradFileError, want):
                    ct.read_safetensors(self.path(name))


def fake_state_dict(prefix="rnn.", head="fc.", layers=2, G=3, H=4, I=2, O=3):
    rng = np.random.default_rng(0)
    sd = {}
    for k in range(layers):
        sd["%sweight_ih_l%d" % (prefix, k)] = rng.standard_normal((G * H, I if k == 0 else H)).astype(np.float32)
        sd["%sweight_hh_l%d" % (prefix, k)] = rng.standard_normal((G * H, H)).astype(np.float32)
        sd["%sbias_ih_l%d" % (prefix, k)] = rng.standard_normal(G * H).astype(np.float32)
        sd["%sbias_hh_l%d" % (prefix, k)] = rng.standard_normal(G * H).astype(np.float32)
    sd[head + "weight"] = rng.standard_normal((O, H)).astype(np.float32)
    sd[head + "bias"] = rng.standard_normal(O).astype(np.float32)
    return sd


class StateDicts(Dir):
    def test_prefixes_are_mapped(self):
        for prefix, head in [("rnn.", "fc."), ("encoder.lstm.", "linear."), ("", "out.")]:
            with self.subTest(prefix=prefix):
                sd = fake_state_dict(prefix, head)
                m = ct.map_state_dict(sd)
                self.assertEqual(sorted(m), sorted([n[len(prefix) :] for n in sd if n.startswith(prefix) and "_l" in n] + ["head.bias", "head.weight"]))
                np.testing.assert_array_equal(m["head.weight"], sd[head + "weight"])
                np.testing.assert_array_equal(m["weight_hh_l1"], sd[prefix + "weight_hh_l1"])

    def test_save_state_dict_infers_gru(self):
        ct.save_state_dict(self.path("m"), fake_state_dict())
        tensors, meta = ct.read_safetensors(self.path("m"))
        self.assertEqual(meta, {"cell": "gru"})
        self.assertIn("weight_ih_l1", tensors)

    def test_refusals_name_what_was_found(self):
        sd = fake_state_dict()
        vanilla = fake_state_dict(G=1)
        gap = fake_state_dict(prefix="", layers=3)
        for n in ("weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"):
            del gap[n]
        cases = [
            ("no layers", {"fc.weight": sd["fc.weight"]}, {}, "no recurrent-layer tensors .* names found: fc.weight"),
            ("two prefixes", dict(sd, **{"enc." + k[4:]: v for k, v in sd.items() if k.startswith("rnn.")}), {}, "several prefixes"),
            ("two heads", dict(sd, **{"fc2.weight": sd["fc.weight"], "fc2.bias": sd["fc.bias"]}), {}, "cannot tell the readout"),
            ("stray", dict(sd, **{"emb.table": np.zeros(2, np.float32)}), {}, "neither the recurrent layers"),
            ("gap", gap, {}, "tensor 'weight_ih_l1' is missing \\(a model of 3 layers\\)"),
        ]
        for name, d, kw, want in cases:
            with self.subTest(name):
                with self.assertRaisesRegex(ct.ChronogradFileError, want):
                    ct.map_state_dict(d, **kw)
        with self.assertRaisesRegex(ct.ChronogradFileError, "pass cell='rnn_tanh' or cell='rnn_relu'"):
            ct.save_state_dict(self.path("v"), vanilla)
        with self.assertRaisesRegex(ct.ChronogradFileError, "3 gate blocks of H=4, but a lstm cell has 4"):
            ct.save_state_dict(self.path("v"), sd, cell="lstm")


class Data(Dir):
    def test_shapes(self):
        x = np.zeros((5, 2, 3), np.float32)
        ct.save_data(self.path("d"), x, classes=np.array([[1, -100]] * 5), h0=np.ones((2, 2, 4)))
        got = ct.read_data(self.path("d"))
        self.assertEqual(got["classes"].dtype, np.int64)
        self.assertEqual(got["h0"].shape, (2, 2, 4))
        for name, kw, want in [
            ("both", dict(targets=np.zeros((5, 2, 1)), classes=np.zeros((5, 2), np.int64)), "not both"),
            ("neither", {}, "not neither"),
            ("targets shape", dict(targets=np.zeros((5, 1))), "targets has shape \\[5, 1\\]"),
            ("float classes", dict(classes=np.zeros((5, 2))), "classes has dtype float64"),
            ("negative class", dict(classes=np.full((5, 2), -1)), "negative values other than -100"),
            ("h0 batch", dict(targets=np.zeros((5, 2, 1)), h0=np.zeros((1, 3, 4))), "h0 has shape \\[1, 3, 4\\]"),
        ]:
            with self.subTest(name):
                with self.assertRaisesRegex(ct.ChronogradFileError, want):
                    ct.save_data(self.path("e"), x, **kw)


@unittest.skipIf(torch is None, "torch is not installed")
class Torch(Dir):
    def modules(self, kind, layers, I=3, H=5, O=2):
        torch.manual_seed(1)
        cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}.get(kind)
        rnn = cls(I, H, num_layers=layers) if cls else torch.nn.RNN(I, H, num_layers=layers, nonlinearity=kind[4:])
        return rnn, torch.nn.Linear(H, O)

    def test_model_round_trip_strict(self):
        for kind in ct.CELLS:
            for layers in (1, 2, 3):
                with self.subTest(kind=kind, layers=layers):
                    rnn, head = self.modules(kind, layers)
                    ct.save_model(self.path("m"), rnn, head)
                    tensors, meta = ct.read_safetensors(self.path("m"))
                    self.assertEqual(meta, {"cell": kind})
                    self.assertEqual(len(tensors), 4 * layers + 2)
                    rnn2, head2 = ct.load_model(self.path("m"))
                    self.assertEqual(type(rnn2), type(rnn))
                    self.assertEqual((rnn2.num_layers, rnn2.input_size, rnn2.hidden_size), (layers, 3, 5))
                    for a, b in zip(list(rnn.state_dict().values()) + list(head.state_dict().values()), list(rnn2.state_dict().values()) + list(head2.state_dict().values())):
                        self.assertTrue(torch.equal(a, b))
                    if kind.startswith("rnn"):
                        self.assertEqual(rnn2.nonlinearity, kind[4:])

    def test_load_refuses(self):
        rnn, head = self.modules("rnn_tanh", 1)
        tensors, _ = ct.model_tensors(rnn, head)
        ct.write_safetensors(self.path("leak"), tensors, {"cell": "rnn_tanh", "alpha": "0.5"})
        with self.assertRaisesRegex(ct.ChronogradFileError, "alpha=0.5: a leaky vanilla cell.*no leak"):
            ct.load_model(self.path("leak"))
        ct.write_safetensors(self.path("alpha1"), tensors, {"cell": "rnn_tanh", "alpha": "1"})
        ct.load_model(self.path("alpha1"))
        ct.write_safetensors(self.path("nocell"), tensors)
        with self.assertRaisesRegex(ct.ChronogradFileError, "metadata 'cell' is missing"):
            ct.load_model(self.path("nocell"))
        prefixed = {"rnn." + k: v for k, v in tensors.items()}
        ct.write_safetensors(self.path("prefixed"), prefixed, {"cell": "rnn_tanh"})
        with self.assertRaisesRegex(ct.ChronogradFileError, "'weight_hh_l0' is missing \\(strip the module prefix"):
            ct.load_model(self.path("prefixed"))
        with self.assertRaisesRegex(ct.ChronogradFileError, "bidirectional"):
            ct.save_model(self.path("x"), torch.nn.GRU(2, 3, bidirectional=True), torch.nn.Linear(6, 1))
        with self.assertRaisesRegex(ct.ChronogradFileError, "proj_size=2"):
            ct.save_model(self.path("x"), torch.nn.LSTM(2, 3, proj_size=2), torch.nn.Linear(2, 1))
        with self.assertRaisesRegex(ct.ChronogradFileError, "bias=False"):
            ct.save_model(self.path("x"), torch.nn.GRU(2, 3, bias=False), torch.nn.Linear(3, 1))

    def test_loss_definitions(self):
        rnn, head = self.modules("lstm", 2)
        torch.manual_seed(2)
        x = torch.randn(6, 4, 3)
        y = torch.randn(6, 4, 2)
        out, _ = rnn(x)
        want = 0.5 * ((head(out) - y) ** 2).sum()
        self.assertTrue(torch.allclose(ct.loss(rnn, head, x, targets=y), want))
        # Unbatched data is the batch-of-one case.
        self.assertTrue(torch.allclose(ct.loss(rnn, head, x[:, 0], targets=y[:, 0]), 0.5 * ((head(out[:, 0]) - y[:, 0]) ** 2).sum()))
        c = torch.tensor([[0, 1, -100, 1]] * 6)
        logits = head(out)
        want = sum(torch.nn.functional.cross_entropy(logits[t, b : b + 1], c[t, b : b + 1]) for t in range(6) for b in range(4) if c[t, b] != -100)
        self.assertTrue(torch.allclose(ct.loss(rnn, head, x, classes=c), want))
        # h0 [L, H] is the same initial state for every batch column.
        h0, c0 = torch.randn(2, 5), torch.randn(2, 5)
        out, _ = rnn(x, (h0.unsqueeze(1).expand(2, 4, 5).contiguous(), c0.unsqueeze(1).expand(2, 4, 5).contiguous()))
        self.assertTrue(torch.allclose(ct.loss(rnn, head, x, targets=y, h0=h0, c0=c0), 0.5 * ((head(out) - y) ** 2).sum()))


if __name__ == "__main__":
    unittest.main()
