package train

import "github.com/chronograd/chronograd/cell"

// Algorithm is the streaming shape every credit-assignment algorithm shares; see
// cell.Algorithm.
type Algorithm = cell.Algorithm
