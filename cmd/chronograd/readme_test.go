package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeSection returns the text of README.md's section with the given "## " title.
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "\n## "+title+"\n")
	if start < 0 {
		t.Fatalf("README.md has no section %q", title)
	}
	s = s[start+1:]
	if end := strings.Index(s[3:], "\n## "); end >= 0 {
		s = s[:end+3]
	}
	return s
}

// fencedBlocks returns the contents of the section's ```LANG blocks.
func fencedBlocks(section, lang string) []string {
	var out []string
	for _, m := range regexp.MustCompile("(?s)```"+lang+"\n(.*?)```").FindAllStringSubmatch(section, -1) {
		out = append(out, m[1])
	}
	return out
}

// README's "From and to PyTorch" round trip runs as written (with the chronograd binary
// for `go run ./cmd/chronograd`, in a scratch directory that sees the repository's
// python/), and prints the lines the README quotes.
func TestReadmePyTorchRoundTrip(t *testing.T) {
	py := pythonWithTorch(t)
	section := readmeSection(t, "From and to PyTorch")
	scripts := fencedBlocks(section, "sh")
	quoted := fencedBlocks(section, "text")
	if len(scripts) != 1 || len(quoted) != 1 {
		t.Fatalf("want one sh block and one text block in the section, have %d and %d", len(scripts), len(quoted))
	}
	work := t.TempDir()
	bin := filepath.Join(t.TempDir(), "chronograd")
	// For the host: under go test -exec qemu-… this test runs emulated, but the script's
	// shell and python3 run natively and must be able to run the binary too.
	host, err := exec.Command("go", "env", "GOHOSTOS", "GOHOSTARCH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	hostOS, hostArch, _ := strings.Cut(strings.TrimSpace(string(host)), "\n")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOOS="+hostOS, "GOARCH="+hostArch)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Symlink(repoPython(t), filepath.Join(work, "python")); err != nil {
		t.Fatal(err)
	}
	pathDir := t.TempDir()
	if err := os.Symlink(py, filepath.Join(pathDir, "python3")); err != nil {
		t.Fatal(err)
	}
	script := "set -eu\n" + strings.ReplaceAll(scripts[0], "go run ./cmd/chronograd", bin)
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+pathDir+string(os.PathListSeparator)+os.Getenv("PATH"), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's round trip failed: %v\n%s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	for _, want := range strings.Split(strings.TrimSpace(quoted[0]), "\n") {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("the run did not print the README's line %q; it printed:\n%s", want, out)
		}
	}
}
