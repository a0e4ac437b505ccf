//go:build purego || !amd64

package cell

// lstmGateGradsSIMD does nothing here: lstmGateGradsGo takes every unit.
func lstmGateGradsSIMD(*lstmGradSlices) int { return 0 }

// gateGradsHasSIMD says that the LSTM and GRU gate gradients have no SIMD routine here.
const gateGradsHasSIMD = false

// gruGateGradsSIMD does nothing here: gruGateGradsGo takes every unit.
func gruGateGradsSIMD(*gruGradSlices) int { return 0 }
