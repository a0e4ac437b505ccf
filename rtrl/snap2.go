package rtrl

import (
	"fmt"
	"slices"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/algostate"
	"github.com/chronograd/chronograd/kernels"
)

// SnAp2 is the sparse n-step approximation with n = 2 (Menick, Elsen, Evci, Osindero,
// Simonyan and Graves, "Practical real time recurrent learning with a sparse
// approximation", ICLR 2021, §3). SnAp-n keeps the influence matrix M_t = ds_t/dθ only
// on the entries that n steps of RTRL's recursion, started from zero, can make non-zero,
// and runs the recursion masked to them:
//
//	M̃_t = (J_t·M̃_{t-1} + Ī_t) ⊙ pattern_n
//
// Parameter θ_p of gate row k·H+u (unit u) enters the state through unit u's rows in one
// step (Ī_t's pattern, SnAp-1's), and in two through the units that read unit u's h:
// unit v is reached when some gate row k'·H+v of W_hh keeps the entry in column u. So
// SnAp-2 keeps, for every parameter of unit u, the rows of reach(u) = {u} ∪ {v : W_hh
// reads h_u into v} (row v, and H+v for LSTM's c). All of unit u's parameters share that
// pattern, so the influence is stored per unit as one dense block: rows (slot a, unit v ∈
// reach(u)) in the order a·|reach(u)| + i, columns the Q_u parameters of unit u (per gate
// k: weight_ih's row, weight_hh's kept entries of the row, the two biases). A weight a
// mask drops is no parameter and has no column; its gradient stays zero.
//
// The update of unit u's block B_u is B_u ← J_u·B_u + Ī_u, with J_u the entries of J_t
// on reach(u)'s rows and columns; the gradient adds δ_uᵀ·B_u, δ_u = ∂L_t/∂s_t on those
// rows, into unit u's parameters. J_t comes dense from the cell once per step. The units
// that reach every unit (all of them on a dense W_hh) share one S-row matrix, updated in
// place by one product with J_t as exact RTRL's M is (kernels.MatMulInPlace); where J_u is
// otherwise mostly non-zero, the update is a matrix product with J_u gathered from J_t
// (kernels.MatMul, into a second buffer); elsewhere it adds the rows of B_u scaled by J_u's
// non-zero entries, listed once at construction from the mask.
//
// Costs: with reach(u) of R_u units and F state rows per unit (2 for LSTM, 1 otherwise),
// the influence holds Σ_u F·R_u·Q_u floats (twice, the step before and this one), and a
// step costs 2·Σ_u nnz(J_u)·Q_u flops, nnz(J_u) ≤ (F·R_u)². On a dense W_hh reach(u) is
// every unit, so SnAp-2 is exact RTRL (O(n⁴) per step, O(n³) memory). With a fraction d
// of W_hh kept, at random, R_u ≈ 1 + d_u·H (d_u = 1−(1−d)^G, the chance that one of a
// unit's G gate rows reads a given unit), Q_u ≈ G·(I + d·H + 2), and nnz(J_u) ≈
// R_u·(1 + d_u·R_u): the memory falls about as d and the time as d² to d³ (d³ once
// d_u·R_u ≫ 1, which is Menick et al.'s regime of highly sparse networks where SnAp-2
// stays tractable).
//
// On a stack, as SnAp1, every layer keeps its own parameters' influence on its own units
// (the pattern above within the layer), and each layer's learning signal ∂ℓ_t/∂h^k_t
// reaches it from the loss through the layers above within the step, exactly.
type SnAp2 struct {
	online
	layers []*snap2Layer
	// signals[k] is ∂ℓ_t/∂s^k_t of the layers below the top, as in SnAp1.
	signals        [][]float32
	coefIH, coefHH []float32
	jacobian       kernels.Mat // J^k_t, S×S (one layer at a time)
	gather         []float32   // J_u gathered from J_t, (F·R)² for the largest R of a gathered unit
	delta          []float32   // δ_u, F·R for the largest R
	unitGrad       []float32   // δ_uᵀ·B_u, the largest Q_u
}

// SnAp2Options configure SnAp-2; it has no settings yet, and its zero value is the
// default.
type SnAp2Options struct{}

// snap2Layer is one layer's pattern and influence.
type snap2Layer struct {
	c             cell.Cell
	lay           cell.Layout
	h, in, g, f   int
	pattern       *kernels.RowPattern // the layer's W_hh mask (nil: dense)
	everyColumn   []int32             // 0, 1, …, H−1: a dense W_hh row's columns
	reachStart    []int32             // unit u reaches reach[reachStart[u]:reachStart[u+1]], increasing
	reach         []int32
	paramStart    []int32 // Q_u = paramStart[u+1] − paramStart[u]
	blockStart    []int   // unit u's block is influence[blockStart[u]:blockStart[u+1]]
	influence     []float32
	next          []float32
	product       []uint8 // per unit: how J_u·B_u is computed (see the snap2* constants)
	termUnitStart []int32 // unit u's terms are in rows termUnitStart[u] … of termRowStart
	termRowStart  []int32 // row r of unit u: terms [termRowStart[termUnitStart[u]+r], …+1)
	termSource    []int32 // the block row a term reads
	termEntry     []int32 // the term's entry of J_t, row·S + column
	unitRow       []int32 // local index of unit u within reach(u)
	// The units every unit reaches (product snap2Whole) keep their blocks as columns
	// wholeCol[u] … of one S-row matrix, updated in place by one product with J_t as exact
	// RTRL's M is; wholeGrad is δᵀ times it. wholeCol is −1 for the other units.
	whole     kernels.Mat
	wholeCol  []int32
	wholeGrad []float32
}

// How a unit's J_u·B_u is computed.
const (
	snap2Terms  = iota // the listed non-zero entries of J_u, one row of B_u each
	snap2Gather        // J_u gathered dense from J_t, then kernels.MatMul
	snap2Whole         // reach(u) is every unit: the shared matrix, in place, by J_t itself
)

// snap2DenseFill is the fraction of non-zero entries of J_u above which a matrix product
// beats adding rows one entry at a time (the kernels' Gemm runs several times faster per
// flop than Axpy on rows of a few dozen floats).
const snap2DenseFill = 0.3

// NewSnAp2 builds SnAp-2 for the model, any cell kind, dense or sparse W_hh (see
// cell.Sparsify), any number of layers.
func NewSnAp2(m *cell.Model, _ SnAp2Options) (*SnAp2, error) {
	base, err := newOnline("snap2", m)
	if err != nil {
		return nil, err
	}
	a := &SnAp2{online: base}
	c := m.Layers[0]
	s, g := c.StateSize(), c.Layout().Gates
	a.coefIH, a.coefHH = make([]float32, s*g), make([]float32, s*g)
	a.jacobian = kernels.NewMat(s, s)
	maxRows, maxQ, maxGather := 0, 0, 0
	for k, l := range m.Layers {
		ly := newSnap2Layer(l)
		a.layers = append(a.layers, ly)
		for u := range ly.h {
			r := ly.f * int(ly.reachStart[u+1]-ly.reachStart[u])
			maxRows = max(maxRows, r)
			maxQ = max(maxQ, int(ly.paramStart[u+1]-ly.paramStart[u]))
			if ly.product[u] == snap2Gather {
				maxGather = max(maxGather, r*r)
			}
		}
		if k < len(m.Layers)-1 {
			a.signals = append(a.signals, make([]float32, l.StateSize()))
		}
	}
	a.gather = make([]float32, maxGather)
	a.delta = make([]float32, maxRows)
	a.unitGrad = make([]float32, maxQ)
	return a, nil
}

// newSnap2Layer lays out one layer's influence blocks from its W_hh mask.
func newSnap2Layer(c cell.Cell) *snap2Layer {
	lay := c.Layout()
	h, g, f := lay.Hidden, lay.Gates, c.Kind().StateFactor()
	ly := &snap2Layer{c: c, lay: lay, h: h, in: lay.Input, g: g, f: f, pattern: cell.RecurrentPattern(c)}
	if ly.pattern == nil {
		ly.everyColumn = make([]int32, h)
		for j := range ly.everyColumn {
			ly.everyColumn[j] = int32(j)
		}
	}
	// reads[v] lists the units whose h some gate row of unit v reads (v's own included:
	// J_t's diagonal unit block is there whatever the mask).
	reads := make([][]int32, h)
	for v := range h {
		seen := map[int32]bool{int32(v): true}
		for k := range g {
			for _, w := range ly.rowColumns(k*h + v) {
				seen[w] = true
			}
		}
		for w := range seen {
			reads[v] = append(reads[v], w)
		}
		slices.Sort(reads[v])
	}
	// reach(u) = {v : v reads u}.
	reachOf := make([][]int32, h)
	for v, ws := range reads {
		for _, w := range ws {
			reachOf[w] = append(reachOf[w], int32(v))
		}
	}
	ly.reachStart = make([]int32, h+1)
	ly.paramStart = make([]int32, h+1)
	ly.blockStart = make([]int, h+1)
	ly.unitRow = make([]int32, h)
	ly.product = make([]uint8, h)
	ly.termUnitStart = make([]int32, h+1)
	ly.wholeCol = make([]int32, h)
	wholeCols := 0
	local := make([]int32, h) // unit w's index within the current reach(u), or −1
	for i := range local {
		local[i] = -1
	}
	s := f * h
	for u := range h {
		reach := reachOf[u] // increasing: v was visited in order
		ly.reach = append(ly.reach, reach...)
		ly.reachStart[u+1] = int32(len(ly.reach))
		q := 0
		for k := range g {
			q += ly.in + len(ly.rowColumns(k*h+u)) + 2
		}
		ly.paramStart[u+1] = ly.paramStart[u] + int32(q)
		r := len(reach)
		ly.blockStart[u+1] = ly.blockStart[u] + f*r*q
		ly.wholeCol[u] = -1
		for i, v := range reach {
			local[v] = int32(i)
			if int(v) == u {
				ly.unitRow[u] = int32(i)
			}
		}
		// The non-zero entries of J_u: rows (a, v), columns (b, w) with w read by v; off
		// the diagonal unit block only h_{t-1}[w] enters (b = 0).
		var nnz int
		for _, v := range reach {
			for _, w := range reads[v] {
				if local[w] >= 0 {
					if w == v {
						nnz += f * f
					} else {
						nnz += f
					}
				}
			}
		}
		switch {
		case r == h && float64(nnz) >= snap2DenseFill*float64(s*s):
			// The unit's block is columns of the layer's shared S-row matrix instead.
			ly.product[u] = snap2Whole
			ly.blockStart[u+1] = ly.blockStart[u]
			ly.wholeCol[u] = int32(wholeCols)
			wholeCols += q
		case f*r >= 8 && float64(nnz) >= snap2DenseFill*float64(f*r*f*r):
			ly.product[u] = snap2Gather
		default:
			ly.product[u] = snap2Terms
			ly.termUnitStart[u] = int32(len(ly.termRowStart))
			for a := range f {
				for _, v := range reach {
					ly.termRowStart = append(ly.termRowStart, int32(len(ly.termSource)))
					row := a*h + int(v)
					for b := range f {
						for _, w := range reads[v] {
							l := local[w]
							if l < 0 || (b > 0 && w != v) {
								continue
							}
							ly.termSource = append(ly.termSource, int32(b*r)+l)
							ly.termEntry = append(ly.termEntry, int32(row*s+b*h+int(w)))
						}
					}
				}
			}
		}
		for _, v := range reach {
			local[v] = -1
		}
	}
	ly.termRowStart = append(ly.termRowStart, int32(len(ly.termSource)))
	ly.termUnitStart[h] = int32(len(ly.termRowStart) - 1)
	ly.influence = make([]float32, ly.blockStart[h])
	ly.next = make([]float32, ly.blockStart[h])
	ly.whole = kernels.NewMat(s, wholeCols)
	ly.wholeGrad = make([]float32, wholeCols)
	return ly
}

// rowColumns lists the columns of W_hh row r the layer keeps (every column when dense).
func (ly *snap2Layer) rowColumns(r int) []int32 {
	if ly.pattern != nil {
		return ly.pattern.Row(r)
	}
	return ly.everyColumn
}

// Reset starts a sequence from s0 (nil: zeros) with M̃_0 = 0.
func (a *SnAp2) Reset(s0 []float32) error {
	if err := a.resetState(s0); err != nil {
		return err
	}
	for _, ly := range a.layers {
		clear(ly.influence)
		clear(ly.whole.Data)
	}
	return nil
}

// SaveState returns the state SnAp-2 carries between steps (see cell.AlgorithmState): s_t
// as "state" and each layer k's influence blocks as "influence_l{k}" and the block of the
// units that reach every unit as "whole_l{k}". The gradients are not part of it.
func (a *SnAp2) SaveState() cell.AlgorithmState { return algostate.Save(a.vars()) }

// LoadState restores a state that SaveState returned from SnAp-2 built for a model of the
// same shape and mask; a state of another shape or algorithm is refused, changing nothing.
func (a *SnAp2) LoadState(s cell.AlgorithmState) error { return a.loadState(s, a.vars()) }

func (a *SnAp2) vars() []algostate.Var {
	var vars []algostate.Var
	for k, ly := range a.layers {
		vars = append(vars, algostate.F32(fmt.Sprintf("influence_l%d", k), ly.influence),
			algostate.F32(fmt.Sprintf("whole_l%d", k), ly.whole.Data))
	}
	return a.stateVars(vars...)
}

// Step runs one online step.
func (a *SnAp2) Step(x []float32, y cell.Target) (float32, error) {
	loss, hasTarget, err := a.forward(x, y)
	if err != nil {
		return 0, err
	}
	L := len(a.model.Layers)
	if hasTarget && L > 1 {
		for k := L - 1; k > 0; k-- {
			a.model.Layers[k].InputVJP(a.cache.Layer(k), a.signals[k-1][:a.model.HiddenSize()], a.layerSignal(k))
		}
	}
	for k, ly := range a.layers {
		a.step(ly, a.cache.Layer(k), a.model.LayerVector(a.gradCell, k), a.layerSignal(k), hasTarget)
	}
	return loss, nil
}

// layerSignal is ∂ℓ_t/∂s^k_t (see SnAp1.layerSignal).
func (a *SnAp2) layerSignal(k int) []float32 {
	if k == len(a.model.Layers)-1 {
		return a.dLds[a.top:]
	}
	return a.signals[k]
}

// step updates one layer's blocks and adds its gradient; delta is ∂ℓ_t/∂s_t of the layer.
func (a *SnAp2) step(ly *snap2Layer, cache *cell.Cache, gradCell, delta []float32, hasTarget bool) {
	c := ly.c
	c.StateJacobian(cache, a.jacobian)
	c.ImmediateCoefficients(cache, a.coefIH, a.coefHH)
	h, f := ly.h, ly.f
	xs, hp := cache.Input(), cache.Prev()[:h]
	if ly.whole.Cols > 0 {
		kernels.MatMulInPlace(ly.whole, a.jacobian)
	}
	for u := range h {
		reach := ly.reach[ly.reachStart[u]:ly.reachStart[u+1]]
		r := len(reach)
		q := int(ly.paramStart[u+1] - ly.paramStart[u])
		rows := f * r
		b0, b1 := ly.blockStart[u], ly.blockStart[u+1]
		cur := kernels.Mat{Rows: rows, Cols: q, Stride: q, Data: ly.influence[b0:b1]}
		next := kernels.Mat{Rows: rows, Cols: q, Stride: q, Data: ly.next[b0:b1]}
		switch ly.product[u] {
		case snap2Whole:
			// Done above, with every unit of the kind.
		case snap2Gather:
			ju := kernels.MatOf(rows, rows, a.gather[:rows*rows])
			for ra := range f {
				for i, v := range reach {
					src := a.jacobian.Row(ra*h + int(v))
					dst := ju.Row(ra*r + i)
					for b := range f {
						for l, w := range reach {
							dst[b*r+l] = src[b*h+int(w)]
						}
					}
				}
			}
			kernels.MatMul(next, ju, cur)
		default:
			t0 := int(ly.termUnitStart[u])
			jd, src := a.jacobian.Data, cur.Data
			clear(next.Data)
			for row := range rows {
				dst := next.Data[row*q : (row+1)*q]
				for t := ly.termRowStart[t0+row]; t < ly.termRowStart[t0+row+1]; t++ {
					if j := jd[ly.termEntry[t]]; j != 0 {
						from := int(ly.termSource[t]) * q
						kernels.Axpy(j, src[from:from+q], dst)
					}
				}
			}
		}
		// Ī_t: unit u's own rows (slot ra), per gate: coefIH·x_t on weight_ih's row,
		// coefHH·h_{t-1} on weight_hh's kept entries, the coefficients on the biases.
		iu := int(ly.unitRow[u])
		for ra := range f {
			var row []float32
			if c := int(ly.wholeCol[u]); c >= 0 {
				row = ly.whole.Row(ra*h + u)[c : c+q]
			} else {
				row = next.Data[(ra*r+iu)*q : (ra*r+iu+1)*q]
			}
			srow := ra*h + u
			col := 0
			for k := range ly.g {
				cih, chh := a.coefIH[srow*ly.g+k], a.coefHH[srow*ly.g+k]
				kernels.Axpy(cih, xs, row[col:col+ly.in])
				col += ly.in
				cols := ly.rowColumns(k*h + u)
				seg := row[col : col+len(cols)]
				for j, m := range cols {
					seg[j] += chh * hp[m]
				}
				col += len(cols)
				row[col] += cih
				row[col+1] += chh
				col += 2
			}
		}
		if !hasTarget || ly.wholeCol[u] >= 0 {
			continue
		}
		// The gradient: δ_uᵀ·B_u into unit u's parameters.
		du := a.delta[:rows]
		nonzero := false
		for ra := range f {
			for i, v := range reach {
				du[ra*r+i] = delta[ra*h+int(v)]
				nonzero = nonzero || du[ra*r+i] != 0
			}
		}
		if !nonzero {
			continue
		}
		gu := a.unitGrad[:q]
		clear(gu)
		kernels.MatTVecAdd(gu, next, du)
		ly.scatter(gradCell, gu, u)
	}
	ly.influence, ly.next = ly.next, ly.influence
	if hasTarget && ly.whole.Cols > 0 {
		clear(ly.wholeGrad)
		kernels.MatTVecAdd(ly.wholeGrad, ly.whole, delta)
		for u := range h {
			if c := int(ly.wholeCol[u]); c >= 0 {
				q := int(ly.paramStart[u+1] - ly.paramStart[u])
				ly.scatter(gradCell, ly.wholeGrad[c:c+q], u)
			}
		}
	}
}

// scatter adds a unit's column vector gu (its Q_u parameters in block order) into the
// layer's flat gradient.
func (ly *snap2Layer) scatter(grad, gu []float32, u int) {
	lay := &ly.lay
	col := 0
	for k := range ly.g {
		r := k*ly.h + u
		kernels.Axpy(1, gu[col:col+ly.in], grad[lay.WeightIH+r*ly.in:lay.WeightIH+(r+1)*ly.in])
		col += ly.in
		w := grad[lay.WeightHH+r*ly.h : lay.WeightHH+(r+1)*ly.h]
		cols := ly.rowColumns(r)
		for j, m := range cols {
			w[m] += gu[col+j]
		}
		col += len(cols)
		grad[lay.BiasIH+r] += gu[col]
		grad[lay.BiasHH+r] += gu[col+1]
		col += 2
	}
}

// Bytes counts both influence buffers, the layers' pattern lists, J_t, the scratch and
// the shared buffers.
func (a *SnAp2) Bytes() int64 {
	n := len(a.coefIH) + len(a.coefHH) + len(a.jacobian.Data) + len(a.gather) + len(a.delta) + len(a.unitGrad)
	for _, q := range a.signals {
		n += len(q)
	}
	b := a.bytes() + floats(n)
	for _, ly := range a.layers {
		b += floats(len(ly.influence) + len(ly.next) + len(ly.whole.Data) + len(ly.wholeGrad))
		b += 4 * int64(len(ly.everyColumn)+len(ly.reachStart)+len(ly.reach)+len(ly.paramStart)+len(ly.termUnitStart)+len(ly.termRowStart)+len(ly.termSource)+len(ly.termEntry)+len(ly.unitRow)+len(ly.wholeCol))
		b += 8*int64(len(ly.blockStart)) + int64(len(ly.product))
	}
	return b
}
