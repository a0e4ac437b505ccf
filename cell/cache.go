package cell

// Cache holds what one step's forward pass records for its backward pass and Jacobians:
// s_{t-1}, x_t, and the cell's activations. Its accessors let online algorithms (RFLO,
// e-prop) read the quantities their eligibility traces need.
type Cache struct {
	kind          Kind
	hidden, input int
	prev, x       []float32
	gates, aux    []float32
	projected     bool // ProjectInputs has prepared it for ForwardProjected
}

func newCache(kind Kind, hidden, input int) *Cache {
	s := hidden * kind.StateFactor()
	gh := kind.Gates() * hidden
	data := make([]float32, s+input+gh+hidden)
	return &Cache{
		kind: kind, hidden: hidden, input: input,
		prev:  data[:s:s],
		x:     data[s : s+input : s+input],
		gates: data[s+input : s+input+gh : s+input+gh],
		aux:   data[s+input+gh:],
	}
}

// Bytes is the memory the cache holds.
func (c *Cache) Bytes() int { return 4 * (len(c.prev) + len(c.x) + len(c.gates) + len(c.aux)) }

// Prev is s_{t-1} (length S; for LSTM [h_{t-1}; c_{t-1}]).
func (c *Cache) Prev() []float32 { return c.prev }

// Input is x_t.
func (c *Cache) Input() []float32 { return c.x }

// Gates are the activated gates in PyTorch's order, G·H values: GRU r, z, n; LSTM i, f,
// g, o (nil for the vanilla cells).
func (c *Cache) Gates() []float32 {
	if c.kind.IsVanilla() {
		return nil
	}
	return c.gates
}
