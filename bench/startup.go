package main

import (
	"os/exec"
	"time"
)

// startupResult is the wall time of starting an interpreter that runs
// nothing, per program, every run.
type startupResult struct {
	runs  int
	progs []startupProg
}

type startupProg struct {
	name string // the command line as shown
	note string // skipped or failed: why
	ms   []float64
}

// startupTargetRef is the program whose start-up, measured in the same
// run, sockrun's must stay below (issue #20).
const startupTargetRef = "python3 -c ''"

// target returns sockrun's median start-up and the reference's; ok is
// false when either was not measured.
func (r *startupResult) target() (sockrun, ref float64, ok bool) {
	if r == nil || len(r.progs) == 0 || len(r.progs[0].ms) == 0 {
		return 0, 0, false
	}
	for _, p := range r.progs {
		if p.name == startupTargetRef && len(p.ms) > 0 {
			return median(r.progs[0].ms), median(p.ms), true
		}
	}
	return 0, 0, false
}

// runStartup times `sockrun -e ' '` against `lua5.1 -e ' '` and
// `python3 -c ”`, runs interleaved, nothing pinned: the time from fork to
// exit as a user waits for it.
func (b *benchmark) runStartup() *startupResult {
	py, pyMissing := python()
	lua, luaMissing := lookTool("lua5.1", "lua5.1")
	cmds := []struct {
		name, missing string
		argv          []string
	}{
		{"sockrun -e ' '", "", []string{b.sockrun, "-e", " "}},
		{"lua5.1 -e ' '", luaMissing, []string{lua, "-e", " "}},
		{"python3 -c ''", pyMissing, []string{py, "-c", ""}},
	}
	if b.o.baseline != "" {
		cmds = append(cmds, struct {
			name, missing string
			argv          []string
		}{baselineName("sockrun") + " -e ' '", "", []string{b.o.baseline, "-e", " "}})
	}
	res := &startupResult{runs: b.o.startupRuns}
	for _, c := range cmds {
		res.progs = append(res.progs, startupProg{name: c.name, note: c.missing})
	}
	for range res.runs {
		for i, c := range cmds {
			p := &res.progs[i]
			if p.note != "" {
				continue
			}
			t0 := time.Now()
			if out, err := exec.Command(c.argv[0], c.argv[1:]...).CombinedOutput(); err != nil {
				p.note = "failed: " + firstLine(err.Error()+": "+string(out))
				continue
			}
			p.ms = append(p.ms, float64(time.Since(t0))/1e6)
		}
	}
	for _, p := range res.progs {
		logf("startup %-16s median %6.2f ms over %d runs %s", p.name, median(p.ms), len(p.ms), p.note)
	}
	return res
}
