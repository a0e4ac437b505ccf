package reservoir

import (
	"fmt"
	"math"

	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
)

// Readout is a trained linear map from a feature vector (typically reservoir
// states, optionally with the input appended) to outputs: y = Weight·z + Bias.
type Readout struct {
	Weight kernels.Mat // O×F
	Bias   []float32   // O
}

// Predict stores Weight·z + Bias in y. It panics, naming the sizes, on a length mismatch.
func (r *Readout) Predict(y, z []float32) {
	kernels.MatVec(y, r.Weight, z)
	kernels.Add(y, y, r.Bias)
}

// RidgeRegression trains a Readout in closed form,
//
//	[b W] = Y Zᵀ (Z Zᵀ + λI)⁻¹   with Z's rows augmented by a constant 1 for the bias,
//
// from samples streamed through Add: it keeps only the sums Z Zᵀ and Y Zᵀ, in float64
// (the Gram matrix of reservoir states is badly conditioned; float32 sums would lose the
// small eigenvalues that λ is meant to regularise), so memory does not grow with the
// sequence length. The first Washout samples are skipped, since the state then still
// depends on the arbitrary initial state.
type RidgeRegression struct {
	features, outputs int
	washout, seen     int
	gram              []float64 // (F+1)×(F+1), upper triangle accumulated
	cross             []float64 // O×(F+1)
	z                 []float64
}

// NewRidgeRegression prepares a ridge regression from features-long inputs to
// outputs-long targets that ignores the first washout samples.
func NewRidgeRegression(features, outputs, washout int) (*RidgeRegression, error) {
	if features <= 0 || outputs <= 0 || washout < 0 {
		return nil, fmt.Errorf("reservoir: ridge regression with %d features, %d outputs and washout %d: want positive sizes and a non-negative washout", features, outputs, washout)
	}
	f := features + 1
	return &RidgeRegression{
		features: features, outputs: outputs, washout: washout,
		gram:  make([]float64, f*f),
		cross: make([]float64, outputs*f),
		z:     make([]float64, f),
	}, nil
}

// Samples is the number of samples accumulated (after the washout).
func (r *RidgeRegression) Samples() int { return max(r.seen-r.washout, 0) }

// Add accumulates one sample. It panics, naming the sizes, on a length mismatch, and
// allocates nothing.
func (r *RidgeRegression) Add(z, y []float32) {
	if len(z) != r.features || len(y) != r.outputs {
		panic(fmt.Sprintf("reservoir: RidgeRegression.Add: len(z) = %d, len(y) = %d, want %d and %d", len(z), len(y), r.features, r.outputs))
	}
	r.seen++
	if r.seen <= r.washout {
		return
	}
	f := r.features + 1
	r.z[0] = 1
	for i, v := range z {
		r.z[i+1] = float64(v)
	}
	for i, zi := range r.z {
		row := r.gram[i*f : (i+1)*f]
		for j := i; j < f; j++ {
			row[j] += zi * r.z[j]
		}
	}
	for o, yo := range y {
		linalg.Axpy(float64(yo), r.z, r.cross[o*f:(o+1)*f])
	}
}

// Solve returns the readout for ridge parameter lambda ≥ 0. It fails when no sample was
// accumulated, on non-finite data, or when Z Zᵀ + λI is not positive definite (λ too small
// for the data).
func (r *RidgeRegression) Solve(lambda float64) (*Readout, error) {
	if !(lambda >= 0) || math.IsInf(lambda, 0) {
		return nil, fmt.Errorf("reservoir: ridge parameter %v is not a non-negative finite number", lambda)
	}
	if r.Samples() == 0 {
		return nil, fmt.Errorf("reservoir: ridge regression has no samples after a washout of %d", r.washout)
	}
	f := r.features + 1
	a := make([]float64, f*f)
	for i := range f {
		for j := i; j < f; j++ {
			a[i*f+j] = r.gram[i*f+j]
			a[j*f+i] = r.gram[i*f+j]
		}
		a[i*f+i] += lambda
	}
	if err := linalg.Cholesky(a, f); err != nil {
		return nil, fmt.Errorf("reservoir: ridge regression with λ = %v: %w", lambda, err)
	}
	out := &Readout{Weight: kernels.NewMat(r.outputs, r.features), Bias: make([]float32, r.outputs)}
	w := make([]float64, f)
	for o := range r.outputs {
		// A is symmetric, so row o of W solves A·wᵀ = (Y Zᵀ)ᵀ's column o.
		copy(w, r.cross[o*f:(o+1)*f])
		linalg.CholeskySolve(a, f, w)
		for i, v := range w {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("reservoir: ridge regression produced a non-finite weight (output %d, feature %d)", o, i-1)
			}
		}
		out.Bias[o] = float32(w[0])
		for i := range r.features {
			out.Weight.Set(o, i, float32(w[i+1]))
		}
	}
	return out, nil
}

// RecursiveLeastSquares trains a readout online: each Update moves the weights to the
// exact (exponentially weighted) least-squares solution over all samples so far, in O(F²)
// per sample and without allocating. P is the inverse of the weighted correlation of the
// augmented features, initialised to I/δ (a small δ makes early samples count fully; δ acts
// like a ridge parameter that fades with the forgetting factor). Arithmetic is float64:
// RLS in float32 loses P's symmetry and positive definiteness within a few thousand steps.
type RecursiveLeastSquares struct {
	features, outputs int
	forget            float64
	p                 []float64 // (F+1)×(F+1)
	w                 []float64 // O×(F+1), column 0 the bias
	z, pz             []float64
}

// NewRecursiveLeastSquares prepares RLS with P = I/delta and forgetting factor forget in
// (0, 1] (1 weighs all samples equally).
func NewRecursiveLeastSquares(features, outputs int, delta, forget float64) (*RecursiveLeastSquares, error) {
	switch {
	case features <= 0 || outputs <= 0:
		return nil, fmt.Errorf("reservoir: RLS with %d features and %d outputs: want positive sizes", features, outputs)
	case !(delta > 0) || math.IsInf(delta, 0):
		return nil, fmt.Errorf("reservoir: RLS δ = %v, want a positive finite number", delta)
	case !(forget > 0 && forget <= 1):
		return nil, fmt.Errorf("reservoir: RLS forgetting factor %v, want in (0, 1]", forget)
	}
	f := features + 1
	r := &RecursiveLeastSquares{
		features: features, outputs: outputs, forget: forget,
		p: make([]float64, f*f), w: make([]float64, outputs*f),
		z: make([]float64, f), pz: make([]float64, f),
	}
	for i := range f {
		r.p[i*f+i] = 1 / delta
	}
	return r, nil
}

func (r *RecursiveLeastSquares) resLoad(z []float32, op string) {
	if len(z) != r.features {
		panic(fmt.Sprintf("reservoir: RecursiveLeastSquares.%s: len(z) = %d, want %d", op, len(z), r.features))
	}
	r.z[0] = 1
	for i, v := range z {
		r.z[i+1] = float64(v)
	}
}

// Predict stores the current readout's output for features z in y.
func (r *RecursiveLeastSquares) Predict(y, z []float32) {
	r.resLoad(z, "Predict")
	if len(y) != r.outputs {
		panic(fmt.Sprintf("reservoir: RecursiveLeastSquares.Predict: len(y) = %d, want %d", len(y), r.outputs))
	}
	f := r.features + 1
	for o := range y {
		y[o] = float32(linalg.Dot(r.w[o*f:(o+1)*f], r.z))
	}
}

// Update takes one sample (features z, target y):
//
//	k = P z / (λ + zᵀ P z),  W += (y − W z) kᵀ,  P = (P − k zᵀ P) / λ
//
// It panics, naming the sizes, on a length mismatch.
func (r *RecursiveLeastSquares) Update(z, y []float32) {
	r.resLoad(z, "Update")
	if len(y) != r.outputs {
		panic(fmt.Sprintf("reservoir: RecursiveLeastSquares.Update: len(y) = %d, want %d", len(y), r.outputs))
	}
	f := r.features + 1
	for i := range f {
		r.pz[i] = linalg.Dot(r.p[i*f:(i+1)*f], r.z)
	}
	denom := r.forget + linalg.Dot(r.z, r.pz)
	for o, yo := range y {
		wo := r.w[o*f : (o+1)*f]
		e := float64(yo) - linalg.Dot(wo, r.z)
		linalg.Axpy(e/denom, r.pz, wo)
	}
	// P − pz·pzᵀ/denom (P is symmetric so zᵀP = pzᵀ); update the upper triangle and
	// mirror it, which keeps P exactly symmetric.
	inv := 1 / r.forget
	for i := range f {
		ci := r.pz[i] / denom
		for j := i; j < f; j++ {
			v := (r.p[i*f+j] - ci*r.pz[j]) * inv
			r.p[i*f+j] = v
			r.p[j*f+i] = v
		}
	}
}

// Readout returns a snapshot of the current weights.
func (r *RecursiveLeastSquares) Readout() *Readout {
	f := r.features + 1
	out := &Readout{Weight: kernels.NewMat(r.outputs, r.features), Bias: make([]float32, r.outputs)}
	for o := range r.outputs {
		out.Bias[o] = float32(r.w[o*f])
		for i := range r.features {
			out.Weight.Set(o, i, float32(r.w[o*f+i+1]))
		}
	}
	return out
}
