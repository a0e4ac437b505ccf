//go:build !purego

package cell

// lstmGateGradsSIMD computes lstmGateGradsGo's first n/8·8 units with the avx2 routine
// when a SIMD tier is active and reports how many it did; the caller does the rest.
func lstmGateGradsSIMD(s *lstmGradSlices) int {
	n := simdUnits(len(s.i))
	if n == 0 {
		return 0
	}
	lstmGateGradsAVX2(&s.gi[0], &s.gf[0], &s.gc[0], &s.gout[0], &s.i[0], &s.f[0], &s.g[0], &s.o[0], &s.tc[0], &s.c[0], &s.vh[0], &s.vc[0], n)
	return n
}

// lstmGateGradsAVX2 is lstmGateGradsGo over n units (a multiple of 8), eight at a time,
// with the same multiplies, subtractions and additions in the same order (no fused
// multiply-add), so each result has the scalar loop's bits.
//
//go:noescape
func lstmGateGradsAVX2(gi, gf, gc, gout, ig, fg, gg, og, tc, cprev, vh, vc *float32, n int)

// lstmDirectVJPSIMD computes lstmDirectVJPGo's first n/8·8 units with the avx2 routine
// when a SIMD tier is active and reports how many it did; the caller does the rest.
func lstmDirectVJPSIMD(s *lstmDirectSlices) int {
	n := simdUnits(len(s.f))
	if n == 0 {
		return 0
	}
	lstmDirectVJPAVX2(&s.dh[0], &s.dc[0], &s.f[0], &s.o[0], &s.tc[0], &s.vh[0], &s.vc[0], n)
	return n
}

// lstmDirectVJPAVX2 is lstmDirectVJPGo over n units (a multiple of 8), eight at a time,
// with the same operations in the same order, so each result has the scalar loop's bits.
//
//go:noescape
func lstmDirectVJPAVX2(dh, dc, fg, og, tc, vh, vc *float32, n int)

// elementwiseHasSIMD says that the cells' elementwise step routines (the gate gradients,
// LSTM's direct VJP, the forward steps' state updates) have avx2 versions here.
const elementwiseHasSIMD = true

// gruGateGradsSIMD computes gruGateGradsGo's first n/8·8 units with the avx2 routine when
// a SIMD tier is active and reports how many it did; the caller does the rest.
func gruGateGradsSIMD(s *gruGradSlices) int {
	n := simdUnits(len(s.r))
	if n == 0 {
		return 0
	}
	gruGateGradsAVX2(&s.ir[0], &s.iz[0], &s.in[0], &s.hr[0], &s.hz[0], &s.hn[0], &s.r[0], &s.z[0], &s.n[0], &s.aux[0], &s.prev[0], &s.v[0], n)
	return n
}

// gruGateGradsAVX2 is gruGateGradsGo over n units (a multiple of 8), eight at a time, with
// the same operations in the same order, so each result has the scalar loop's bits.
//
//go:noescape
func gruGateGradsAVX2(ir, iz, in, hr, hz, hn, rg, zg, ng, aux, prev, v *float32, n int)
