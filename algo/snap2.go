package algo

import "math"

// SnAp-2's cost models. Its influence is one dense block per unit u: F·R_u rows (F = S/H
// state rows per unit, R_u the units that read h_u, u included) by Q_u columns (u's
// parameters). On a dense W_hh R_u = H and the models are exact; with a fraction d of
// W_hh kept by a random mask of round(d·H) entries per row (cell.Sparsify), they are the
// expectation over masks, R_u ≈ 1 + ρ·(H−1) with ρ = 1 − (1−d)^G the chance that some gate
// row of unit v keeps column u.

// snap2Unit is one layer's expected per-unit sizes.
type snap2Unit struct {
	f, reach, q, nnz float64 // F, R_u, Q_u and the non-zero entries of J_u
	whole, gemm      bool    // J_u·B_u by a matrix product (with J_t itself when whole)
}

// snap2Layer returns layer k's expected per-unit sizes.
func (d Dims) snap2Layer(k int) snap2Unit {
	h := float64(d.H)
	f := float64(d.S / d.L / d.H)
	kept := math.Min(h, math.Max(1, math.Round(d.density()*h)))
	rho := 1 - math.Pow(1-kept/h, float64(d.G))
	r := 1 + rho*(h-1)
	// Off the diagonal unit block, unit v reads unit w ≠ v: u itself for every v ≠ u, and
	// any other member of reach(u) with probability ρ.
	off := (r-1)*rho + (r-1)*(1+(r-2)*rho)
	u := snap2Unit{f: f, reach: r, q: float64(d.G) * (float64(d.layerInput(k)) + kept + 2), nnz: f*f*r + f*off}
	// The constructor's choice (rtrl.SnAp2): a matrix product once J_u is 30% full.
	const fill = 0.3
	u.whole = r == h && u.nnz >= fill*f*f*h*h
	u.gemm = u.whole || (f*r >= 8 && u.nnz >= fill*f*r*f*r)
	return u
}

func snap2FLOPs(d Dims, _ []float64) float64 {
	total := d.forward() + d.readout()
	s := float64(d.layerState())
	for k := range d.L {
		u := d.snap2Layer(k)
		rows := u.f * u.reach
		mult := u.nnz
		if u.gemm {
			mult = rows * rows
		}
		// J_t from the cell, J_u·B_u, the gradient δ_uᵀ·B_u.
		total += 2*s*float64(d.G*d.H) + float64(d.H)*(2*mult*u.q+2*rows*u.q)
	}
	return total
}

func snap2Bytes(d Dims, _ []float64, _ Options) int64 {
	s, h := d.layerState(), d.H
	var rows, q, gather float64
	var n int64
	dense := d.density() == 1
	for k := range d.L {
		u := d.snap2Layer(k)
		rows = math.Max(rows, u.f*u.reach)
		q = math.Max(q, u.q)
		if u.gemm && !u.whole {
			gather = math.Max(gather, (u.f*u.reach)*(u.f*u.reach))
		}
		hf := float64(h)
		// Both influence buffers, or (units reaching every unit) the one shared matrix
		// updated in place and δᵀ times it.
		if u.whole {
			n += int64(math.Round(4 * (hf*u.f*u.reach*u.q + hf*u.q)))
		} else {
			n += int64(math.Round(4 * 2 * hf * u.f * u.reach * u.q))
		}
		// The index lists: the reach lists and their starts, the parameter and block
		// starts, the units' rows within their reach and columns in the shared matrix,
		// the per-unit product kind, and (units without a matrix product) the terms of
		// J_u.
		ints := hf*u.reach + 3*(hf+1) + 2*hf + 1
		if !u.gemm {
			ints += hf*u.f*u.reach + 2*hf*u.nnz
		}
		if dense {
			ints += hf // a dense row's column list
		}
		n += int64(math.Round(4*ints)) + 8*int64(h+1) + int64(h)
	}
	// Coefficients, J_t, the gathered J_u, δ_u, the unit's gradient, the lower layers'
	// learning signals.
	n += f32(2*s*d.G+s*s+(d.L-1)*s) + int64(math.Round(4*(gather+rows+q)))
	return onlineBase(d) + n
}
