package cell

import (
	"fmt"
	"math"
)

// SquaredError returns ½‖ŷ − y‖² and overwrites dy with its gradient ŷ − y. A nil y is a
// step without a target: the loss is 0 and dy is zeroed. The sum is kept in float64.
func SquaredError(dy, yhat, y []float32) float32 {
	checkLen("SquaredError", "dy", len(dy), len(yhat))
	if y == nil {
		clear(dy)
		return 0
	}
	checkLen("SquaredError", "y", len(y), len(yhat))
	var sum float64
	for i, p := range yhat {
		d := p - y[i]
		dy[i] = d
		sum += float64(d) * float64(d)
	}
	return float32(sum / 2)
}

// NoTarget is the class of a step without a target.
const NoTarget = -1

// SoftmaxCrossEntropy returns −log softmax(logits)[class] and overwrites dlogits with its
// gradient softmax(logits) − onehot(class). It subtracts the largest logit before
// exponentiating, so no logit overflows. class == NoTarget is a step without a target:
// the loss is 0 and dlogits is zeroed. Any other class outside [0, len(logits)) is an
// error (dlogits is then zeroed too).
func SoftmaxCrossEntropy(dlogits, logits []float32, class int) (float32, error) {
	checkLen("SoftmaxCrossEntropy", "dlogits", len(dlogits), len(logits))
	if class == NoTarget {
		clear(dlogits)
		return 0, nil
	}
	if class < 0 || class >= len(logits) {
		clear(dlogits)
		return 0, fmt.Errorf("cell: class target %d out of range [0, %d)", class, len(logits))
	}
	maxLogit := math.Inf(-1)
	for _, z := range logits {
		maxLogit = math.Max(maxLogit, float64(z))
	}
	var sum float64
	for _, z := range logits {
		sum += math.Exp(float64(z) - maxLogit)
	}
	logSum := math.Log(sum)
	for i, z := range logits {
		dlogits[i] = float32(math.Exp(float64(z) - maxLogit - logSum))
	}
	dlogits[class]--
	return float32(logSum + maxLogit - float64(logits[class])), nil
}
