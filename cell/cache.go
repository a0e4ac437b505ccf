package cell

import (
	"fmt"

	"github.com/chronograd/chronograd/kernels"
)

// Cache holds what one step's forward pass records for its backward pass and Jacobians:
// s_{t-1}, x_t, and the cell's activations. Its accessors let online algorithms (RFLO,
// e-prop) read the quantities their eligibility traces need.
//
// A cache for a minibatch of B sequences (NewBatchCache) holds each quantity
// feature-major: row f of the B×-wide block is feature f of every sequence, element
// f·B + b belongs to sequence b. With B = 1 that is the plain vector.
type Cache struct {
	kind                 Kind
	hidden, input, batch int
	data                 []float32 // prev, x, gates and aux, one after the other
	prev, x              []float32
	gates, aux           []float32
	projected            bool             // ProjectInputs has prepared it for ForwardProjected
	workers              *kernels.Workers // the batch's products are split over them (nil: one)
	packs                *weightPack      // the layer's packed weights (see WeightPacks), or nil
}

func newCache(kind Kind, hidden, input, batch int) *Cache {
	s := hidden * kind.StateFactor() * batch
	in := input * batch
	gh := kind.Gates() * hidden * batch
	hb := hidden * batch
	data := make([]float32, s+in+gh+hb)
	return &Cache{
		kind: kind, hidden: hidden, input: input, batch: batch,
		data:  data,
		prev:  data[:s:s],
		x:     data[s : s+in : s+in],
		gates: data[s+in : s+in+gh : s+in+gh],
		aux:   data[s+in+gh:],
	}
}

// SetWorkers splits the matrix products of the steps recorded in the cache over w (nil:
// the caller alone). The results have the same bits for any number of workers.
func (c *Cache) SetWorkers(w *kernels.Workers) { c.workers = w }

// Batch is B, the number of sequences the cache holds a step of.
func (c *Cache) Batch() int { return c.batch }

// block is H·B, the length of one state or gate block of the cache's batch.
func (c *Cache) block() int { return c.hidden * c.batch }

// CopySequence copies sequence b of the batch cache c into dst, a cache of one sequence
// for the same cell, so that the per-sequence methods (the Jacobians) can read it.
func (c *Cache) CopySequence(dst *Cache, b int) {
	if dst.batch != 1 || dst.kind != c.kind || dst.hidden != c.hidden || dst.input != c.input || b < 0 || b >= c.batch {
		panic(fmt.Sprintf("cell: CopySequence: sequence %d of a %v(H=%d, I=%d) cache of %d into a %v(H=%d, I=%d) cache of %d",
			b, c.kind, c.hidden, c.input, c.batch, dst.kind, dst.hidden, dst.input, dst.batch))
	}
	gather := func(d, s []float32) {
		for f := range d {
			d[f] = s[f*c.batch+b]
		}
	}
	gather(dst.prev, c.prev)
	gather(dst.x, c.x)
	gather(dst.gates, c.gates)
	gather(dst.aux, c.aux)
	dst.projected = false
}

// Data is everything the cache records, in one buffer that Prev, Input, Gates and the
// cell's other activations are views of. An algorithm that keeps caches from one step to
// the next (truncated BPTT's ring) saves it into a checkpoint and copies it back into a
// cache of the same cell and batch to resume; a cache restored so is one that Forward
// wrote.
func (c *Cache) Data() []float32 { return c.data }

// Bytes is the memory the cache holds.
func (c *Cache) Bytes() int { return 4 * (len(c.prev) + len(c.x) + len(c.gates) + len(c.aux)) }

// Prev is s_{t-1} (length S; for LSTM [h_{t-1}; c_{t-1}]); for a batch, feature-major.
func (c *Cache) Prev() []float32 { return c.prev }

// Input is x_t; for a batch, feature-major. A driver may write the next step's x_t
// here itself and pass this slice to Forward, which then does not copy it.
func (c *Cache) Input() []float32 { return c.x }

// Gates are the activated gates in PyTorch's order, G·H values: GRU r, z, n; LSTM i, f,
// g, o (nil for the vanilla and orthogonal cells).
func (c *Cache) Gates() []float32 {
	if c.kind.IsVanilla() || c.kind == Orthogonal {
		return nil
	}
	return c.gates
}
