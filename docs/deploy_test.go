package docs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// sameFrom is the line from which docs/deploy's two Containerfiles are the
// same (the image's user, ports, signal and command).
const sameFrom = "# -- from here on, Containerfile and Containerfile.prebuilt are the same --"

// TestContainerfilesAgree checks that the image built from the source
// (deploy/Containerfile, which needs a registry for its Go stage) and the
// one e2e's TestContainerImage builds from a prebuilt binary
// (deploy/Containerfile.prebuilt) end in the same lines, so that what the
// test runs is the recipe's image.
func TestContainerfilesAgree(t *testing.T) {
	tail := func(name string) string {
		b, err := os.ReadFile(filepath.Join("deploy", name))
		if err != nil {
			t.Fatal(err)
		}
		_, after, ok := strings.Cut(string(b), sameFrom+"\n")
		if !ok {
			t.Fatalf("deploy/%s has no line %q", name, sameFrom)
		}
		return after
	}
	if a, b := tail("Containerfile"), tail("Containerfile.prebuilt"); a != b {
		t.Errorf("deploy/Containerfile and deploy/Containerfile.prebuilt differ after %q:\n--- Containerfile\n%s--- Containerfile.prebuilt\n%s", sameFrom, a, b)
	}
}

// k8sObject is the part of a Kubernetes object deploy/kubernetes.yaml's
// checks read: a Deployment's or a Service's.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		// Deployment
		Replicas *int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				SecurityContext               struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
					RunAsUser    int  `yaml:"runAsUser"`
					RunAsGroup   int  `yaml:"runAsGroup"`
				} `yaml:"securityContext"`
				Containers []k8sContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
		// Service (the Deployment's selector is a matchLabels)
		Ports []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
	ServiceSelector map[string]string `yaml:"-"`
}

type k8sContainer struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	Lifecycle      struct {
		PreStop struct {
			Sleep struct {
				Seconds int `yaml:"seconds"`
			} `yaml:"sleep"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	Resources struct {
		Limits map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		ReadOnlyRootFilesystem bool `yaml:"readOnlyRootFilesystem"`
	} `yaml:"securityContext"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	PeriodSeconds    int `yaml:"periodSeconds"`
	FailureThreshold int `yaml:"failureThreshold"`
}

// readManifests decodes every object of deploy/kubernetes.yaml.
func readManifests(t *testing.T) []k8sObject {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("deploy", "kubernetes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var objs []k8sObject
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var node yaml.Node
		if err := dec.Decode(&node); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("deploy/kubernetes.yaml: %v", err)
		}
		var o k8sObject
		if err := node.Decode(&o); err != nil {
			t.Fatalf("deploy/kubernetes.yaml: %v", err)
		}
		if o.Kind == "Service" {
			var sel struct {
				Spec struct {
					Selector map[string]string `yaml:"selector"`
				} `yaml:"spec"`
			}
			if err := node.Decode(&sel); err != nil {
				t.Fatal(err)
			}
			o.ServiceSelector = sel.Spec.Selector
		}
		objs = append(objs, o)
	}
	return objs
}

// flagValue is the value of --name in args ("--name value" or
// "--name=value"), and whether it is there.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if a == "--"+name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// scriptVar is the value of --var name=value in args.
func scriptVar(args []string, name string) (string, bool) {
	for i, a := range args {
		if a == "--var" && i+1 < len(args) {
			if v, ok := strings.CutPrefix(args[i+1], name+"="); ok {
				return v, true
			}
		}
	}
	return "", false
}

// TestKubernetesManifests checks deploy/kubernetes.yaml against sockrun
// and the image, since no cluster runs it here: the probes ask /healthz on
// the port --metrics serves, the Service reaches the ports the container
// names, the script's port is the one it is told, the user is the image's,
// and the grace period covers the preStop sleep and the script's drain.
func TestKubernetesManifests(t *testing.T) {
	objs := readManifests(t)
	var dep, svc *k8sObject
	for i := range objs {
		switch o := &objs[i]; {
		case o.APIVersion == "apps/v1" && o.Kind == "Deployment":
			dep = o
		case o.APIVersion == "v1" && o.Kind == "Service":
			svc = o
		default:
			t.Errorf("deploy/kubernetes.yaml: unexpected %s %s", o.APIVersion, o.Kind)
		}
	}
	if dep == nil || svc == nil {
		t.Fatal("deploy/kubernetes.yaml: want an apps/v1 Deployment and a v1 Service")
	}
	labels := dep.Spec.Template.Metadata.Labels
	if len(labels) == 0 || !sameLabels(dep.Spec.Selector.MatchLabels, labels) {
		t.Errorf("the Deployment's selector %v does not match its pods' labels %v", dep.Spec.Selector.MatchLabels, labels)
	}
	if !sameLabels(svc.ServiceSelector, labels) {
		t.Errorf("the Service's selector %v does not match the pods' labels %v", svc.ServiceSelector, labels)
	}
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2 {
		t.Errorf("the Deployment runs %v replicas; the example shows more than one", dep.Spec.Replicas)
	}
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("the pod has %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}

	// --metrics :PORT, on every interface (the kubelet probes the pod's
	// address), and the port named metrics is that one.
	addr, ok := flagValue(c.Args, "metrics")
	if !ok {
		t.Fatalf("the container's args %q have no --metrics", c.Args)
	}
	host, port, ok := strings.Cut(addr, ":")
	if !ok || (host != "" && host != "0.0.0.0") {
		t.Errorf("--metrics %s: want :PORT, every interface, for the kubelet's probes", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || ports["metrics"] != n {
		t.Errorf("--metrics %s, but the port named metrics is %d", addr, ports["metrics"])
	}
	for name, p := range map[string]*k8sProbe{"readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe} {
		if p == nil {
			t.Errorf("the container has no %s", name)
			continue
		}
		if p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port != "metrics" {
			t.Errorf("%s asks %s on port %s; sockrun answers /healthz on the metrics port", name, p.HTTPGet.Path, p.HTTPGet.Port)
		}
	}
	if l := c.LivenessProbe; l != nil && l.PeriodSeconds*l.FailureThreshold <= pod.TerminationGracePeriodSeconds {
		t.Errorf("the liveness probe gives up after %d s, within the grace period's %d s: a draining pod could be restarted",
			l.PeriodSeconds*l.FailureThreshold, pod.TerminationGracePeriodSeconds)
	}

	// The script: in the image, its port the one the Service reaches.
	script := c.Args[len(c.Args)-1]
	name, ok := strings.CutPrefix(script, "/scripts/")
	if !ok {
		t.Fatalf("the container runs %s, not a script of the image's /scripts", script)
	}
	if _, err := os.Stat(filepath.Join("..", "scripts", name)); err != nil {
		t.Errorf("the container runs %s: %v", script, err)
	}
	if v, _ := scriptVar(c.Args, "host"); v != "0.0.0.0" {
		t.Errorf("--var host=%s: the script must listen on every interface of the pod", v)
	}
	if v, _ := scriptVar(c.Args, "port"); strconv.Itoa(ports["echo"]) != v {
		t.Errorf("--var port=%s, but the port named echo is %d", v, ports["echo"])
	}
	for _, sp := range svc.Spec.Ports {
		if _, ok := ports[sp.TargetPort]; !ok {
			t.Errorf("the Service's port %s targets %q, which the container does not name", sp.Name, sp.TargetPort)
		}
	}

	// Stopping: preStop's sleep and the script's drain fit in the grace
	// period, with time to spare.
	drain, err := strconv.Atoi(func() string { v, _ := scriptVar(c.Args, "drain"); return v }())
	if err != nil {
		t.Fatalf("the container's args set no --var drain=SECONDS: %v", err)
	}
	if need := c.Lifecycle.PreStop.Sleep.Seconds + drain; need >= pod.TerminationGracePeriodSeconds {
		t.Errorf("preStop's %d s and the drain's %d s do not fit in terminationGracePeriodSeconds %d",
			c.Lifecycle.PreStop.Sleep.Seconds, drain, pod.TerminationGracePeriodSeconds)
	}

	// Memory: --max-memory auto reads the limit the container gets.
	if v, ok := flagValue(c.Args, "max-memory"); ok && v != "auto" {
		t.Errorf("--max-memory %s: the example leaves it to the container's limit (auto)", v)
	}
	if c.Resources.Limits["memory"] == "" {
		t.Error("the container has no memory limit for --max-memory auto to read")
	}

	// The image's user, and a root filesystem sockrun never writes.
	user := containerfileUser(t)
	if want := strconv.Itoa(pod.SecurityContext.RunAsUser) + ":" + strconv.Itoa(pod.SecurityContext.RunAsGroup); !pod.SecurityContext.RunAsNonRoot || user != want {
		t.Errorf("the pod runs as %s (runAsNonRoot %v); the image's USER is %s", want, pod.SecurityContext.RunAsNonRoot, user)
	}
	if !c.SecurityContext.ReadOnlyRootFilesystem {
		t.Error("the container's root filesystem is writable; sockrun needs none")
	}
}

// containerfileUser is deploy/Containerfile's USER.
func containerfileUser(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("deploy", "Containerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^USER (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("deploy/Containerfile has no USER")
	}
	return string(m[1])
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
