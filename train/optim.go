package train

import (
	"fmt"
	"math"
	"reflect"
	"sync/atomic"

	"github.com/chronograd/chronograd/kernels"
)

// Optimizer updates parameter groups in place from their gradients. Groups are matched
// by position: grads[i] is the gradient of params[i]. State is allocated on the first
// step; later steps allocate nothing. An optimizer belongs to one set of parameters.
//
// Gradients must be finite: the caller checks them (GlobalNorm or ClipGlobalNorm report
// a non-finite norm) before calling Step, because a NaN element would poison the
// optimizer's state. A Step that returns an error has changed neither the parameters
// nor the optimizer's state.
type Optimizer interface {
	Step(params, grads [][]float32) error
	// Reset forgets the optimizer's state (momentum, moment estimates, step count).
	Reset()
}

// Binder is implemented by optimizers that refuse to serve two learners: a learner calls
// Bind with itself when it is constructed, and a second learner's Bind returns an error,
// so sharing is refused at construction instead of failing (or silently mixing two
// models' state) at the second learner's first update. SGD and Adam implement it.
type Binder interface {
	Bind(owner any) error
}

// owner records the learner an optimizer serves; the zero value is unbound. It is set
// once, atomically, so two learners built concurrently cannot both succeed. (An
// atomic.Value rather than an atomic.Pointer, whose no-copy marker would make vet refuse
// every copy of an SGD or Adam value used as a template.)
type owner struct {
	v atomic.Value // *ownerBox
}

type ownerBox struct{ v any }

func (o *owner) bind(name string, v any) error {
	if v == nil {
		return fmt.Errorf("train: %s.Bind: the owner is nil", name)
	}
	if !reflect.ValueOf(v).Comparable() {
		return fmt.Errorf("train: %s.Bind: the owner (a %T) is not comparable; pass a pointer", name, v)
	}
	if o.v.CompareAndSwap(nil, &ownerBox{v}) {
		return nil
	}
	if cur := o.v.Load().(*ownerBox); reflect.TypeOf(cur.v) == reflect.TypeOf(v) && cur.v == v {
		return nil
	}
	return fmt.Errorf("train: this %s optimizer already belongs to another learner; give each learner its own optimizer", name)
}

func checkGroups(name string, params, grads [][]float32, state [][]float32) error {
	if len(params) != len(grads) {
		return fmt.Errorf("%s: %d parameter groups but %d gradient groups", name, len(params), len(grads))
	}
	if state != nil && len(state) != len(params) {
		return fmt.Errorf("%s: %d parameter groups, but the optimizer was started with %d", name, len(params), len(state))
	}
	for i := range params {
		if len(params[i]) != len(grads[i]) {
			return fmt.Errorf("%s: group %d has %d parameters but %d gradients", name, i, len(params[i]), len(grads[i]))
		}
		if state != nil && len(state[i]) != len(params[i]) {
			return fmt.Errorf("%s: group %d changed size from %d to %d parameters", name, i, len(state[i]), len(params[i]))
		}
	}
	return nil
}

func zerosLike(groups [][]float32) [][]float32 {
	s := make([][]float32, len(groups))
	for i, g := range groups {
		s[i] = make([]float32, len(g))
	}
	return s
}

func finite(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }

// checkLR refuses a learning rate that is not a positive finite number.
func checkLR(name string, lr float32) error {
	if !finite(lr) || lr <= 0 {
		return fmt.Errorf("train: %s: learning rate %v must be a positive finite number", name, lr)
	}
	return nil
}

// checkUnit refuses a hyperparameter outside [0, 1) (NaN included).
func checkUnit(name, field string, x float32) error {
	if !(x >= 0 && x < 1) {
		return fmt.Errorf("train: %s: %s %v must be in [0, 1)", name, field, x)
	}
	return nil
}

// SGD is stochastic gradient descent with momentum as PyTorch defines it:
// v ← μ·v + g, θ ← θ − lr·v (plain SGD when Momentum is 0). The zero value is refused:
// LR must be set.
type SGD struct {
	// LR is the learning rate, a positive finite number.
	LR float32
	// Momentum μ is in [0, 1). PyTorch also admits μ ≥ 1, but then the velocity never
	// forgets a gradient and grows without bound, so it is refused here.
	Momentum float32
	velocity [][]float32
	owner    owner
}

// Validate reports a learning rate that is not positive and finite, or a momentum
// outside [0, 1). Step calls it on every step (the fields may change between steps); a
// learner calls it at construction to refuse a bad optimizer before the first event.
func (o *SGD) Validate() error {
	if err := checkLR("sgd", o.LR); err != nil {
		return err
	}
	return checkUnit("sgd", "momentum", o.Momentum)
}

// Bind makes owner the only learner this optimizer serves: the first call records it,
// later calls with the same owner return nil and calls with any other owner (or nil, or
// a value that cannot be compared) return an error. Reset does not release the binding.
func (o *SGD) Bind(owner any) error { return o.owner.bind("sgd", owner) }

// Step applies one update; see Optimizer. It returns an error, changing nothing, for
// mismatched groups or a hyperparameter that Validate refuses.
func (o *SGD) Step(params, grads [][]float32) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := checkGroups("sgd", params, grads, o.velocity); err != nil {
		return err
	}
	if o.Momentum != 0 && o.velocity == nil {
		o.velocity = zerosLike(params)
	}
	for i, p := range params {
		g := grads[i]
		if o.Momentum == 0 {
			kernels.Axpy(-o.LR, g, p)
			continue
		}
		v := o.velocity[i]
		kernels.Scale(o.Momentum, v)
		kernels.Axpy(1, g, v)
		kernels.Axpy(-o.LR, v, p)
	}
	return nil
}

// Reset forgets the velocity.
func (o *SGD) Reset() { o.velocity = nil }

// adamGradBound is the largest gradient magnitude that Adam's moments see; larger
// elements (and ±Inf) are clamped to it before both moments are updated.
//
// Why clamp, and why here: the second moment v accumulates (1−β2)·g², which overflows
// float32 for |g| ≳ 2⁶⁴ (g² > 3.4e38); v becomes +Inf, stays +Inf (Inf·β2 = Inf), and
// every later update of that weight is m/Inf = 0, so the learner freezes for good.
// Adam's step m̂/√v̂ does not depend on the gradient's scale (it is ≈ ±lr for one large
// gradient), so clamping the element to 2⁶³ before both moments gives the same step
// Adam takes in exact arithmetic, keeps m ≤ 2⁶³ and v ≤ 2¹²⁶ (with room to spare below
// float32's 2¹²⁸ for the rounding of the sums), and recovers sooner after the outlier
// because v starts lower. Every gradient with |g| ≤ 2⁶³ ≈ 9.2e18 goes through exactly
// PyTorch's float32 formula, bit for bit; only gradients within a factor of 2 of
// PyTorch's own overflow differ. Scaling v instead would need a shared scale that
// underflows the small elements' v to 0 and turns their steps into m/ε.
const adamGradBound = 0x1p63

// Adam is Kingma & Ba's optimizer with PyTorch's defaults and bias correction:
// m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − lr·m̂/(√v̂ + ε) with m̂ = m/(1−β1ᵗ),
// v̂ = v/(1−β2ᵗ). Nil Beta1, Beta2 and Eps take the defaults 0.9, 0.999 and 1e-8 (zero is
// a valid value of each: new(float32(0))); LR has no default and must be set.
//
// The arithmetic is PyTorch's float32 formula, operation by operation and without fused
// multiply-adds, so results match torch.optim.Adam bit for bit, except that gradient
// elements beyond ±2⁶³ (where PyTorch's second moment is about to overflow to +Inf and
// freeze the weight forever) are clamped to ±2⁶³ before entering the moments: a finite
// (or infinite) gradient can never make the moments non-finite. The step runs on
// kernels.AdamUpdate (SIMD on amd64 and arm64, the same bits on every tier) and allocates
// nothing after the first, which allocates the moments.
type Adam struct {
	// LR is the learning rate, a positive finite number.
	LR float32
	// Beta1 and Beta2 are the moments' decay rates, in [0, 1) (nil: 0.9 and 0.999).
	Beta1, Beta2 *float32
	// Eps is added to the denominator, a non-negative finite number (nil: 1e-8).
	Eps   *float32
	m, v  [][]float32
	t     int
	owner owner
}

// hyper returns the effective β1, β2 and ε. The defaults are float64 constants, as
// PyTorch's Python floats are: its bias corrections 1 − βᵗ are computed in float64.
func (o *Adam) hyper() (b1, b2, eps float64) {
	b1, b2, eps = 0.9, 0.999, 1e-8
	if o.Beta1 != nil {
		b1 = float64(*o.Beta1)
	}
	if o.Beta2 != nil {
		b2 = float64(*o.Beta2)
	}
	if o.Eps != nil {
		eps = float64(*o.Eps)
	}
	return b1, b2, eps
}

// Validate reports a learning rate that is not positive and finite, a Beta1 or Beta2
// outside [0, 1), or an Eps that is negative or not finite (PyTorch's rules). Step calls
// it on every step; a learner calls it at construction.
func (o *Adam) Validate() error {
	if err := checkLR("adam", o.LR); err != nil {
		return err
	}
	b1, b2, eps64 := o.hyper()
	if err := checkUnit("adam", "Beta1", float32(b1)); err != nil {
		return err
	}
	if err := checkUnit("adam", "Beta2", float32(b2)); err != nil {
		return err
	}
	if eps := float32(eps64); !finite(eps) || eps < 0 {
		return fmt.Errorf("train: adam: Eps %v must be a non-negative finite number", eps)
	}
	return nil
}

// Bind makes owner the only learner this optimizer serves: the first call records it,
// later calls with the same owner return nil and calls with any other owner (or nil, or
// a value that cannot be compared) return an error. Reset does not release the binding.
func (o *Adam) Bind(owner any) error { return o.owner.bind("adam", owner) }

// Step applies one update; see Optimizer and adamGradBound. It returns an error,
// changing nothing, for mismatched groups, a hyperparameter that Validate refuses, or a
// learning rate so large that lr/(1−β1ᵗ) overflows float32.
func (o *Adam) Step(params, grads [][]float32) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := checkGroups("adam", params, grads, o.m); err != nil {
		return err
	}
	b1, b2, eps := o.hyper()
	t := float64(o.t + 1)
	c1 := 1 - math.Pow(b1, t)
	// The step's constants, rounded to float32 as PyTorch rounds its Python scalars when
	// it applies them to float32 tensors.
	k := kernels.AdamCoefficients{
		Beta1: float32(b1), OneMinusBeta1: float32(1 - b1), Beta2: float32(b2), OneMinusBeta2: float32(1 - b2),
		Correction2: float32(math.Sqrt(1 - math.Pow(b2, t))),
		Eps:         float32(eps),
		StepSize:    float32(float64(o.LR) / c1),
		GradBound:   adamGradBound,
	}
	if !finite(k.StepSize) {
		return fmt.Errorf("train: adam: the step size lr/(1−β1ᵗ) = %g/%g overflows float32", o.LR, c1)
	}
	if o.m == nil {
		o.m, o.v = zerosLike(params), zerosLike(params)
	}
	o.t++
	for i, p := range params {
		// PyTorch's order, each operation rounded on its own: m ← β1·m + (1−β1)·g,
		// v ← β2·v + ((1−β2)·g)·g, θ ← θ − (lr/(1−β1ᵗ))·m / (√v/√(1−β2ᵗ) + ε).
		kernels.AdamUpdate(p, grads[i], o.m[i], o.v[i], k)
	}
	return nil
}

// Reset forgets the moment estimates and the step count.
func (o *Adam) Reset() { o.m, o.v, o.t = nil, nil, 0 }

// GlobalNorm returns the Euclidean norm of all gradient groups together, computed in
// float64 (each group's sum of squares by kernels.SumSquares, whose float64 partial sums
// give the same bits on every architecture). A NaN or infinite element makes it NaN or
// +Inf.
func GlobalNorm(grads [][]float32) float64 {
	var s float64
	for _, g := range grads {
		s += kernels.SumSquares(g)
	}
	return math.Sqrt(s)
}

// CheckClipNorm refuses a clipping bound that is NaN, infinite or negative; 0 (no
// clipping) and positive finite bounds are accepted. A learner calls it at construction.
func CheckClipNorm(maxNorm float64) error {
	if math.IsNaN(maxNorm) || math.IsInf(maxNorm, 0) || maxNorm < 0 {
		return fmt.Errorf("train: gradient clipping norm %v must be 0 (no clipping) or a positive finite number", maxNorm)
	}
	return nil
}

// ClipGlobalNorm scales every group by maxNorm/(norm+1e-6) when the global norm exceeds
// maxNorm (PyTorch's clip_grad_norm_), and returns the norm before clipping. maxNorm 0
// means no clipping. It returns an error, changing nothing, when maxNorm is refused by
// CheckClipNorm, and when the norm is NaN or infinite (the error wraps ErrNonFinite and
// the norm is returned too): the update must then be skipped.
func ClipGlobalNorm(grads [][]float32, maxNorm float64) (float64, error) {
	if err := CheckClipNorm(maxNorm); err != nil {
		return 0, err
	}
	norm := GlobalNorm(grads)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("train: %w (gradient norm %v)", ErrNonFinite, norm)
	}
	if maxNorm == 0 {
		return norm, nil
	}
	coef := maxNorm / (norm + 1e-6)
	if coef >= 1 {
		return norm, nil
	}
	// A coefficient below float32's normal range (a huge norm and a tiny bound) would
	// round to a subnormal or to 0 and lose the gradient's direction: apply it in two
	// exact-enough factors instead.
	const split = 0x1p-64
	if float32(coef) < 0x1p-126 {
		for _, g := range grads {
			kernels.Scale(split, g)
		}
		coef /= split
	}
	for _, g := range grads {
		kernels.Scale(float32(coef), g)
	}
	return norm, nil
}

// validate runs an optimizer's Validate method when it has one.
func validate(opt Optimizer) error {
	if v, ok := opt.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}
