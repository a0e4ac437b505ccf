package train_test

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// streamBytes encodes events (x0, x1, y) as the fuzz target reads them: an optimizer
// byte, then 12 little-endian float32 bits per event.
func streamBytes(opt byte, events ...[3]float32) []byte {
	b := []byte{opt}
	for _, e := range events {
		for _, v := range e {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	return b
}

// FuzzOnlineObserve feeds arbitrary float32 event streams (any bits: NaN, ±Inf,
// subnormals, ±MaxFloat32) to a learner with the zero OnlineConfig (no clipping) and
// checks that Observe never panics, never returns a nil error with a non-finite loss,
// never changes the weights when it returns an error, never leaves a non-finite weight,
// and that an outlier after the stream leaves no trace: after Reset the learner goes on
// bit for bit as its twin, which saw the same stream but not the outlier.
func FuzzOnlineObserve(f *testing.F) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	calm := [3]float32{0.3, -0.2, 0.1}
	f.Add(streamBytes(0))
	f.Add(streamBytes(1, calm, calm, calm))
	f.Add(streamBytes(0, calm, [3]float32{0.3, -0.2, 3e30}, calm))
	f.Add(streamBytes(1, calm, [3]float32{0.3, -0.2, 1e20}, calm, calm))
	f.Add(streamBytes(0, [3]float32{nan, 0, 1}, [3]float32{0, inf, 1}, [3]float32{0, 0, -inf}, calm))
	f.Add(streamBytes(1, [3]float32{math.MaxFloat32, -math.MaxFloat32, 0}, [3]float32{math.MaxFloat32, math.MaxFloat32, math.MaxFloat32}, calm))
	f.Add(streamBytes(2, [3]float32{1e-45, -1e-45, 1e-38}, [3]float32{1e19, 1e19, -2.5e19}, [3]float32{1, 1, -2.5e19}, calm))
	f.Add(streamBytes(3, calm, [3]float32{0.1, 0.1, 2e19}, [3]float32{0.1, 0.1, 2e19}, [3]float32{0.1, 0.1, 2e19}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		opt := "sgd"
		if data[0]%2 == 1 {
			opt = "adam"
		}
		events := data[1:]
		events = events[:min(len(events), 64*12)/12*12]
		l, m := learnerFor(t, opt)
		twin, tm := learnerFor(t, opt)
		pred := make([]float32, 1)
		for len(events) >= 12 {
			v := func(i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(events[4*i:])) }
			x, y := []float32{v(0), v(1)}, []float32{v(2)}
			events = events[12:]
			before := weights(m)
			loss, err := l.Observe(pred, x, y)
			loss2, err2 := twin.Observe(pred, x, y)
			if loss != loss2 && !(loss != loss && loss2 != loss2) || (err == nil) != (err2 == nil) {
				t.Fatalf("two identical learners disagree: (%v, %v) and (%v, %v)", loss, err, loss2, err2)
			}
			if err == nil && !isFinite(loss) {
				t.Fatalf("Observe(%v, %v) = %v with a nil error", x, y, loss)
			}
			after := weights(m)
			if err != nil && !slices.Equal(after, before) {
				t.Fatalf("Observe(%v, %v) failed (%v) and changed the weights", x, y, err)
			}
			for _, w := range after {
				if !isFinite(w) {
					t.Fatalf("Observe(%v, %v) = (%v, %v) left a weight %v", x, y, loss, err, w)
				}
			}
		}
		// The outlier: a calm input with a target whose loss overflows float32.
		before := weights(m)
		if loss, err := l.Observe(pred, []float32{0.3, -0.2}, []float32{3e30}); err == nil {
			t.Fatalf("the outlier was accepted with loss %v", loss)
		}
		if !slices.Equal(weights(m), before) {
			t.Fatal("the outlier changed the weights")
		}
		if err := l.Reset(); err != nil {
			t.Fatal(err)
		}
		if err := twin.Reset(); err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			x, y := event(i)
			l1, err1 := l.Observe(pred, x, y)
			l2, err2 := twin.Observe(pred, x, y)
			if (l1 != l2 && !(l1 != l1 && l2 != l2)) || (err1 == nil) != (err2 == nil) || !slices.Equal(weights(m), weights(tm)) {
				t.Fatalf("event %d after the outlier and Reset: (%v, %v), the twin (%v, %v): the outlier left a trace", i, l1, err1, l2, err2)
			}
		}
	})
}

func isFinite(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }
