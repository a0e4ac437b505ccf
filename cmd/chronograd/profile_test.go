package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chronograd/chronograd/bench"
)

// tiny is a profile small enough for a test: two cells, three hidden sizes, two T.
var tiny = []string{"-cells", "gru,rnn_tanh", "-hidden", "4,8,12", "-T", "6,12", "-algos", "bptt,tbptt:2,4,snap1,rflo", "-repeats", "1", "-train-budget", "100ms"}

// The -cells, -hidden, -T and -algos flags choose what is swept; every report file is
// written with mode 0644; training results come as CSV too.
func TestProfileFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	code, out, errOut := runCmd(t, append([]string{"profile", "-out", dir}, tiny...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var rep struct {
		Quick     bool
		Results   []bench.Result
		Memory    []bench.Result
		Exponents []bench.Scaling
		Training  []bench.TrainingRun
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Quick {
		t.Error("a full run's report says quick")
	}
	type key struct {
		algo, cell string
		n, T       int
	}
	var got []key
	for _, r := range rep.Results {
		got = append(got, key{r.Algo, r.Cell, r.Hidden, r.T})
	}
	var want []key
	for _, c := range []string{"rnn_tanh", "gru"} {
		for _, n := range []int{4, 8, 12} {
			for _, a := range []string{"bptt", "tbptt:2,4", "snap1", "rflo"} {
				if a == "rflo" && c == "gru" {
					continue // rflo applies to vanilla cells only
				}
				want = append(want, key{a, c, n, 6}) // T=6 is both the first -T and below the online T of 20
			}
		}
	}
	slices.SortFunc(got, func(a, b key) int { return strings.Compare(a.algo+a.cell, b.algo+b.cell)*100 + a.n - b.n })
	slices.SortFunc(want, func(a, b key) int { return strings.Compare(a.algo+a.cell, b.algo+b.cell)*100 + a.n - b.n })
	if !slices.Equal(got, want) {
		t.Errorf("cost cases\n%v\nwant\n%v", got, want)
	}
	for _, r := range rep.Memory {
		if r.Hidden != 8 || (r.T != 6 && r.T != 12) || (r.T == 12 && (r.Algo == "snap1" || r.Algo == "rflo")) {
			t.Errorf("memory case %s %s n=%d T=%d: want n=8, T ∈ {6, 12}, forward-mode algorithms at the first T only", r.Algo, r.Cell, r.Hidden, r.T)
		}
	}
	for _, e := range rep.Exponents {
		if e.Points != 3 || e.CI95 == nil || e.Expected != 2 {
			t.Errorf("exponent %+v: want 3 points, an interval and expected 2", e)
		}
	}
	var raced []string
	for _, r := range rep.Training {
		raced = append(raced, r.Algo)
		if r.Baseline != 1.0/12 || len(r.Curve) == 0 {
			t.Errorf("training run %s: baseline %v, %d curve points", r.Algo, r.Baseline, len(r.Curve))
		}
	}
	if !slices.Equal(raced, []string{"bptt", "tbptt:2,4", "snap1"}) {
		t.Errorf("raced %v, want the -algos that apply to a GRU", raced)
	}
	for _, want := range []string{
		"cost per step over sequences of T=6 steps", "fitted  expected", "memory held and time per step against T (n=8)",
		"baseline: predicting the mean scores 0.0833", "beats baseline",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	files := []string{"batch.csv", "exponents.csv", "memory.csv", "memory_gru.svg", "memory_rnn_tanh.svg", "profile.csv", "report.json",
		"scaling_gru.svg", "scaling_rnn_tanh.svg", "time_T_gru.svg", "time_T_rnn_tanh.svg", "training.csv", "training.svg", "training_curve.csv"}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", e.Name(), info.Mode().Perm())
		}
	}
	if !slices.Equal(names, files) {
		t.Errorf("report files %v, want %v", names, files)
	}
	if !strings.Contains(out, "minibatches: B sequences stepped together") || !regexp.MustCompile(`(?m)^\s+bptt\s+gru\s+12\s+8\s`).MatchString(out) {
		t.Errorf("no minibatch table with B = 4 for gru:\n%s", out)
	}
	if !strings.Contains(out, "report: "+dir+"/ (14 files") {
		t.Errorf("output does not count the 14 files:\n%s", out)
	}
	f, err := os.Open(filepath.Join(dir, "training.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "algo,cell,hidden,task,T,sequences,seconds,final_loss,baseline,beats_baseline,bytes" || len(rows) != 4 {
		t.Errorf("training.csv: %v", rows)
	}
}

// A training row that does not beat the baseline is flagged in the table, and the race
// is skipped, saying so, when no algorithm of -algos applies to its GRU.
func TestProfileFlagsNonLearners(t *testing.T) {
	cfg := profileConfig{T: 100, onlineT: 20, hidden: []int{16, 32}, trainHidden: 16, trainT: 50, trainBudget: 6 * time.Second}
	rep := profileReport{Training: []bench.TrainingRun{
		{Algo: "bptt", Sequences: 9000, Seconds: 6, FinalLoss: 0.0002, Baseline: addingBaseline, Bytes: 2048},
		{Algo: "uoro", Sequences: 2000, Seconds: 6, FinalLoss: 0.087, Baseline: addingBaseline, Bytes: 2048},
	}}
	var out strings.Builder
	if err := printProfile(&out, cfg, rep, nil); err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`(?m)^\s+bptt\s+9000\s+6\.0\s+0\.0002\s+2\.0 KiB\s+yes$`,
		`(?m)^\s+uoro\s+2000\s+6\.0\s+0\.087\s+2\.0 KiB\s+NO$`,
		`(?m)^warning: uoro did not beat the baseline in 6s`,
		`(?m)^baseline: predicting the mean scores 0\.0833`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("no match for %s in:\n%s", re, out.String())
		}
	}
	code, stdout, errOut := runCmd(t, "profile", "-out", t.TempDir(), "-cells", "rnn_tanh", "-hidden", "4,8", "-T", "5", "-algos", "rflo", "-repeats", "1")
	if code != 0 || errOut != "" || !strings.Contains(stdout, "training: no algorithm of -algos applies to the race's GRU; race skipped") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, errOut, stdout)
	}
}

func TestProfileRejectsBadFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-cells", "gru,transformer"}, `-cells "gru,transformer": cell: unknown cell kind "transformer"`},
		{[]string{"-cells", "gru,gru"}, "gru is listed twice"},
		{[]string{"-cells", ""}, `-cells "": cell: unknown cell kind ""`},
		{[]string{"-hidden", "16,0"}, `-hidden "16,0": 0 is not in [1, 65536]`},
		{[]string{"-hidden", "16,x"}, `-hidden "16,x": "x" is not an integer`},
		{[]string{"-hidden", "8,8"}, "8 is listed twice"},
		{[]string{"-T", "100,-5"}, `-T "100,-5": -5 is not in [1, 65536]`},
		{[]string{"-T", "1e9"}, `"1e9" is not an integer`},
		{[]string{"-algos", "bptt,magic"}, `-algos "magic": unknown algorithm`},
		{[]string{"-algos", "tbptt:5"}, "tbptt:5: needs 2 integer parameter(s) K1,K2"},
		{[]string{"-algos", "eprop", "-cells", "gru,rnn_tanh"}, "-algos eprop applies to none of the cells profiled: eprop needs an lstm cell"},
		{[]string{"-algos", "bptt,bptt"}, "bptt is listed twice"},
		{[]string{"-repeats", "0"}, "-repeats must be at least 1"},
	} {
		code, stdout, errOut := runCmd(t, append([]string{"profile", "-out", out}, c.args...)...)
		if code != 1 || stdout != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line with %q", c.args, code, stdout, errOut, c.msg)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused run created %s", out)
	}
}

// -quick writes to chronograd-report-quick by default, and refuses to overwrite a full
// report unless -force; a quick report may be overwritten by another quick run.
func TestProfileQuickKeepsTheFullReport(t *testing.T) {
	small := []string{"-quick", "-cells", "rnn_tanh", "-algos", "bptt", "-hidden", "4,8", "-T", "5", "-repeats", "1", "-train-budget", "20ms"}
	work := t.TempDir()
	t.Chdir(work)
	if code, _, errOut := runCmd(t, small...); code != 0 {
		t.Fatalf("quick run: %s", errOut)
	}
	if _, err := os.Stat(filepath.Join("chronograd-report-quick", "report.json")); err != nil {
		t.Errorf("-quick did not write chronograd-report-quick: %v", err)
	}
	if _, err := os.Stat("chronograd-report"); !os.IsNotExist(err) {
		t.Errorf("-quick touched chronograd-report: %v", err)
	}
	if code, _, errOut := runCmd(t, small...); code != 0 {
		t.Fatalf("a quick run over a quick report: %s", errOut)
	}

	full := filepath.Join(work, "full")
	if code, _, errOut := runCmd(t, "-out", full, "-cells", "rnn_tanh", "-algos", "bptt", "-hidden", "4,8", "-T", "5", "-repeats", "1", "-train-budget", "20ms"); code != 0 {
		t.Fatalf("full run: %s", errOut)
	}
	before, err := os.ReadFile(filepath.Join(full, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a new report would have another date
	code, out, errOut := runCmd(t, append([]string{"-out", full}, small...)...)
	if code != 1 || out != "" || !strings.Contains(errOut, "-out "+full+" holds a full profile report (of 20") || !strings.Contains(errOut, "pass -force") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("quick over full: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(full, "report.json")); string(after) != string(before) {
		t.Fatal("the refused quick run changed the full report")
	}
	if code, _, errOut := runCmd(t, append([]string{"-out", full, "-force"}, small...)...); code != 0 {
		t.Fatalf("-force: %s", errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(full, "report.json")); string(after) == string(before) {
		t.Fatal("-force did not write the quick report")
	}
}

// With stderr a log file, the profile prints progress lines as it goes.
func TestProfileProgressOnALog(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0
	log, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	var out strings.Builder
	if code := run([]string{"profile", "-out", t.TempDir(), "-cells", "gru", "-algos", "bptt,snap1", "-hidden", "4,8", "-T", "5", "-repeats", "1", "-train-budget", "50ms"}, &out, log); code != 0 {
		b, _ := os.ReadFile(log.Name())
		t.Fatalf("exit %d: %s", code, b)
	}
	b, _ := os.ReadFile(log.Name())
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 4 || !regexp.MustCompile(`^profile: \d+% after \d+s, about \d+s left: bptt gru n=4 T=5$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^profile: done in \d+s$`).MatchString(lines[len(lines)-1]) {
		t.Errorf("progress lines:\n%s", b)
	}
}
