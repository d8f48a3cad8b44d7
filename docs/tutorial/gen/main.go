// Command gen regenerates the traces and sequence diagrams that
// docs/tutorial.md shows, from real runs of the tutorial's scripts (see
// package tutorialgen): it builds sockrun, runs each step, writes the
// files into docs/tutorial/ and each text trace into the code block of
// docs/tutorial.md under its "<!-- trace: FILE -->" marker. Run it from
// the repository's top directory, on Linux (it finds a server's port in
// /proc, without connecting to it):
//
//	go run ./docs/tutorial/gen
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/sockrun/sockrun/docs/tutorial/tutorialgen"
)

func main() {
	if _, err := os.Stat("scripts/chat_server.lua"); err != nil {
		fail(errors.New("run it from the repository's top directory: go run ./docs/tutorial/gen"))
	}
	repo, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	tmp, err := os.MkdirTemp("", "sockrun-tutorial")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "sockrun")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fail(fmt.Errorf("building sockrun: %v\n%s", err, out))
	}
	dir := filepath.Join("docs", "tutorial")
	files, err := tutorialgen.Generate(bin, repo, dir)
	if err != nil {
		fail(err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Println("wrote", filepath.Join(dir, name))
	}
	md, err := os.ReadFile("docs/tutorial.md")
	if err != nil {
		fail(err)
	}
	filled, err := tutorialgen.FillTraces(string(md), files)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile("docs/tutorial.md", []byte(filled), 0o644); err != nil {
		fail(err)
	}
	fmt.Println("updated docs/tutorial.md")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
