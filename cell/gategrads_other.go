//go:build purego || !amd64

package cell

// lstmGateGradsSIMD does nothing here: lstmGateGradsGo takes every unit.
func lstmGateGradsSIMD(*lstmGradSlices) int { return 0 }

// lstmDirectVJPSIMD does nothing here: lstmDirectVJPGo takes every unit.
func lstmDirectVJPSIMD(*lstmDirectSlices) int { return 0 }

// elementwiseHasSIMD says that the cells' elementwise step routines have no SIMD
// versions here.
const elementwiseHasSIMD = false

// gruGateGradsSIMD does nothing here: gruGateGradsGo takes every unit.
func gruGateGradsSIMD(*gruGradSlices) int { return 0 }
