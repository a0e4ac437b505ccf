//go:build purego || !amd64

package cell

// The forward steps' state updates have no SIMD routines here: each xxxGo loop takes
// every unit.

func vanillaTanhStepSIMD(_, _, _ []float32, _, _ float32) int { return 0 }
func lstmCellSIMD(_, _, _, _, _, _ []float32) int             { return 0 }
func gruCandidateSIMD(_, _, _, _ []float32) int               { return 0 }
func gruStateSIMD(_, _, _, _ []float32) int                   { return 0 }
func broadcastRowsSIMD(_, _ []float32, _ int) bool            { return false }
