package cell

import (
	"math"

	"github.com/chronograd/chronograd/kernels"
)

// WeightPacks holds snapshots of a model's weight matrices packed for the Gemm kernels
// (kernels.Packed), which the minibatch steps of the caches attached to it
// (StepCache.SetWeightPacks) multiply by in place of the matrices themselves. The
// products have the same bits either way; packed, a weight matrix streams from memory
// as one sequential read, which at H = 512 (a few MiB per matrix, beyond L2, multiplied
// by only B columns per step) makes a minibatch step's products run about 1.8× faster
// (forward) and 2.4× faster (the backward's Wᵀ·δ). A lone sequence's steps (B = 1) run
// matrix-vector products and never read the packs.
//
// Packing costs about one pass over the weights, so it pays over the steps of a
// sequence between two weight updates. A snapshot does not follow the weights: the
// forward packs (PackForward) are for the steps of one sequence whose weights stay
// fixed, and the backward packs (PackBackward) for one backward sweep. Unpack drops them
// both; Changed reports whether the weights moved since PackForward.
//
// A WeightPacks is for one model and, like the model, not safe for concurrent use.
type WeightPacks struct {
	m        *Model
	batch    int
	layers   []*weightPack
	fwd, bwd bool
	sum      uint64 // the weights' fingerprint at PackForward
}

// weightPack is one layer's: W_ih, W_hh and their transposes (for the adjoint of the
// state and of the layer's input). set is the WeightPacks it belongs to.
type weightPack struct {
	ih, hh, ihT, hhT kernels.Packed
	set              *WeightPacks
}

// NewWeightPacks returns empty packs for the model's minibatches of batch sequences (the
// layout depends on the batch); they take memory when packed.
func (m *Model) NewWeightPacks(batch int) *WeightPacks {
	p := &WeightPacks{m: m, batch: batch, layers: make([]*weightPack, len(m.Layers))}
	for i := range p.layers {
		p.layers[i] = &weightPack{set: p}
	}
	return p
}

// SetWeightPacks makes the minibatch steps recorded in k multiply by p's packed weights
// while p holds them (nil: by the weights themselves). p must be the model's.
func (k *StepCache) SetWeightPacks(p *WeightPacks) {
	for i, c := range k.layers {
		c.packs = nil
		if p != nil {
			c.packs = p.layers[i]
		}
	}
}

// weightsOf returns layer l's W_ih (G·H×I, from its parameters) and W_hh (the matrix its
// steps multiply by: for the orthogonal cell the one it derives).
func weightsOf(l Cell) (wih, whh kernels.Mat) {
	lay := l.Layout()
	gh := lay.Gates * lay.Hidden
	return kernels.MatOf(gh, lay.Input, l.Params()[lay.WeightIH:lay.WeightHH]), l.RecurrentWeights()
}

// PackForward snapshots every layer's W_ih and W_hh for the forward steps and records a
// fingerprint of them for Changed.
func (p *WeightPacks) PackForward() {
	for i, l := range p.m.Layers {
		wih, whh := weightsOf(l)
		p.layers[i].ih.Pack(wih, p.batch)
		p.layers[i].hh.Pack(whh, p.batch)
	}
	p.fwd = true
	p.sum = p.fingerprint()
}

// PackBackward snapshots the transposes the backward steps multiply by: every layer's
// W_hhᵀ, and W_ihᵀ for the layers above the first (the first layer's input needs no
// adjoint).
func (p *WeightPacks) PackBackward() {
	for i, l := range p.m.Layers {
		wih, whh := weightsOf(l)
		p.layers[i].hhT.PackT(whh, p.batch)
		if i > 0 {
			p.layers[i].ihT.PackT(wih, p.batch)
		}
	}
	p.bwd = true
}

// Forward reports whether the forward packs are held (PackForward, until Unpack).
func (p *WeightPacks) Forward() bool { return p.fwd }

// Backward reports whether the backward packs are held (PackBackward, until Unpack or
// UnpackBackward).
func (p *WeightPacks) Backward() bool { return p.bwd }

// Unpack drops the snapshots (keeping their memory): steps read the weights again.
func (p *WeightPacks) Unpack() { p.fwd, p.bwd = false, false }

// UnpackBackward drops the backward snapshots only.
func (p *WeightPacks) UnpackBackward() { p.bwd = false }

// Changed reports whether some layer's W_ih or W_hh differs from what PackForward
// snapshot (false when no forward packs are held). It reads every weight once.
func (p *WeightPacks) Changed() bool { return p.fwd && p.fingerprint() != p.sum }

// fingerprint hashes every layer's W_ih and W_hh bit patterns (FNV-1a over 64-bit
// words of two entries, in four interleaved lanes so that the multiplications overlap;
// a row's last entries one word each): any change of an entry changes it but for a chance
// of about 2⁻⁶⁴. Two entries a multiplication made it 1.5× as fast as one (LSTM
// n = 512: 2.2 → 1.4 ms, twice a minibatch).
func (p *WeightPacks) fingerprint() uint64 {
	const prime = 1099511628211
	var h [4]uint64
	for i := range h {
		h[i] = 14695981039346656037 + uint64(i)
	}
	for _, l := range p.m.Layers {
		wih, whh := weightsOf(l)
		for _, w := range [2]kernels.Mat{wih, whh} {
			for r := range w.Rows {
				row := w.Row(r)
				j := 0
				for ; j+8 <= len(row); j += 8 {
					q := row[j : j+8 : j+8]
					h[0] = (h[0] ^ bitPair(q[0], q[1])) * prime
					h[1] = (h[1] ^ bitPair(q[2], q[3])) * prime
					h[2] = (h[2] ^ bitPair(q[4], q[5])) * prime
					h[3] = (h[3] ^ bitPair(q[6], q[7])) * prime
				}
				for ; j < len(row); j++ {
					h[0] = (h[0] ^ uint64(math.Float32bits(row[j]))) * prime
				}
			}
			h[1] = (h[1] ^ uint64(w.Rows)<<32 ^ uint64(w.Cols)) * prime
		}
	}
	return ((h[0]*prime^h[1])*prime^h[2])*prime ^ h[3]
}

// bitPair is the bit patterns of a and b as one word.
func bitPair(a, b float32) uint64 {
	return uint64(math.Float32bits(a)) | uint64(math.Float32bits(b))<<32
}

// Bytes is the memory of the packed copies (their capacity).
func (p *WeightPacks) Bytes() int64 {
	var n int64
	for _, l := range p.layers {
		n += l.ih.Bytes() + l.hh.Bytes() + l.ihT.Bytes() + l.hhT.Bytes()
	}
	return n
}
