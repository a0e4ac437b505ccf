package task

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAdding(t *testing.T) {
	task, err := New("adding", 50)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var seq Sequence
	var meanTarget float64
	const n = 2000
	for range n {
		task.Fill(&seq, rng)
		markers, sum := 0, float32(0)
		for step := 0; step < seq.T; step++ {
			x := seq.Input(step)
			if x[0] < 0 || x[0] >= 1 {
				t.Fatalf("value %v outside [0, 1)", x[0])
			}
			if x[1] == 1 {
				markers++
				sum += x[0]
				if half := step < seq.T/2; markers == 1 && !half || markers == 2 && half {
					t.Fatalf("marker %d at step %d is in the wrong half", markers, step)
				}
			}
			if y := seq.Values(step); (y != nil) != (step == seq.T-1) {
				t.Fatalf("target presence at step %d: %v", step, y)
			}
		}
		if markers != 2 || seq.Values(seq.T - 1)[0] != sum {
			t.Fatalf("%d markers, target %v, sum %v", markers, seq.Values(seq.T - 1)[0], sum)
		}
		meanTarget += float64(sum) / n
	}
	if math.Abs(meanTarget-1) > 0.03 {
		t.Fatalf("mean target %v, want about 1", meanTarget)
	}
}

func TestCopy(t *testing.T) {
	task, err := New("copy", 20)
	if err != nil {
		t.Fatal(err)
	}
	c := task.(Copy)
	rng := rand.New(rand.NewPCG(3, 4))
	var seq Sequence
	task.Fill(&seq, rng)
	if seq.T != 40 || seq.In != 10 || seq.Out != 10 {
		t.Fatalf("T=%d In=%d Out=%d", seq.T, seq.In, seq.Out)
	}
	for step := 0; step < seq.T; step++ {
		in := argmaxOneHot(seq.Input(step))
		switch {
		case step < c.Symbols:
			if in < 1 || in > 8 {
				t.Fatalf("step %d: symbol %d", step, in)
			}
		case step == c.Symbols+c.Delay-1:
			if in != copyDelimiter {
				t.Fatalf("no delimiter at step %d", step)
			}
		default:
			if in != copyBlank {
				t.Fatalf("step %d: input %d, want blank", step, in)
			}
		}
		want := copyBlank
		if step >= c.Symbols+c.Delay {
			want = argmaxOneHot(seq.Input(step - c.Symbols - c.Delay))
		}
		if seq.Classes[step] != int32(want) || seq.Values(step)[want] != 1 {
			t.Fatalf("step %d: class %d, want %d", step, seq.Classes[step], want)
		}
	}
}

func TestSine(t *testing.T) {
	task, err := New("sine", 100)
	if err != nil {
		t.Fatal(err)
	}
	var seq Sequence
	task.Fill(&seq, rand.New(rand.NewPCG(5, 6)))
	// The target obeys the sine recurrence y[t+1] = 2cos(ω)·y[t] − y[t−1] for ω from the cue.
	omega := 0.35 + 0.25*float64(seq.Input(0)[0])
	for step := 1; step < seq.T-1; step++ {
		y0, y1, y2 := float64(seq.Targets[step-1]), float64(seq.Targets[step]), float64(seq.Targets[step+1])
		if math.Abs(y2-(2*math.Cos(omega)*y1-y0)) > 1e-5 {
			t.Fatalf("step %d: targets do not follow a sine of ω=%v", step, omega)
		}
	}
}

func TestDeterministicAndAllocationFree(t *testing.T) {
	for _, name := range []string{"adding", "copy", "sine", "mackey-glass"} {
		task, err := New(name, 30)
		if err != nil {
			t.Fatal(err)
		}
		var a, b Sequence
		task.Fill(&a, rand.New(rand.NewPCG(7, 8)))
		task.Fill(&b, rand.New(rand.NewPCG(7, 8)))
		for i := range a.Inputs {
			if a.Inputs[i] != b.Inputs[i] {
				t.Fatalf("%s: same seed, different inputs", name)
			}
		}
		rng := rand.New(rand.NewPCG(9, 10))
		if allocs := testing.AllocsPerRun(20, func() { task.Fill(&a, rng) }); allocs != 0 {
			t.Errorf("%s: Fill allocates %v times on a reused sequence", name, allocs)
		}
	}
}

func TestNewRejects(t *testing.T) {
	for _, c := range []struct {
		name   string
		length int
	}{{"adding", 1}, {"copy", 0}, {"sine", -3}, {"bogus", 10}} {
		if _, err := New(c.name, c.length); err == nil {
			t.Errorf("New(%q, %d) accepted", c.name, c.length)
		}
	}
}

func TestMackeyGlassTask(t *testing.T) {
	task, err := New("mackey-glass", 50)
	if err != nil {
		t.Fatal(err)
	}
	var seq Sequence
	task.Fill(&seq, rand.New(rand.NewPCG(11, 12)))
	for step := 0; step < seq.T-1; step++ {
		if x, y := seq.Input(step)[0], seq.Values(step)[0]; x < -1 || x > 1 || y != seq.Input(step + 1)[0] {
			t.Fatalf("step %d: input %v, target %v, next input %v", step, x, y, seq.Input(step + 1)[0])
		}
	}
	if _, err := New("mackey-glass", mackeyGlassSamples); err == nil {
		t.Fatal("accepted a window longer than the series")
	}
}
