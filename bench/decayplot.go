package bench

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"github.com/chronograd/chronograd/diagnose"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PlotDecay draws a diagnose report as an SVG on w: ln φ(k) against the lag k, where φ(k)
// is the mean over t of ‖∂L(t)/∂s(t−k)‖; the fitted line ln φ(τ) + (k−τ)·ln β over the
// lags it was fitted on; and ln(φ(0)·‖J(t)⋯J(t−k+1)‖₂), the decay the Jacobian products
// alone allow. Lags whose value is zero (underflow) are left out. The legend sits to the
// right of the axes.
func PlotDecay(w io.Writer, r *diagnose.Report) error {
	f := newFigure(fmt.Sprintf("credit decay: β = %.4g, K(δ = %g) = %s", r.Beta, r.Delta, windowText(r)),
		"lag k", "ln φ(k)")
	phi := logPoints(r.Phi, 1)
	if len(phi) == 0 {
		return fmt.Errorf("bench: every φ(k) is zero or not finite; nothing to plot")
	}
	if err := f.line("φ(k) = mean over t of ‖∂L(t)/∂s(t−k)‖", phi, color.RGBA{B: 200, A: 255}, draw.CircleGlyph{}, nil); err != nil {
		return err
	}
	if jac := logPoints(r.JacobianNorm, r.Phi[0]); len(jac) > 1 {
		if err := f.line("φ(0)·‖J(t)⋯J(t−k+1)‖₂", jac, color.RGBA{G: 140, A: 255}, nil, nil); err != nil {
			return err
		}
	}
	if r.Beta > 0 && !math.IsInf(r.Beta, 0) && r.Phi[r.Tau] > 0 {
		fit := plotter.XYs{
			{X: float64(r.Tau), Y: math.Log(r.Phi[r.Tau])},
			{X: float64(r.MaxLag), Y: math.Log(r.Phi[r.Tau]) + float64(r.MaxLag-r.Tau)*math.Log(r.Beta)},
		}
		label := fmt.Sprintf("fit from τ = %d: slope ln β = %.4g", r.Tau, math.Log(r.Beta))
		if err := f.line(label, fit, color.RGBA{R: 200, A: 255}, nil, []vg.Length{vg.Points(4), vg.Points(3)}); err != nil {
			return err
		}
	}
	f.p.X.Min = 0
	return f.write(w)
}

func windowText(r *diagnose.Report) string {
	switch {
	case r.K == diagnose.NoWindow:
		return "none (no decay)"
	case r.KExtrapolated:
		return fmt.Sprintf("%d (extrapolated)", r.K)
	}
	return fmt.Sprint(r.K)
}

// logPoints returns (k, ln(scale·v_k)) for the positive, finite values.
func logPoints(v []float64, scale float64) plotter.XYs {
	var pts plotter.XYs
	for k, x := range v {
		if y := math.Log(scale * x); !math.IsInf(y, 0) && !math.IsNaN(y) {
			pts = append(pts, plotter.XY{X: float64(k), Y: y})
		}
	}
	return pts
}
