package cell

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chronograd/chronograd/kernels"
)

// Readout is a linear head ŷ = W·h + b with PyTorch's nn.Linear names: head.weight [O, H]
// and head.bias [O], stored in that order in one flat vector.
type Readout struct {
	out, hidden int
	params      []float32
	w           kernels.Mat
	b           []float32
	hT          []float32 // a batch's h transposed, one sequence's h per row
}

// twin is a readout that shares r's parameters with scratch of its own.
func (r *Readout) twin() *Readout {
	t := *r
	t.hT = make([]float32, len(r.hT))
	return &t
}

// NewReadout builds an O×H head with zero parameters.
func NewReadout(out, hidden int) (*Readout, error) {
	if out <= 0 || hidden <= 0 {
		return nil, fmt.Errorf("cell: readout sizes out=%d, hidden=%d must be positive", out, hidden)
	}
	if float64(out)*float64(hidden+1) > maxParams {
		return nil, fmt.Errorf("cell: readout %d×%d has too many parameters (limit %d)", out, hidden, maxParams)
	}
	r := &Readout{out: out, hidden: hidden, params: make([]float32, out*(hidden+1))}
	r.w = kernels.MatOf(out, hidden, r.params[:out*hidden])
	r.b = r.params[out*hidden:]
	return r, nil
}

// OutSize is O, the number of outputs.
func (r *Readout) OutSize() int { return r.out }

// HiddenSize is H, the number of hidden units read.
func (r *Readout) HiddenSize() int { return r.hidden }

// NumParams is O·(H+1).
func (r *Readout) NumParams() int { return len(r.params) }

// Params is the flat vector [head.weight; head.bias], owned by the readout; update it in
// place.
func (r *Readout) Params() []float32 { return r.params }

// Tensors names the views of Params (and of a readout gradient buffer).
func (r *Readout) Tensors() []Tensor {
	return []Tensor{
		{Name: "head.weight", Shape: []int{r.out, r.hidden}, Offset: 0},
		{Name: "head.bias", Shape: []int{r.out}, Offset: r.out * r.hidden},
	}
}

// InitDefault draws every parameter from U(-1/√H, 1/√H), nn.Linear's default, taking its
// numbers from rng (a math/rand/v2 generator).
func (r *Readout) InitDefault(rng *rand.Rand) {
	uniform(r.params, 1/math.Sqrt(float64(r.hidden)), rng)
}

// Forward overwrites y (length O) with W·h + b (h has length H). For a minibatch of B
// sequences, y (O·B) and h (H·B) are feature-major (element f·B + b is sequence b's) and
// the product is one Gemm.
func (r *Readout) Forward(y, h []float32) {
	b := r.batchOf("Forward", h)
	checkLen("Readout.Forward", "y", len(y), r.out*b)
	if b == 1 {
		copy(y, r.b)
		kernels.MatVecAdd(y, r.w, h)
		return
	}
	broadcastRows(y, r.b, b)
	kernels.Gemm(kernels.MatOf(r.out, b, y), r.w, kernels.MatOf(r.hidden, b, h))
}

// batchOf is the number of sequences whose h the vector holds.
func (r *Readout) batchOf(op string, h []float32) int {
	if len(h) == 0 || len(h)%r.hidden != 0 {
		panic(fmt.Sprintf("cell: Readout.%s: len(h) = %d is not a multiple of H = %d", op, len(h), r.hidden))
	}
	return len(h) / r.hidden
}

// Backward takes dy = ∂L/∂ŷ for the step whose input was h. It ADDS ∂L/∂W = dy·hᵀ and
// ∂L/∂b = dy into grad (the readout's own gradient buffer, length NumParams) unless grad
// is nil, and ADDS ∂L/∂h = Wᵀ·dy into dh unless dh is nil (so a BPTT sweep can add it
// straight into its δ; for LSTM pass δ[:H]). For a minibatch, h, dy and dh are
// feature-major as in Forward, and grad receives the sum over the sequences, in order.
func (r *Readout) Backward(dh, grad, h, dy []float32) {
	b := r.batchOf("Backward", h)
	checkLen("Readout.Backward", "dy", len(dy), r.out*b)
	if grad != nil {
		checkLen("Readout.Backward", "grad", len(grad), len(r.params))
		w := kernels.MatOf(r.out, r.hidden, grad[:r.out*r.hidden])
		if b == 1 {
			kernels.Ger(w, 1, dy, h)
			kernels.Axpy(1, dy, grad[r.out*r.hidden:])
		} else {
			// dy (O×B) times h transposed (B×H), the sequences' terms added in order:
			// GemmSeq's K terms one at a time, each rounding as a Ger of one sequence
			// does (a call per sequence cost rnn_tanh 2% of its minibatch step at
			// n = 128, B = 32). One transpose rather than a strided gather of h.
			if len(r.hT) < r.hidden*b {
				r.hT = make([]float32, r.hidden*b)
			}
			hT := kernels.MatOf(b, r.hidden, r.hT[:r.hidden*b])
			kernels.Transpose(hT, kernels.MatOf(r.hidden, b, h))
			kernels.GemmSeq(w, kernels.MatOf(r.out, b, dy), hT)
			addRowSums(grad[r.out*r.hidden:], dy, b)
		}
	}
	if dh != nil {
		checkLen("Readout.Backward", "dh", len(dh), r.hidden*b)
		if b == 1 {
			kernels.MatTVecAdd(dh, r.w, dy)
			return
		}
		kernels.GemmTN(kernels.MatOf(r.hidden, b, dh), r.w, kernels.MatOf(r.out, b, dy))
	}
}
