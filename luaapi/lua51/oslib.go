package lua51

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

func init() {
	correct("os", func(L *lua.LState, _ Options) {
		mod, ok := L.GetGlobal("os").(*lua.LTable)
		if !ok {
			return
		}
		for name, fn := range map[string]lua.LGFunction{
			"clock":     osClock,
			"difftime":  osDifftime,
			"execute":   osExecute,
			"getenv":    osGetenv,
			"remove":    osRemove,
			"rename":    osRename,
			"setlocale": osSetlocale,
			"time":      osTime,
		} {
			mod.RawSetString(name, L.NewFunction(fn))
		}
		// Lua 5.1 has no os.setenv.
		mod.RawSetString("setenv", lua.LNil)
	})
}

// osClock is os.clock(): the CPU time the process has used, in seconds,
// as C's clock(). gopher-lua's is the time since it started.
func osClock(L *lua.LState) int {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		L.Push(lua.LNumber(-1))
		return 1
	}
	L.Push(lua.LNumber(float64(ts.Nano()) / 1e9))
	return 1
}

// osDifftime is os.difftime(t2 [, t1]): t2 - t1 in seconds, each first
// made a whole time_t.
func osDifftime(L *lua.LState) int {
	t2 := cLong(checkNumber(L, 1))
	t1 := cLong(optNumber(L, 2, 0))
	L.Push(lua.LNumber(float64(t2) - float64(t1)))
	return 1
}

// osExecute is os.execute([command]): runs command with /bin/sh and
// returns its wait status as C's system() (SystemStatus); with no command,
// 1: a shell is there. This is the state's own, with no host to release
// the interpreter lock to; sockrun's runs the command without it (the
// base module's os.execute).
func osExecute(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		L.Push(lua.LNumber(1))
		return 1
	}
	cmd := exec.Command("/bin/sh", "-c", checkString(L, 1))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	L.Push(lua.LNumber(SystemStatus(cmd.Run())))
	return 1
}

// SystemStatus is what C's system() returns for a command run to its end
// with err (exec.Cmd.Run's): the wait status, the exit code times 256 or
// the number of the signal that ended it; 127 << 8, as sh reports a
// command it cannot run, if it could not be started.
func SystemStatus(err error) int {
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok {
			return int(ws)
		}
	}
	return 127 << 8
}

// osGetenv is os.getenv(name): the variable's value, nil if unset.
func osGetenv(L *lua.LState) int {
	if v, ok := os.LookupEnv(checkString(L, 1)); ok {
		L.Push(lua.LString(v))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// pushResult is Lua 5.1's os_pushresult: true, or nil, "name: message"
// and the errno.
func pushResult(L *lua.LState, err error, name string) int {
	if err == nil {
		L.Push(lua.LTrue)
		return 1
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		L.Push(lua.LNil)
		L.Push(lua.LString(name + ": " + err.Error()))
		L.Push(lua.LNumber(0))
		return 3
	}
	L.Push(lua.LNil)
	L.Push(lua.LString(name + ": " + strerror(errno)))
	L.Push(lua.LNumber(int(errno)))
	return 3
}

// strerror is glibc's text of an errno: Go's, which is the same but for
// its first letter.
func strerror(errno syscall.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// osRemove is os.remove(name): removes the file or empty directory.
func osRemove(L *lua.LState) int {
	name := checkString(L, 1)
	return pushResult(L, os.Remove(name), name)
}

// osRename is os.rename(old, new).
func osRename(L *lua.LState) int {
	from, to := checkString(L, 1), checkString(L, 2)
	return pushResult(L, os.Rename(from, to), from)
}

// osSetlocale is os.setlocale([locale [, category]]): the process stays in
// the C locale, so a query and a request for "C", "POSIX" or "" (the
// environment's, which the C locale stands for here) return "C"; any
// other locale cannot be set and returns nil.
func osSetlocale(L *lua.LState) int {
	locale := optString(L, 1, "\x00query")
	switch cat := optString(L, 2, "all"); cat {
	case "all", "collate", "ctype", "monetary", "numeric", "time":
	default:
		argError(L, 2, "invalid option '"+cat+"'")
	}
	switch locale {
	case "\x00query", "C", "POSIX", "":
		L.Push(lua.LString("C"))
	default:
		L.Push(lua.LNil)
	}
	return 1
}

// osTime is os.time([t]): now, or the time the fields of table t give in
// the local time zone (year, month and day required; hour 12, min and sec
// 0 by default; isdst), normalized as C's mktime.
func osTime(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		L.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}
	t := checkTable(L, 1)
	field := func(key string, def int) int {
		v := L.GetField(t, key)
		if f, ok := toNumber(v); ok {
			return int(int32(cLong(f)))
		}
		if def < 0 {
			raise(L, "field '"+key+"' missing in date table")
		}
		return def
	}
	sec := field("sec", 0)
	minute := field("min", 0)
	hour := field("hour", 12)
	day := field("day", -1)
	month := field("month", -1)
	year := field("year", -1)
	tm := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.Local)
	if isdst := L.GetField(t, "isdst"); isdst != lua.LNil {
		// mktime reads the fields as daylight saving time or not, as
		// isdst says, whatever the zone observed then.
		if want := lua.LVAsBool(isdst); want != tm.IsDST() {
			if want {
				tm = tm.Add(-time.Hour)
			} else {
				tm = tm.Add(time.Hour)
			}
		}
	}
	L.Push(lua.LNumber(tm.Unix()))
	return 1
}
