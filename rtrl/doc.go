// Package rtrl holds the forward-mode credit-assignment algorithms: exact real-time
// recurrent learning (Exact), its online approximations SnAp-1, SnAp-2 (for sparse
// W_hh), UORO, KF-RTRL, reverse KF-RTRL, RFLO and e-prop, and DNI, whose
// synthetic-gradient module predicts the credit the future will assign instead. One file
// per algorithm, written to read like its paper.
//
// Every algorithm has the same streaming shape as package bptt (the interface
// algo.Algorithm): Reset starts a sequence, Step feeds one (input, target) pair, runs the
// cell and the readout, returns the step's loss ½‖head(h_t) − y_t‖² and adds the step's
// gradient contribution at once (these are online algorithms), GradCell / GradHead expose
// the accumulated gradients in the cell's and the readout's parameter layouts, and Close
// ends the algorithm's life (after it, Reset and Step return cell.ErrClosed). Every
// constructor takes the model the algorithm differentiates and an options struct whose
// zero value is the algorithm's default configuration. A steady-state Step allocates
// nothing.
//
// Notation shared by the files: s_t is the cell's state (h_t, or [h_t; c_t] for LSTM; S
// values), θ the cell's P parameters, J_t = ∂s_t/∂s_{t-1} the state Jacobian and Ī_t =
// ∂s_t/∂θ the immediate (one-step) parameter Jacobian. The influence matrix M_t = ds_t/dθ
// (S×P) obeys M_t = J_t·M_{t-1} + Ī_t, and the loss gradient is Σ_t (∂L_t/∂s_t)ᵀ·M_t.
// Exact RTRL carries M_t; the approximations carry a cheaper stand-in for it.
package rtrl
