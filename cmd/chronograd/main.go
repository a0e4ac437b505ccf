// Command chronograd profiles, trains and checks recurrent networks trained through
// time. Run it without arguments for the default profile; `chronograd help` lists the
// subcommands.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chronograd/chronograd/kernels"
)

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"profile", "profile every algorithm's cost and train with each (the default)", runProfile},
		{"bench", "measure one algorithm on one cell (-json for tools)", runBench},
		{"train", "train a model on a built-in task and save it", runTrain},
		{"cpu", "show the CPU features and the kernel tier in use", runCPU},
		{"grad", "write the loss gradient of a model on a sequence (cross-checks algorithms)", runGrad},
		{"diagnose", "measure how gradients decay through time, and the TBPTT window a bias δ implies", runDiagnose},
		{"data", "write a task's sequences as a data file for grad, diagnose and PyTorch", runData},
		{"frontier", "every online algorithm's gradient accuracy against its cost, on one model and stream", runFrontier},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if err := kernels.EnvError(); err != nil {
		fmt.Fprintf(stderr, "chronograd: %v\n", err)
	}
	name := "profile"
	switch {
	case len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		name = "help"
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == name {
			err := c.run(args, stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			}
			fmt.Fprintf(stderr, "chronograd %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "chronograd: unknown command %q (chronograd help lists them)\n", name)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: chronograd [command] [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nWithout a command chronograd runs profile (flags included: chronograd -quick). `chronograd COMMAND -h` shows a command's flags.")
}

// newFlags returns a flag set that returns errors instead of exiting. Its usage text
// (for -h) goes to stdout; errors are returned as one line by parse.
func newFlags(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("chronograd "+name, flag.ContinueOnError)
	// The flag package prints its error message and calls Usage on every parse error,
	// not only for -h: collect both and let parse decide what reaches stdout.
	held := &heldUsage{stdout: stdout}
	fs.SetOutput(held)
	fs.Usage = func() {
		held.Reset()
		fmt.Fprintf(held, "usage of chronograd %s:\n", name)
		fs.PrintDefaults()
	}
	return fs
}

// heldUsage holds what a flag set prints until parse knows whether it was asked for.
type heldUsage struct {
	bytes.Buffer
	stdout io.Writer
}

// parse parses args and rejects positional arguments. -h prints the usage to stdout
// and returns flag.ErrHelp; any other problem is returned as one line.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	held, _ := fs.Output().(*heldUsage)
	if held != nil {
		defer held.Reset()
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if held != nil {
				held.WriteTo(held.stdout)
			}
			return err
		}
		return fmt.Errorf("%v (see %s -h)", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
