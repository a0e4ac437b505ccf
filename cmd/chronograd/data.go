package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/internal/safetensors"
	"github.com/chronograd/chronograd/task"
)

// ignoreClass marks a step without a class target in a data file (PyTorch's ignore_index
// default).
const ignoreClass = -100

// maxDataValues bounds the values one data file may hold (2²⁷ float32 values: 512 MiB),
// so that a typo in -length or -sequences is an error, not an out-of-memory kill.
const maxDataValues = 1 << 27

// runData writes a task's sequences as a data file that grad and diagnose read (and
// PyTorch, through python/chronograd_torch.py).
func runData(args []string, stdout, _ io.Writer) error {
	fs := newFlags("data", stdout)
	taskName := fs.String("task", "", "task: adding, copy, sine or mackey-glass (required)")
	length := fs.Int("length", 50, "sequence length T (adding, sine, mackey-glass) or delay L (copy: T = L + 20)")
	sequences := fs.Int("sequences", 1, "sequences written one after another along the time axis, as one stream")
	batch := fs.Int("batch", 0, "sequences side by side on a batch axis: inputs [T, B, I] (0: no batch axis, inputs [T, I])")
	seed := fs.Uint64("seed", 1, "seed of the sequences")
	unscored := fs.String("unscored", "refuse", "regression steps without a target (the adding problem scores only its last step): refuse, or zero (write target 0 there; the loss then scores those steps too)")
	out := fs.String("out", "", "data `file` to write (safetensors: inputs, and targets or classes)")
	limit := memLimitFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *taskName == "":
		return fmt.Errorf("-task is required (adding, copy, sine or mackey-glass)")
	case *out == "":
		return fmt.Errorf("-out is required")
	case *sequences < 1:
		return fmt.Errorf("-sequences %d must be at least 1", *sequences)
	case *batch < 0:
		return fmt.Errorf("-batch %d must not be negative (0: no batch axis)", *batch)
	case *unscored != "refuse" && *unscored != "zero":
		return fmt.Errorf("-unscored %q: want refuse or zero", *unscored)
	}
	if err := checkOutput("out", *out); err != nil {
		return err
	}
	tk, err := task.New(*taskName, *length)
	if err != nil {
		return err
	}
	if err := checkData(tk, *length, *sequences, *batch, limit); err != nil {
		return err
	}
	f, summary, err := taskData(tk, *sequences, *batch, *seed, *unscored == "zero")
	if err != nil {
		return err
	}
	if err := safetensors.WriteFile(*out, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s\n", *out, summary)
	return nil
}

// taskData draws sequences·max(batch, 1) sequences of tk: batch column b holds sequences
// b·sequences … (b+1)·sequences−1 of the seeded stream, one after another in time. It
// returns the file and a one-line description of it.
func taskData(tk task.Task, sequences, batch int, seed uint64, zeroUnscored bool) (*safetensors.File, string, error) {
	rng := rand.New(rand.NewPCG(seed, 0x64617461))
	var seq task.Sequence
	tk.Fill(&seq, rng)
	T, in, out := seq.T, seq.In, seq.Out
	B := max(batch, 1)
	classes := tk.Classification()
	width := in
	if !classes {
		width = max(in, out)
	}
	if total := int64(T) * int64(sequences) * int64(B) * int64(width); total > maxDataValues || total <= 0 {
		return nil, "", fmt.Errorf("%d sequences of T=%d steps × %d values would hold %d values per tensor; at most %d", sequences*B, T, width, total, maxDataValues)
	}
	steps := T * sequences
	inputs := make([]float32, steps*B*in)
	var targets []float32
	var labels []int64
	if classes {
		labels = make([]int64, steps*B)
	} else {
		targets = make([]float32, steps*B*out)
	}
	scored := 0
	for b := range B {
		for n := range sequences {
			if b > 0 || n > 0 {
				tk.Fill(&seq, rng)
			}
			if seq.T != T {
				return nil, "", fmt.Errorf("task %s drew sequences of %d and %d steps; a data file needs one length", tk.Name(), T, seq.T)
			}
			for t := range T {
				row := (n*T+t)*B + b // (step, column) in the [steps, B] grid
				copy(inputs[row*in:(row+1)*in], seq.Input(t))
				if seq.Mask[t] {
					scored++
				}
				switch {
				case classes && seq.Mask[t]:
					labels[row] = int64(seq.Classes[t])
				case classes:
					labels[row] = ignoreClass
				case seq.Mask[t]:
					copy(targets[row*out:(row+1)*out], seq.Target(t).Values)
				case !zeroUnscored:
					return nil, "", fmt.Errorf("task %s has a target at %d of its %d steps; a data file's float targets score every step: "+
						"pass -unscored zero to write target 0 at the others (the loss then counts them), or use a task that scores every step (sine, mackey-glass, copy)",
						tk.Name(), countTrue(seq.Mask), T)
				}
			}
		}
	}
	lead := []int{steps}
	if batch > 0 {
		lead = []int{steps, B}
	}
	shape := func(last ...int) []int { return append(append([]int(nil), lead...), last...) }
	f := &safetensors.File{Tensors: map[string]*safetensors.Tensor{
		"inputs": {DType: safetensors.F32, Shape: shape(in), F32: inputs},
	}}
	what := "targets"
	if classes {
		f.Tensors["classes"] = &safetensors.Tensor{DType: safetensors.I64, Shape: shape(), I64: labels}
		what = "classes"
	} else {
		f.Tensors["targets"] = &safetensors.Tensor{DType: safetensors.F32, Shape: shape(out), F32: targets}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "inputs %s, %s %s (task %s, %d sequence", shapeText(f.Tensors["inputs"].Shape), what, shapeText(f.Tensors[what].Shape), tk.Name(), sequences*B)
	if sequences*B > 1 {
		sb.WriteString("s")
	}
	fmt.Fprintf(&sb, " of T=%d; %d of %d steps scored", T, scored, steps*B)
	if !classes && scored < steps*B {
		sb.WriteString(", the others with target 0")
	}
	sb.WriteString(")")
	return f, sb.String(), nil
}

// shapeText prints a shape as PyTorch does: [100, 2].
func shapeText(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func countTrue(v []bool) int {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return n
}
