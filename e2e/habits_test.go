package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The habits of lua and python3 that sockrun's command line keeps.

func TestShebang(t *testing.T) {
	src := writeScript(t, "#!/usr/bin/env sockrun\nprint('ran')\nerror('at line 3')")
	out, stderr, code := runSockrun(t, "", src)
	if code != 1 || out != "ran" || !strings.Contains(stderr, "s.lua:3: at line 3") {
		t.Errorf("run: code %d, stdout %q, stderr %q (want line numbers kept)", code, out, stderr)
	}
	out, _, code = runSockrun(t, "", "check", src)
	if code != 0 || !strings.HasSuffix(out, ": ok") {
		t.Errorf("check: code %d, %q", code, out)
	}
}

// TestExecuteChunksThenScript: -e chunks and -l modules run in the order
// given, then the script, all in one VM, with the script's arg.
func TestExecuteChunksThenScript(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mymod.lua"), []byte(`order = (order or "") .. "l"; return {name = "mymod"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "s.lua"), []byte(`print(x, order, mymod.name, m2.name, arg[0], arg[1], arg[2])`), 0o644)
	p := startIn(t, dir, nil, sockrunBin, "-e", `x = 5; order = "e"`, "-l", "mymod", "-l", "m2=mymod", "-e", `order = order .. "e"`, "s.lua", "a", "-e")
	p.closeStdin()
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, p.Stderr())
	}
	if got := strings.Join(p.Stdout(), "\n"); got != "5\tele\tmymod\tmymod\ts.lua\ta\t-e" {
		t.Errorf("got %q", got)
	}
	_, stderr, code := runSockrun(t, "", "-l", "no_such_module", "-e", "print(1)")
	if code != 1 || !strings.Contains(stderr, "no_such_module") {
		t.Errorf("-l missing: code %d, stderr %q", code, stderr)
	}
	_, stderr, code = runSockrun(t, "", "-e", "x = = 1")
	if code != 2 || !strings.Contains(stderr, "(command line):1:") {
		t.Errorf("-e syntax error: code %d, stderr %q", code, stderr)
	}
}

// TestMissingModuleAsLua51: -l of a module that is nowhere prints what
// lua5.1 prints: the message, each place looked in, and the traceback of
// the require call alone ("[C]: ?" twice), with nothing of the host's
// calls; and an error in a script run after -e chunks has the script's
// frames and one "[C]: ?", as lua5.1's.
func TestMissingModuleAsLua51(t *testing.T) {
	check := func(t *testing.T, prog, stderr string) {
		t.Helper()
		msg, trace, ok := strings.Cut(stderr, "stack traceback:\n")
		lines := strings.Split(strings.TrimSuffix(msg, "\n"), "\n")
		if !ok || lines[0] != prog+": module 'no_such_module' not found:" || lines[1] != "\tno field package.preload['no_such_module']" {
			t.Fatalf("%s: stderr %q", prog, stderr)
		}
		for _, l := range lines[2:] {
			if !strings.HasPrefix(l, "\tno file '") || !strings.HasSuffix(l, "'") {
				t.Errorf("%s: line %q is not a place looked in (stderr %q)", prog, l, stderr)
			}
		}
		if trace != "\t[C]: ?\n\t[C]: ?\n" && trace != "\t[C]: ?\n\t[C]: ?" {
			t.Errorf("%s: traceback %q", prog, trace)
		}
	}
	_, stderr, code := runSockrun(t, "", "-l", "no_such_module", "-e", "print(1)")
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	check(t, "sockrun", stderr)
	script := writeScript(t, "error('boom')")
	_, stderr, _ = runSockrun(t, "", "-e", "x = 5", script)
	if want := script + ":1: boom\nstack traceback:\n\t[C]: in function 'error'\n\t" + script + ":1: in main chunk\n\t[C]: ?"; strings.TrimSpace(stderr) != "sockrun: "+want {
		t.Errorf("a script after -e: stderr %q, want %q", stderr, want)
	}
	t.Run("lua5.1", func(t *testing.T) {
		lua := lua51(t)
		out, _ := exec.Command(lua, "-l", "no_such_module", "-e", "print(1)").CombinedOutput()
		check(t, lua, string(out)) // lua.c names itself as invoked
	})
}

// TestScriptFromStdin: "-" reads the script from standard input, and so
// does sockrun with no script when standard input is not a terminal.
func TestScriptFromStdin(t *testing.T) {
	for _, args := range [][]string{{"-", "x"}, {}} {
		out, stderr, code := runSockrun(t, "#!/usr/bin/env sockrun\nprint(arg[0], arg[1])\n", args...)
		want := "-\tx" // arg[0] is "-", as lua - x gives
		if len(args) == 0 {
			want = "-\tnil"
		}
		if code != 0 || out != want {
			t.Errorf("%v: code %d, stdout %q (want %q), stderr %q", args, code, out, want, stderr)
		}
	}
}

func TestVersionFlag(t *testing.T) {
	for _, flag := range []string{"-v", "--version"} {
		out, _, code := runSockrun(t, "", flag)
		if code != 0 || out != "sockrun 0.1.0" {
			t.Errorf("%s: code %d, %q", flag, code, out)
		}
	}
}

func TestScriptIsDirectory(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := runSockrun(t, "", dir)
	if code != 2 || stderr != "sockrun: "+dir+" is a directory\n" {
		t.Errorf("code %d, stderr %q", code, stderr)
	}
}

// TestPackagePath: the script's directory first, then the config's path,
// then LUA_PATH with ";;" as the default (./?.lua).
func TestPackagePath(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"app", "cfglib", "envlib"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	write := func(path, src string) { os.WriteFile(filepath.Join(dir, path), []byte(src), 0o644) }
	write("app/both.lua", `return "app"`)
	write("cfglib/both.lua", `return "cfglib"`)
	write("cfglib/cfg.lua", `return "cfg"`)
	write("envlib/cfg.lua", `return "envlib"`)
	write("envlib/env.lua", `return "env"`)
	write("here.lua", `return "here"`)
	write("sockrun.yaml", "path: cfglib/?.lua\n")
	write("app/main.lua", `print(require("both"), require("cfg"), require("env"), require("here"), package.cpath)`)
	p := startIn(t, dir, []string{"LUA_PATH=envlib/?.lua;;", "LUA_CPATH=/x/?.so;;"}, sockrunBin, "app/main.lua")
	p.closeStdin()
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, p.Stderr())
	}
	if got := strings.Join(p.Stdout(), "\n"); got != "app\tcfg\tenv\there\t/x/?.so" {
		t.Errorf("got %q", got)
	}
	if p.Stderr() != "" {
		t.Errorf("stderr %q (path is a known key)", p.Stderr())
	}
}
