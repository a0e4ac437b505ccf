package cell

// SparseProducts reports whether c's products of one sequence with W_hh go through its
// mask's pattern (for the tests of the crossover).
func SparseProducts(c Cell) bool {
	l, ok := c.(*layer)
	return ok && l.mask.sparse()
}
