package bench

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"github.com/chronograd/chronograd/diagnose"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PlotDecay draws a diagnose report as an SVG on w: ln φ_k against the lag k, the fitted
// line ln φ_τ + (k−τ)·ln β over the lags it was fitted on, and ln(φ_0·‖J_t⋯J_{t−k+1}‖₂),
// the decay the Jacobian products alone allow. Lags whose value is zero (underflow) are
// left out.
func PlotDecay(w io.Writer, r *diagnose.Report) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("credit decay: β = %.4g, K(δ=%g) = %s", r.Beta, r.Delta, windowText(r))
	p.X.Label.Text = "lag k"
	p.Y.Label.Text = "ln φ_k = ln mean_t ‖∂L_t/∂s_(t−k)‖"
	p.Legend.Top = true

	phi := logPoints(r.Phi, 1)
	if len(phi) == 0 {
		return fmt.Errorf("bench: every φ_k is zero or not finite; nothing to plot")
	}
	line, points, err := plotter.NewLinePoints(phi)
	if err != nil {
		return err
	}
	line.Color = color.RGBA{B: 200, A: 255}
	points.Color = line.Color
	points.Shape = draw.CircleGlyph{}
	p.Add(line, points)
	p.Legend.Add("φ_k", line, points)

	if jac := logPoints(r.JacobianNorm, r.Phi[0]); len(jac) > 1 {
		l, err := plotter.NewLine(jac)
		if err != nil {
			return err
		}
		l.Color = color.RGBA{G: 140, A: 255}
		p.Add(l)
		p.Legend.Add("φ_0·‖J_t⋯J_(t−k+1)‖₂", l)
	}
	if r.Beta > 0 && !math.IsInf(r.Beta, 0) && r.Phi[r.Tau] > 0 {
		fit := plotter.XYs{
			{X: float64(r.Tau), Y: math.Log(r.Phi[r.Tau])},
			{X: float64(r.MaxLag), Y: math.Log(r.Phi[r.Tau]) + float64(r.MaxLag-r.Tau)*math.Log(r.Beta)},
		}
		l, err := plotter.NewLine(fit)
		if err != nil {
			return err
		}
		l.Color = color.RGBA{R: 200, A: 255}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("fit from τ = %d: slope ln β = %.4g", r.Tau, math.Log(r.Beta)), l)
	}
	c := vgsvg.New(7*vg.Inch, 4.5*vg.Inch)
	p.Draw(draw.New(c))
	_, err = c.WriteTo(w)
	return err
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
