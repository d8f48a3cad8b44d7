package runner

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/runner/host"
	"github.com/spf13/cobra"
)

// Env is everything of the process that a run touches (host.Env): main
// hands in the real ones; tests hand in their own.
type Env = host.Env

// TakeSystemd reads what a service manager handed the process from its
// environment (host.TakeSystemd); main then unsets SystemdVars.
func TakeSystemd(environ []string, pid int) host.Systemd { return host.TakeSystemd(environ, pid) }

// SystemdVars are the variables TakeSystemd reads, which main unsets so
// that programs the script starts do not see them.
var SystemdVars = host.SystemdVars

// HandledSignals are the signals a run handles (SIGINT, SIGTERM, SIGHUP,
// SIGUSR1, SIGUSR2): main passes them to Env.Signals.
func HandledSignals() []os.Signal { return luaapi.HandledSignals() }

// exitError carries an exit code out of a cobra command.
type exitError struct {
	code int
	msg  string // printed to stderr if not empty
}

func (e *exitError) Error() string { return e.msg }

// Main runs sockrun with env and returns the process's exit code.
func Main(env *Env) int {
	code := host.ExitOK
	root := newRootCmd(env, &code)
	root.SetArgs(env.Args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	if err := root.Execute(); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintf(env.Stderr, "sockrun: %s\n", ee.msg)
			}
			return ee.code
		}
		fmt.Fprintf(env.Stderr, "sockrun: %v\nRun 'sockrun --help' for usage.\n", err)
		return host.ExitUsage
	}
	return code
}

const examples = `  sockrun scripts/tcp_server.lua                  run a script
  sockrun --var port=9000 scripts/tcp_server.lua  set a script parameter (vars.port)
  sockrun scripts/tcp_echo_client.lua "hello"     arguments after the script are arg[1..]
  sockrun -e 'print(socket.gethostname())'        run a chunk
  sockrun -e 'x = 5' -l mymod script.lua          run chunks, require modules, then the script
  sockrun                                         an interactive prompt (-i: after the script)
  sockrun check scripts/*.lua                     compile without running
  sockrun --workers auto scripts/threaded_echo_server.lua`

func newRootCmd(env *Env, code *int) *cobra.Command {
	var pre []host.Chunk
	var interactive bool
	var profiles host.Profiles
	root := &cobra.Command{
		Use:   "sockrun [flags] [SCRIPT.lua | -] [ARGS...]",
		Short: "Run Lua scripts that speak real sockets",
		Long: `sockrun runs a Lua script with Python's socket API: socket.socket, bind, listen,
accept, connect, send, recv, sendto, recvfrom and the rest, over real OS sockets.

Configuration: flags, then SOCKRUN_* environment variables (SOCKRUN_WORKERS,
SOCKRUN_TIMEOUT_DEFAULT, SOCKRUN_VARS_<KEY>), then sockrun.yaml|toml|json in the
working directory (or --config FILE), then defaults.`,
		Example:       examples,
		Args:          cobra.ArbitraryArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(env, cmd.Flags())
			if err != nil {
				return &exitError{code: host.ExitUsage, msg: err.Error()}
			}
			cfg.Profiles = profiles
			program := env.Program
			if program == "" {
				program = "sockrun"
			}
			// What came before the script: the program and the options.
			s := host.Script{Pre: pre, Before: append([]string{program}, env.Args[:len(env.Args)-len(args)]...)}
			if len(args) > 0 {
				s.Path, s.Args = args[0], args[1:]
			} else if !cmd.Flags().Changed("execute") && !interactive {
				// As lua and python3: the prompt on a terminal, else the
				// script on standard input.
				if env.Terminal {
					interactive = true
				} else {
					s.Path = "-"
				}
			}
			if interactive {
				*code = repl(env, cfg, s)
			} else {
				*code = run(env, cfg, s)
			}
			return nil
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	// Flags after the script belong to the script (arg[1..]).
	root.Flags().SetInterspersed(false)
	root.Version = Version
	root.SetVersionTemplate("sockrun {{.Version}}\n")
	root.Flags().VarP(chunkFlag{list: &pre}, "execute", "e", "run the Lua `CHUNK` before the script (repeatable)")
	root.Flags().VarP(chunkFlag{list: &pre, module: true}, "library", "l", "require module `NAME` (or GLOBAL=NAME) into a global before the script (repeatable)")
	root.Flags().BoolVarP(&interactive, "interactive", "i", false, "enter the prompt after the script and the -e chunks")
	root.Flags().BoolP("version", "v", false, "print the version and exit")
	root.Flags().StringVar(&profiles.CPU, "cpuprofile", "", "write a CPU profile of the run to `FILE` (go tool pprof)")
	root.Flags().StringVar(&profiles.Mem, "memprofile", "", "write a heap profile (allocations, and what was live) to `FILE` when the run ends")
	pf := root.PersistentFlags()
	pf.String("config", "", "read the configuration from `FILE` (default: sockrun.yaml|toml|json here)")
	pf.StringArray("var", nil, "set a script parameter, read as vars.KEY (repeatable): `KEY=VALUE`")
	addConfigFlags(pf)

	root.AddCommand(&cobra.Command{
		Use:   "check SCRIPT.lua...",
		Short: "Compile scripts without running them; report syntax errors",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if c := check(env, host.Script{Path: a}); c != host.ExitOK {
					*code = c
				}
			}
			return nil
		},
	})
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print sockrun's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintf(env.Stdout, "sockrun %s\n", Version)
		},
	})
	root.AddCommand(newDocCmd(env))
	root.AddCommand(newLspDefsCmd(env))
	return root
}

// chunkFlag is -e or -l: each use appends to the one list both share, so
// that the chunks and modules run in the order given.
type chunkFlag struct {
	list   *[]host.Chunk
	module bool
}

// String implements pflag.Value.
func (f chunkFlag) String() string { return "" }

// Type implements pflag.Value.
func (f chunkFlag) Type() string {
	if f.module {
		return "NAME"
	}
	return "CHUNK"
}

// Set implements pflag.Value.
func (f chunkFlag) Set(val string) error {
	if f.module {
		if val == "" || strings.HasSuffix(val, "=") {
			return errors.New("want a module name")
		}
		*f.list = append(*f.list, host.Chunk{Name: "(command line)", Module: val})
	} else {
		*f.list = append(*f.list, host.Chunk{Name: "(command line)", Src: val})
	}
	return nil
}
