//go:build unix

package kernels

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pageGuarded maps n floats so that the first element directly follows a PROT_NONE page
// (atEnd false) or the last element directly precedes one (atEnd true). A kernel that
// reads one float past either end of its slice faults and the test binary dies with
// SIGSEGV, which is the point.
func pageGuarded(t *testing.T, n int, atEnd bool) []float32 {
	t.Helper()
	page := unix.Getpagesize()
	body := (n*4 + page - 1) / page * page
	if body == 0 {
		body = page
	}
	mem, err := unix.Mmap(-1, 0, page+body+page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { _ = unix.Munmap(mem) })
	if err := unix.Mprotect(mem[:page], unix.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	if err := unix.Mprotect(mem[page+body:], unix.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	all := unsafe.Slice((*float32)(unsafe.Pointer(&mem[page])), body/4)
	if atEnd {
		return all[len(all)-n:]
	}
	return all[:n:n]
}

func TestGuardPage(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	lengths := []int{0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 127, 129, 1023, 4097}
	forEachTier(t, func(t *testing.T) {
		for _, atEnd := range []bool{true, false} {
			for _, n := range lengths {
				x := pageGuarded(t, n, atEnd)
				y := pageGuarded(t, n, atEnd)
				d := pageGuarded(t, n, atEnd)
				randFill(r, x)
				randFill(r, y)
				randFill(r, d)
				_ = Dot(x, y)
				Axpy(0.5, x, d)
				Scale(0.5, d)
				Mul(d, x, y)
				Add(d, x, y)
				MulAdd(d, x, y)
				Tanh(d, x)
				Sigmoid(d, x)
				Tanh(x, x)
				Sigmoid(y, y)
				// Matrices whose first or last row touches the guard page, with a
				// vector along each dimension also at the page edge.
				for _, rows := range []int{1, 3, 8, 17} {
					if n == 0 {
						continue
					}
					a := Mat{Rows: rows, Cols: n, Stride: n, Data: pageGuarded(t, rows*n, atEnd)}
					randFill(r, a.Data)
					xr := pageGuarded(t, rows, atEnd)
					yr := pageGuarded(t, rows, atEnd)
					randFill(r, xr)
					MatVec(yr, a, x)
					MatVecAdd(yr, a, x)
					MatTVecAdd(d, a, xr)
					Ger(a, 0.25, xr, y)
					b := Mat{Rows: n, Cols: rows, Stride: rows, Data: pageGuarded(t, n*rows, atEnd)}
					randFill(r, b.Data)
					c := Mat{Rows: rows, Cols: rows, Stride: rows, Data: pageGuarded(t, rows*rows, atEnd)}
					Gemm(c, a, b)
					c2 := Mat{Rows: n, Cols: n, Stride: n, Data: pageGuarded(t, n*n, atEnd)}
					if n <= 129 {
						Gemm(c2, b, a)
					}
				}
			}
		}
	})
}
