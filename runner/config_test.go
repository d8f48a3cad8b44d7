package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigDotenv: a config file in .env form (viper reads it with
// gotenv, which go.mod replaces with third_party/gotenv) sets keys, in
// the directory's sockrun.env and through --config: comments, export,
// quotes and ${VAR} expansion read as gotenv reads them.
func TestConfigDotenv(t *testing.T) {
	dir := t.TempDir()
	env := "# sockrun's config\nexport TIMEOUT.DEFAULT=\"7.5\"\nLOG_FORMAT=text # a comment\nX=${HOME}\n"
	if err := os.WriteFile(filepath.Join(dir, "sockrun.env"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "other.env"), []byte("timeout.default = 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "7.5"},
		{[]string{"--config", "other.env"}, "3"},
	} {
		var out, errs bytes.Buffer
		args := append(c.args, "-e", "print(socket.getdefaulttimeout())")
		code := Main(&Env{Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs, Dir: dir, Environ: []string{"HOME=/h"}})
		if code != 0 || strings.TrimSpace(out.String()) != c.want {
			t.Errorf("sockrun %q: exit %d, printed %q (stderr %q), want %s", args, code, out.String(), errs.String(), c.want)
		}
	}
}
