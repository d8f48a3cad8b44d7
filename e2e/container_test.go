package e2e

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sockrun/sockrun/internal/testenv"
)

// TestContainerImage builds docs/deploy's image with podman, from a static
// sockrun built here (Containerfile.prebuilt: no registry is reachable to
// pull the Go image the source recipe builds in), and runs it as
// docs/deploy/kubernetes.yaml's Deployment runs its container: the same
// arguments, user, read-only root filesystem, no capabilities. Over the
// ports podman publishes on loopback it checks that the script echoes,
// that /metrics (parsed with Prometheus' parser) counts the client and
// /healthz answers 200, and that `podman stop` (SIGTERM to sockrun, PID 1
// in the container) drains: the open connection is still served, and the
// container ends with exit code 0 and the JSON stop line. Then, in a
// container with the Deployment's memory limit, --max-memory auto is half
// of it (the cgroup's). The image and the containers are removed at the
// end.
func TestContainerImage(t *testing.T) {
	podman := testenv.Tool(t, "podman")

	// The build context: a static sockrun, scripts/, and the files of /etc
	// sockrun reads (CA certificates for ssl, services for getservbyname).
	dir := t.TempDir()
	bin := filepath.Join(dir, "sockrun")
	// Its own bound: without CGO most packages are built anew, which took
	// 5 minutes here on an empty build cache with the machine busy.
	buildCtx, buildCancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer buildCancel()
	build := exec.CommandContext(buildCtx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building a static sockrun: %v\n%s", err, out)
	}
	checkStatic(t, bin)
	copyTree(t, filepath.Join(repoRoot, "scripts"), filepath.Join(dir, "scripts"))
	for _, f := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/services"} {
		testenv.File(t, f, "Debian's ca-certificates and netbase")
		copyFile(t, f, filepath.Join(dir, f))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	pm := func(args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, podman, append(podmanGlobal(), args...)...)
	}
	tag := fmt.Sprintf("localhost/sockrun-e2e:%d", os.Getpid())
	name := fmt.Sprintf("sockrun-e2e-%d", os.Getpid())
	if out, err := pm("build", "-q", "-f", filepath.Join(repoRoot, "docs", "deploy", "Containerfile.prebuilt"), "-t", tag, dir).CombinedOutput(); err != nil {
		t.Fatalf("podman build: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		// A container left behind by a failure first, then the image; on
		// their own deadline, as the test's may have passed.
		c, stop := context.WithTimeout(context.Background(), time.Minute)
		defer stop()
		exec.CommandContext(c, podman, append(podmanGlobal(), "rm", "-f", "-t", "0", name)...).Run()
		if out, err := exec.CommandContext(c, podman, append(podmanGlobal(), "rmi", "-f", tag)...).CombinedOutput(); err != nil {
			t.Errorf("podman rmi %s: %v\n%s", tag, err, out)
		}
	})

	// The Deployment's container, as podman runs it.
	c := deploymentContainer(t)
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	run := []string{"run", "--rm", "--name", name,
		"--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
		"--user", fmt.Sprintf("%d:%d", c.runAsUser, c.runAsGroup),
		"-p", fmt.Sprintf("127.0.0.1::%d", ports["echo"]),
		"-p", fmt.Sprintf("127.0.0.1::%d", ports["metrics"])}
	run = append(run, podmanUlimits(t)...)
	run = append(append(run, tag), c.Args...)
	p := startCmd(t, pm(run...))
	p.waitLine(`^listening on `, time.Minute)

	echoAddr := publishedPort(t, pm, name, ports["echo"])
	metricsAddr := publishedPort(t, pm, name, ports["metrics"])

	conn, err := net.DialTimeout("tcp", echoAddr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(conn)
	echo := func(line string) {
		t.Helper()
		if _, err := io.WriteString(conn, line+"\n"); err != nil {
			t.Fatalf("send %q: %v", line, err)
		}
		got, err := r.ReadString('\n')
		if err != nil || got != line+"\n" {
			t.Fatalf("echo of %q: %q, %v", line, got, err)
		}
	}
	echo("hello from outside the container")

	metricsURL := "http://" + metricsAddr + "/metrics"
	fams := scrape(t, metricsURL, 10*time.Second)
	if v, _ := metricValue(fams, "sockrun_connections_accepted_total"); v != 1 {
		t.Errorf("sockrun_connections_accepted_total %v, want 1 (the test's client)", v)
	}
	if v, _ := metricValue(fams, "sockrun_connections_open"); v != 1 {
		t.Errorf("sockrun_connections_open %v, want 1", v)
	}
	if code, text := health(t, metricsURL); code != 200 || text != "ok" {
		t.Errorf("/healthz: %d %q, want 200 ok", code, text)
	}

	// podman stop: SIGTERM, then (past the grace it is given) SIGKILL.
	stop := pm("stop", "-t", "60", name)
	var stopOut bytes.Buffer
	stop.Stdout, stop.Stderr = &stopOut, &stopOut
	if err := stop.Start(); err != nil {
		t.Fatal(err)
	}
	p.waitLine(`^draining 1 connections$`, time.Minute)
	echo("still served while it drains")
	conn.Close()
	p.waitLine(`^drained$`, time.Minute)
	if code := p.wait(time.Minute); code != 0 {
		t.Errorf("the container ended with exit code %d, want 0 (the script's drain)", code)
	}
	if err := stop.Wait(); err != nil {
		t.Errorf("podman stop: %v\n%s", err, stopOut.String())
	}
	if !strings.Contains(p.Stderr(), `"kind":"stop"`) || !strings.Contains(p.Stderr(), `"exit_code":0`) {
		t.Errorf("no JSON stop line with exit code 0 on standard error:\n%s", p.Stderr())
	}

	// --max-memory auto (the Deployment leaves it so) in a container with
	// the Deployment's memory limit: half of the cgroup's limit, which a
	// script that doubles a string runs into.
	mib, err := strconv.Atoi(strings.TrimSuffix(c.Resources.Limits.Memory, "Mi"))
	if err != nil {
		t.Fatalf("the Deployment's memory limit %q is not in Mi", c.Resources.Limits.Memory)
	}
	scripts := t.TempDir()
	grow := "local s = \"x\"\nprint(pcall(function() while true do s = s .. s end end))\n"
	if err := os.WriteFile(filepath.Join(scripts, "grow.lua"), []byte(grow), 0o644); err != nil {
		t.Fatal(err)
	}
	mem := append([]string{"run", "--rm", "--read-only", "--memory", fmt.Sprintf("%dm", mib), "-v", scripts + ":/t:ro"}, podmanUlimits(t)...)
	out, err := pm(append(mem, tag, "--max-memory", "auto", "/t/grow.lua")...).CombinedOutput()
	want := fmt.Sprintf("limits.max_memory is %d MiB (auto: half of the cgroup's ", mib/2)
	if err != nil || !strings.Contains(string(out), want) {
		t.Errorf("a string grown under --memory %dm: %v, want %q in:\n%s", mib, err, want, out)
	}
}

// podmanGlobal is podman's options before the command. runc where it is
// installed: Debian 12's crun (1.8.1) refuses a machine whose cgroups are
// a hybrid of v1 and v2 with a controller in v2 ("cgroups in hybrid mode
// not supported, drop all controllers from cgroupv2"), as this one's are;
// runc runs there, and wherever crun does.
func podmanGlobal() []string {
	if _, err := exec.LookPath("runc"); err == nil {
		return []string{"--runtime", "runc"}
	}
	return nil
}

// podmanUlimits are the container's open-file and process limits: podman
// asks for 1048576 files and 4194304 processes by default, which a
// process without CAP_SYS_RESOURCE cannot raise its limits to (the OCI
// runtime fails with "setrlimit ... operation not permitted"). The test's
// own hard limit of files, and 4096 processes, are always allowed.
func podmanUlimits(t *testing.T) []string {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	files := strconv.FormatUint(lim.Max, 10)
	return []string{"--ulimit", "nofile=" + files + ":" + files, "--ulimit", "nproc=4096:4096"}
}

// publishedPort is the loopback address podman published the container's
// TCP port on.
func publishedPort(t *testing.T, pm func(...string) *exec.Cmd, name string, port int) string {
	t.Helper()
	out, err := pm("port", name, fmt.Sprintf("%d/tcp", port)).Output()
	if err != nil {
		t.Fatalf("podman port %s %d: %v", name, port, err)
	}
	addr := strings.TrimSpace(strings.Split(string(out), "\n")[0])
	if _, _, err := net.SplitHostPort(addr); err != nil {
		t.Fatalf("podman port %s %d: %q: %v", name, port, out, err)
	}
	return addr
}

// checkStatic fails t unless bin is a static executable: no program
// interpreter (ld.so) and no shared library, so that it runs in an empty
// image.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatalf("%s asks for a program interpreter: not static", bin)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		t.Fatal(err)
	} else if len(libs) > 0 {
		t.Fatalf("%s needs shared libraries %v: not static", bin, libs)
	}
}

// deploymentSpec is the container of docs/deploy/kubernetes.yaml's
// Deployment, and the user its pod runs as.
type deploymentSpec struct {
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Resources struct {
		Limits struct {
			Memory string `yaml:"memory"`
		} `yaml:"limits"`
	} `yaml:"resources"`
	runAsUser, runAsGroup int
}

func deploymentContainer(t *testing.T) deploymentSpec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "deploy", "kubernetes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var o struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Template struct {
					Spec struct {
						SecurityContext struct {
							RunAsUser  int `yaml:"runAsUser"`
							RunAsGroup int `yaml:"runAsGroup"`
						} `yaml:"securityContext"`
						Containers []deploymentSpec `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("docs/deploy/kubernetes.yaml: %v", err)
		}
		if o.Kind == "Deployment" && len(o.Spec.Template.Spec.Containers) == 1 {
			c := o.Spec.Template.Spec.Containers[0]
			c.runAsUser, c.runAsGroup = o.Spec.Template.Spec.SecurityContext.RunAsUser, o.Spec.Template.Spec.SecurityContext.RunAsGroup
			return c
		}
	}
	t.Fatal("docs/deploy/kubernetes.yaml has no Deployment of one container")
	return deploymentSpec{}
}

// copyFile copies the file from to the path to, making its directory.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies the files of the directory from into to.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		copyFile(t, path, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
