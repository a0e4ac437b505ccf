package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/bench"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/diagnose"
	"github.com/chronograd/chronograd/internal/flagx"
	"github.com/chronograd/chronograd/internal/fsx"
)

func runDiagnose(args []string, stdout, _ io.Writer) error {
	// The flag package prints the usage on every parse error; keep it for -h only, so
	// that an error stays one line on stderr and nothing on stdout.
	var usage bytes.Buffer
	fs := newFlags("diagnose", &usage)
	modelPath := fs.String("model", "", "model `file` (safetensors, as for grad)")
	dataPath := fs.String("data", "", "sequence `file` (safetensors: inputs [T, I], targets [T, O], optional h0, c0 [H])")
	delta := flagx.Float64Flag(fs, "delta", 0.1, "tolerated relative gradient bias δ in (0, 1) that sets the window K", flagx.Above(0), flagx.Below(1))
	asJSON := fs.Bool("json", false, "print one JSON object {beta, K, phi, lyapunov, spectral_radius} (non-finite values and \"no window\" are null)")
	plotPath := fs.String("plot", "", "write an SVG plot of ln φ_k against k to `file`")
	maxLag := fs.Int("maxlag", 0, "largest lag measured (0: min(50, T−1))")
	var tau *int // nil: the default; -tau 0 is τ = 0
	fs.Func("tau", "lag τ ≥ 0 from which β is fitted (default max(1, maxlag/5))", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("not an integer: %q", v)
		}
		if n < 0 {
			return fmt.Errorf("%d must not be negative", n)
		}
		tau = &n
		return nil
	})
	limit := memLimitFlag(fs)
	if err := parse(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.Copy(stdout, &usage)
		}
		return err
	}
	for _, f := range []struct{ name, value string }{{"model", *modelPath}, {"data", *dataPath}} {
		if f.value == "" {
			return fmt.Errorf("-%s is required", f.name)
		}
	}
	if *maxLag < 0 {
		return fmt.Errorf("-maxlag %d must not be negative", *maxLag)
	}
	if *plotPath != "" {
		if err := checkOutput("plot", *plotPath, input{"model", *modelPath}, input{"data", *dataPath}); err != nil {
			return err
		}
	}
	if err := checkFiles(limit, *modelPath, *dataPath); err != nil {
		return err
	}
	m, data, err := loadModelAndData(*modelPath, *dataPath, func(m *cell.Model, T, B int) error {
		return checkDiagnose(m, T, B, *maxLag, limit, *modelPath, *dataPath)
	})
	if err != nil {
		return err
	}
	seq := diagnose.Data{T: len(data.xs), S0: data.s0}
	for t := range data.xs {
		seq.Inputs = append(seq.Inputs, data.xs[t]...)
		if y := data.ys[t]; y.Classes != nil {
			seq.Classes = append(seq.Classes, y.Classes...)
		} else {
			seq.Targets = append(seq.Targets, y.Values...)
		}
	}
	r, err := diagnose.Run(m, seq, diagnose.Options{MaxLag: *maxLag, Tau: tau, Delta: *delta})
	if err != nil {
		return err
	}
	if *plotPath != "" {
		var svg bytes.Buffer
		if err := bench.PlotDecay(&svg, r); err != nil {
			return err
		}
		if err := fsx.WriteAtomic(*plotPath, 0o644, func(w io.Writer) error { _, err := w.Write(svg.Bytes()); return err }); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeDiagnoseJSON(stdout, r)
	}
	writeDiagnoseText(stdout, m, r, seq.T)
	return nil
}

// jsonFloat encodes NaN and ±Inf, which JSON cannot hold, as null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func writeDiagnoseJSON(w io.Writer, r *diagnose.Report) error {
	out := struct {
		Beta           jsonFloat   `json:"beta"`
		K              *int        `json:"K"`
		Phi            []jsonFloat `json:"phi"`
		Lyapunov       jsonFloat   `json:"lyapunov"`
		SpectralRadius jsonFloat   `json:"spectral_radius"`
	}{Beta: jsonFloat(r.Beta), Lyapunov: jsonFloat(r.Lyapunov[0]), SpectralRadius: jsonFloat(r.SpectralRadius)}
	if r.K != diagnose.NoWindow {
		out.K = &r.K
	}
	for _, v := range r.Phi {
		out.Phi = append(out.Phi, jsonFloat(v))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func writeDiagnoseText(w io.Writer, m *cell.Model, r *diagnose.Report, T int) {
	layers := ""
	if m.NumLayers() > 1 {
		layers = fmt.Sprintf(", %d layers", m.NumLayers())
	}
	fmt.Fprintf(w, "model: %v, H=%d, I=%d, O=%d%s; sequence: T=%d; φ averaged over %d origins, Jacobian products over %d\n",
		m.Kind(), m.HiddenSize(), m.InputSize(), m.OutSize(), layers, T, r.Origins, r.JacobianOrigins)
	fmt.Fprintf(w, "\n%5s  %-12s %-12s\n", "lag k", "φ_k", "‖J⋯J‖₂")
	for k := range r.Phi {
		fmt.Fprintf(w, "%5d  %-12.5g %-12.5g\n", k, r.Phi[k], r.JacobianNorm[k])
	}
	fmt.Fprintf(w, "\ndecay rate β (least squares on ln φ_k, k ≥ %d): %.5g\n", r.Tau, r.Beta)
	fmt.Fprintf(w, "  from the Jacobian products instead:           %.5g\n", r.JacobianBeta)
	fmt.Fprintf(w, "lower bound on ‖g‖ (Σ_k mean ∂L_t/∂s_{t−k}):     %.5g\n", r.GradNorm)
	switch {
	case r.K == diagnose.NoWindow:
		fmt.Fprintf(w, "window K for δ = %g: none — β is not below 1, no truncation bounds the bias\n", r.Delta)
	case r.KExtrapolated:
		fmt.Fprintf(w, "window K for δ = %g: %d (beyond the %d measured lags: extrapolated by the fit)\n", r.Delta, r.K, r.MaxLag)
	default:
		fmt.Fprintf(w, "window K for δ = %g: %d\n", r.Delta, r.K)
	}
	ly := make([]string, len(r.Lyapunov))
	for i, l := range r.Lyapunov {
		ly[i] = fmt.Sprintf("%.5g", l)
	}
	fmt.Fprintf(w, "largest Lyapunov exponent: %s per step (leading %d: %s)\n", ly[0], len(ly), strings.Join(ly, ", "))
	block := "weight_hh_l0"
	if m.Kind() == cell.GRU {
		block = "weight_hh_l0 candidate block n"
	} else if m.Kind() == cell.LSTM {
		block = "weight_hh_l0 candidate block g"
	}
	fmt.Fprintf(w, "spectral radius of %s: %.5g", block, r.SpectralRadius)
	if len(r.GateSpectralRadius) > 1 {
		gs := make([]string, len(r.GateSpectralRadius))
		for i, v := range r.GateSpectralRadius {
			gs[i] = fmt.Sprintf("%.4g", v)
		}
		fmt.Fprintf(w, " (every gate block in PyTorch order: %s)", strings.Join(gs, ", "))
	}
	fmt.Fprintln(w)
}
