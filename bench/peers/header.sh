# Sourced by run.sh, batch.sh and layers.sh once they have built the chronograd binary
# into $bin and set $py: peers_header prints the line naming the machine, the kernel tier,
# the BLAS PyTorch and numpy call, and the time, and stops the script (peers.py exits 4,
# naming the library) unless that BLAS is OpenBLAS.
peers_header() {
	local blas
	blas=$("$py" bench/peers/peers.py blas)
	echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r), $(go version | cut -d' ' -f3), $("$bin" cpu | grep kernels:), BLAS $blas, $(date -u +%FT%TZ)"
}
