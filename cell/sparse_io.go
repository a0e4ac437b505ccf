package cell

import (
	"fmt"

	"github.com/chronograd/chronograd/internal/safetensors"
)

// addMaskTensors adds weight_hh_l{k}_mask (1 kept, 0 dropped) for every masked layer.
func (m *Model) addMaskTensors(out map[string]*safetensors.Tensor) {
	for k, l := range m.Layers {
		keep := RecurrentMask(l)
		if keep == nil {
			continue
		}
		v := make([]float32, len(keep))
		for i, kept := range keep {
			if kept {
				v[i] = 1
			}
		}
		lay := l.Layout()
		out[MaskTensorName(k)] = &safetensors.Tensor{DType: safetensors.F32, Shape: []int{lay.Gates * lay.Hidden, lay.Hidden}, F32: v}
	}
}

// maskSpecs lists the shapes of the mask tensors the file holds for layers below layers
// (rows×hidden each), so that Require accepts them; a mask of a layer the file does not
// have stays unexpected.
func maskSpecs(f *safetensors.File, layers, rows, hidden int) []safetensors.Spec {
	var specs []safetensors.Spec
	for k := range layers {
		if _, ok := f.Tensors[MaskTensorName(k)]; ok {
			specs = append(specs, safetensors.Spec{Name: MaskTensorName(k), Shape: []int{rows, hidden}})
		}
	}
	return specs
}

// loadMasks sets the masks the file holds on m's layers, after checking that each holds
// only 0s and 1s and that the weights are exactly zero where it holds 0.
func loadMasks(m *Model, f *safetensors.File) error {
	for k, l := range m.Layers {
		name := MaskTensorName(k)
		t, ok := f.Tensors[name]
		if !ok {
			continue
		}
		keep := make([]bool, l.Layout().Gates*l.HiddenSize()*l.HiddenSize())
		for i := range keep {
			var v float64
			switch {
			case t.DType.IsInt() && i < len(t.I64):
				v = float64(t.I64[i])
			case !t.DType.IsInt() && i < len(t.F32):
				v = float64(t.F32[i])
			default:
				return fmt.Errorf("model: tensor %q holds fewer values than its shape says", name)
			}
			if v != 0 && v != 1 {
				return fmt.Errorf("model: tensor %q: element %d is %v; a mask holds 0 (dropped) or 1 (kept)", name, i, v)
			}
			keep[i] = v == 1
		}
		lay := l.Layout()
		whh := l.Params()[lay.WeightHH:lay.BiasIH]
		for i, kept := range keep {
			if !kept && whh[i] != 0 {
				return fmt.Errorf("model: tensor %q: element [%d, %d] is %v where %s drops it (a masked weight must be exactly 0)",
					fmt.Sprintf("weight_hh_l%d", k), i/lay.Hidden, i%lay.Hidden, whh[i], name)
			}
		}
		if err := SetRecurrentMask(l, keep); err != nil {
			return fmt.Errorf("model: tensor %q: %w", name, err)
		}
	}
	return nil
}
