package main

import (
	"fmt"
	"io"
	"net/http"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/vetclinic/clinic/app"
	"github.com/vetclinic/clinic/httpapi"
)

// k8sObjects is a rendered kustomization, decoded strictly into the
// Kubernetes API types, by kind and name.
type k8sObjects struct {
	deployments  map[string]*appsv1.Deployment
	services     map[string]*corev1.Service
	configMaps   map[string]*corev1.ConfigMap
	secrets      map[string]*corev1.Secret
	hpas         map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs         map[string]*policyv1.PodDisruptionBudget
	netpols      map[string]*networkingv1.NetworkPolicy
	ingresses    map[string]*networkingv1.Ingress
	others       int // service accounts, namespaces
	namespaceSet map[string]bool
}

// decodeK8s decodes one object of kind at apiVersion into its API type,
// refusing any field the type does not have.
func decodeK8s(objs *k8sObjects, apiVersion, kind, name string, data []byte) error {
	want := map[string]string{"Deployment": "apps/v1", "Service": "v1", "ConfigMap": "v1", "Secret": "v1", "ServiceAccount": "v1",
		"Namespace": "v1", "HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1",
		"NetworkPolicy": "networking.k8s.io/v1", "Ingress": "networking.k8s.io/v1"}[kind]
	if want == "" {
		return fmt.Errorf("%s %s: a kind this test does not know", kind, name)
	}
	if apiVersion != want {
		return fmt.Errorf("%s %s: apiVersion %s, want %s", kind, name, apiVersion, want)
	}
	strict := func(v any) error { return yaml.UnmarshalStrict(data, v) }
	var err error
	switch kind {
	case "Deployment":
		v := new(appsv1.Deployment)
		err, objs.deployments[name] = strict(v), v
	case "Service":
		v := new(corev1.Service)
		err, objs.services[name] = strict(v), v
	case "ConfigMap":
		v := new(corev1.ConfigMap)
		err, objs.configMaps[name] = strict(v), v
	case "Secret":
		v := new(corev1.Secret)
		err, objs.secrets[name] = strict(v), v
	case "HorizontalPodAutoscaler":
		v := new(autoscalingv2.HorizontalPodAutoscaler)
		err, objs.hpas[name] = strict(v), v
	case "PodDisruptionBudget":
		v := new(policyv1.PodDisruptionBudget)
		err, objs.pdbs[name] = strict(v), v
	case "NetworkPolicy":
		v := new(networkingv1.NetworkPolicy)
		err, objs.netpols[name] = strict(v), v
	case "Ingress":
		v := new(networkingv1.Ingress)
		err, objs.ingresses[name] = strict(v), v
	case "ServiceAccount":
		err = strict(new(corev1.ServiceAccount))
		objs.others++
	case "Namespace":
		err = strict(new(corev1.Namespace))
		objs.others++
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", kind, name, err)
	}
	return nil
}

// renderK8s builds the kustomization in dir (from the repository root) as
// `kustomize build` does and decodes every object.
func renderK8s(t *testing.T, dir string) *k8sObjects {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join("..", "..", filepath.FromSlash(dir)))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	objs := &k8sObjects{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, netpols: map[string]*networkingv1.NetworkPolicy{}, ingresses: map[string]*networkingv1.Ingress{},
		namespaceSet: map[string]bool{}}
	for _, r := range m.Resources() {
		data, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		if err := decodeK8s(objs, r.GetApiVersion(), r.GetKind(), r.GetName(), data); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
		objs.namespaceSet[r.GetNamespace()] = true
	}
	if len(objs.deployments) == 0 {
		t.Fatalf("%s renders no Deployment", dir)
	}
	return objs
}

// TestK8sDecodingIsStrict: the decoding the manifests pass refuses a
// misspelt field, so passing it means something.
func TestK8sDecodingIsStrict(t *testing.T) {
	t.Parallel()
	objs := &k8sObjects{deployments: map[string]*appsv1.Deployment{}}
	bad := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      terminationGracePeriodSecond: 30\n")
	if err := decodeK8s(objs, "apps/v1", "Deployment", "x", bad); err == nil || !strings.Contains(err.Error(), "terminationGracePeriodSecond") {
		t.Errorf("a misspelt field decoded: %v", err)
	}
}

// roleOf is the role a Deployment's clinic container runs (CLINIC_ROLES),
// or "" for a pod that is not the clinic.
func roleOf(d *appsv1.Deployment) string {
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == "CLINIC_ROLES" {
				return e.Value
			}
		}
	}
	return ""
}

// containerEnv is what a container's environment holds: its envFrom
// ConfigMaps and Secrets, then its env.
func containerEnv(t *testing.T, objs *k8sObjects, where string, c corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm, ok := objs.configMaps[from.ConfigMapRef.Name]
			if !ok {
				t.Errorf("%s: envFrom ConfigMap %s is not rendered", where, from.ConfigMapRef.Name)
				continue
			}
			for k, v := range cm.Data {
				env[k] = v
			}
		case from.SecretRef != nil:
			s, ok := objs.secrets[from.SecretRef.Name]
			if !ok {
				t.Errorf("%s: envFrom Secret %s is not rendered", where, from.SecretRef.Name)
				continue
			}
			for k, v := range s.StringData {
				env[k] = v
			}
			for k, v := range s.Data {
				env[k] = string(v)
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Errorf("%s: %s comes from elsewhere; the test cannot check it", where, e.Name)
		}
		env[e.Name] = e.Value
	}
	return env
}

// checkProbe checks that p is an HTTP GET of path on the named port that
// the container opens as listenPort.
func checkProbe(t *testing.T, where, which string, p *corev1.Probe, c corev1.Container, wantPath, listenPort string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: no HTTP %s probe", where, which)
		return
	}
	if p.HTTPGet.Path != wantPath {
		t.Errorf("%s: %s probe on %s, want %s", where, which, p.HTTPGet.Path, wantPath)
	}
	port := p.HTTPGet.Port.String()
	for _, cp := range c.Ports {
		if cp.Name == port || strconv.Itoa(int(cp.ContainerPort)) == port {
			port = strconv.Itoa(int(cp.ContainerPort))
		}
	}
	if port != listenPort {
		t.Errorf("%s: %s probe on port %s, the process listens on %s", where, which, p.HTTPGet.Port.String(), listenPort)
	}
}

// checkClinicPod checks a role's Deployment against the binary: only
// CLINIC_* variables of real flags, parsed without error; probes on the
// listen port and on /healthz and /readyz; a clinic file that parses; a
// grace period that fits the shutdown; requests and limits.
func checkClinicPod(t *testing.T, objs *k8sObjects, name string, d *appsv1.Deployment) {
	t.Helper()
	where := "Deployment " + name
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want the clinic alone", where, len(spec.Containers))
	}
	c := spec.Containers[0]
	role := roleOf(d)
	if d.Spec.Template.Labels["app.kubernetes.io/component"] != role {
		t.Errorf("%s runs role %q but is labelled %q", where, role, d.Spec.Template.Labels["app.kubernetes.io/component"])
	}
	if len(c.Args) == 0 || c.Args[0] != "serve" || len(c.Command) != 0 {
		t.Fatalf("%s: command %v args %v, want the image's entrypoint with serve", where, c.Command, c.Args)
	}
	env := containerEnv(t, objs, where, c)
	for k := range env {
		if !strings.HasPrefix(k, "CLINIC_") {
			t.Errorf("%s: %s is no clinic variable", where, k)
		}
	}
	cfg := checkServeEnv(t, where, c.Args[1:], env, role, "8080")
	if cfg.ESDBURL == "" {
		t.Errorf("%s runs the embedded event store: each pod would have its own", where)
	}
	if role != "command" && (cfg.MongoURL == "" || !strings.Contains(cfg.MongoURL, "timeoutMS=")) {
		t.Errorf("%s: read store %q, want MongoDB with timeoutMS", where, cfg.MongoURL)
	}
	if cfg.JWKSURL == "" && cfg.OIDCIssuer == "" {
		t.Errorf("%s verifies tokens with its own data folder's key: each pod would have another", where)
	}
	if len(cfg.CORSOrigins) == 0 {
		t.Errorf("%s answers no browser app: no CLINIC_CORS_ORIGIN", where)
	}
	if role == "notice" && (cfg.Notify != "webhook" || cfg.WebhookURL == "" || cfg.WebhookSecret == "") {
		t.Errorf("%s: notify %q url %q: want the webhook with its secret", where, cfg.Notify, cfg.WebhookURL)
	}
	_, listenPort, _ := strings.Cut(cfg.Listen, ":")
	checkProbe(t, where, "readiness", c.ReadinessProbe, c, "/readyz", listenPort)
	checkProbe(t, where, "liveness", c.LivenessProbe, c, "/healthz", listenPort)
	checkProbe(t, where, "startup", c.StartupProbe, c, "/healthz", listenPort)

	// The clinic file is a ConfigMap key mounted where --config points.
	dir, file := path.Split(cfg.configPath)
	found := false
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) != path.Clean(dir) {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil {
				data, ok := objs.configMaps[v.ConfigMap.Name].Data[file]
				if !ok {
					t.Errorf("%s: ConfigMap %s has no %s", where, v.ConfigMap.Name, file)
					continue
				}
				if _, err := parseClinic([]byte(data)); err != nil {
					t.Errorf("%s: the clinic file %s: %v", where, cfg.configPath, err)
				}
				found = true
			}
		}
	}
	if !found {
		t.Errorf("%s: --config %q is not a mounted ConfigMap file", where, cfg.configPath)
	}

	// SIGTERM comes after preStop; the process then has --shutdown-grace,
	// and the kubelet kills it at terminationGracePeriodSeconds.
	var pause time.Duration
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Errorf("%s: no preStop pause (the endpoints would still send requests after SIGTERM)", where)
	} else {
		pause = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	if spec.TerminationGracePeriodSeconds == nil {
		t.Errorf("%s: no terminationGracePeriodSeconds", where)
	} else if period := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second; period < pause+cfg.ShutdownGrace+3*time.Second {
		t.Errorf("%s: terminationGracePeriodSeconds %s is short of preStop %s + --shutdown-grace %s + time to close", where, period, pause, cfg.ShutdownGrace)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		if !okReq || !okLim || req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %v limit %v", where, r, req.String(), lim.String())
		}
	}
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s may run as root", where)
	}
	if (role == "projector" || role == "notice") && (d.Spec.Replicas == nil || *d.Spec.Replicas < 2 || cfg.LeaseTTL <= 0) {
		t.Errorf("%s: a subscriber under a lease wants a standby: replicas %v, lease TTL %s", where, d.Spec.Replicas, cfg.LeaseTTL)
	}
	if d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
			t.Errorf("%s: a rollout may take a pod down before its successor is ready", where)
		}
	}
}

// selects reports whether the selector sel picks the pods of d.
func selects(sel map[string]string, d *appsv1.Deployment) bool {
	return len(sel) > 0 && labels.SelectorFromSet(sel).Matches(labels.Set(d.Spec.Template.Labels))
}

// serviceRole returns the Deployment a Service sends to, checking that it
// is exactly one and that the target port is one the pod opens.
func serviceTarget(t *testing.T, objs *k8sObjects, name string) *appsv1.Deployment {
	t.Helper()
	s, ok := objs.services[name]
	if !ok {
		t.Errorf("no Service %s", name)
		return nil
	}
	var picked []*appsv1.Deployment
	for _, d := range objs.deployments {
		if selects(s.Spec.Selector, d) {
			picked = append(picked, d)
		}
	}
	if len(picked) != 1 {
		t.Errorf("Service %s selects %d Deployments, want 1", name, len(picked))
		return nil
	}
	d := picked[0]
	for _, p := range s.Spec.Ports {
		opens := false
		for _, cp := range d.Spec.Template.Spec.Containers[0].Ports {
			if cp.Name == p.TargetPort.String() || strconv.Itoa(int(cp.ContainerPort)) == p.TargetPort.String() {
				opens = true
			}
		}
		if !opens {
			t.Errorf("Service %s targets port %s, which %s does not open", name, p.TargetPort.String(), d.Name)
		}
	}
	return d
}

// gatewayMap is an nginx gateway's map from "$request_method $uri" to a
// role: its regular expressions in order, then the default.
type gatewayMap struct {
	rules []struct {
		re   *regexp.Regexp
		role string
	}
	fallback string
	text     string // the map block, to compare two gateways
}

var (
	mapBlockRE = regexp.MustCompile(`(?s)map "\$request_method \$uri" \$clinic_role \{(.*?)\n\}`)
	mapRuleRE  = regexp.MustCompile(`"~([^"]+)"\s+(\w+);`)
	mapDefRE   = regexp.MustCompile(`default\s+(\w+);`)
	upstreamRE = regexp.MustCompile(`upstream\s+(\w+)\s*\{\s*server\s+([\w.-]+):(\d+)`)
)

func parseGatewayMap(t *testing.T, where, conf string) gatewayMap {
	t.Helper()
	m := mapBlockRE.FindStringSubmatch(conf)
	if m == nil {
		t.Fatalf("%s has no $clinic_role map", where)
	}
	g := gatewayMap{text: strings.Join(strings.Fields(m[1]), " ")}
	for _, r := range mapRuleRE.FindAllStringSubmatch(m[1], -1) {
		g.rules = append(g.rules, struct {
			re   *regexp.Regexp
			role string
		}{regexp.MustCompile(r[1]), r[2]})
	}
	if d := mapDefRE.FindStringSubmatch(m[1]); d != nil {
		g.fallback = d[1]
	}
	return g
}

func (g gatewayMap) role(method, uri string) string {
	for _, r := range g.rules {
		if r.re.MatchString(method + " " + uri) {
			return r.role
		}
	}
	return g.fallback
}

// ingressBackend is the Service the Ingress sends path to: the longest
// matching path of the rules, as the Ingress specification says.
func ingressBackend(ing *networkingv1.Ingress, p string) string {
	best, service := -1, ""
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, ip := range rule.HTTP.Paths {
			match := false
			switch {
			case ip.PathType != nil && *ip.PathType == networkingv1.PathTypeExact:
				match = p == ip.Path
			default: // Prefix: by whole path elements
				prefix := strings.TrimSuffix(ip.Path, "/")
				match = p == prefix || strings.HasPrefix(p, prefix+"/") || prefix == ""
			}
			if match && len(ip.Path) > best && ip.Backend.Service != nil {
				best, service = len(ip.Path), ip.Backend.Service.Name
			}
		}
	}
	return service
}

// TestK8sManifests renders deploy/k8s's base and production overlay with
// kustomize, decodes every object strictly into the Kubernetes API types,
// and checks them against the binary: each role's Deployment (flags, env,
// probes, clinic file, grace, resources), the Services, autoscalers,
// disruption budgets, network policies, and the Ingress with TLS (CORS is
// the API's own, through CLINIC_CORS_ORIGIN).
func TestK8sManifests(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"deploy/k8s/base", "deploy/k8s/overlays/production"} {
		t.Run(path.Base(dir), func(t *testing.T) {
			t.Parallel()
			objs := renderK8s(t, dir)
			roles := map[string]*appsv1.Deployment{}
			for name, d := range objs.deployments {
				if r := roleOf(d); r != "" {
					roles[r] = d
					checkClinicPod(t, objs, name, d)
				}
				if _, ok := objs.pdbs[name]; !ok {
					t.Errorf("Deployment %s has no PodDisruptionBudget", name)
				}
			}
			for _, r := range app.Roles() {
				if roles[r] == nil {
					t.Errorf("no Deployment runs the %s role", r)
				}
			}
			for name, p := range objs.pdbs {
				d := objs.deployments[name]
				if d == nil || !selects(p.Spec.Selector.MatchLabels, d) {
					t.Errorf("PodDisruptionBudget %s does not cover Deployment %s", name, name)
				}
			}
			for _, r := range []string{"command", "query"} {
				h, ok := objs.hpas["clinic-"+r]
				if !ok {
					t.Errorf("no HorizontalPodAutoscaler for %s", r)
					continue
				}
				if ref := h.Spec.ScaleTargetRef; ref.Kind != "Deployment" || roles[r] == nil || ref.Name != roles[r].Name {
					t.Errorf("the %s autoscaler scales %s %s", r, ref.Kind, ref.Name)
				}
				if roles[r] != nil && roles[r].Spec.Replicas != nil {
					t.Errorf("the %s Deployment sets replicas, which each apply resets under its autoscaler", r)
				}
				if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas || len(h.Spec.Metrics) == 0 {
					t.Errorf("the %s autoscaler: min %v max %d metrics %d", r, h.Spec.MinReplicas, h.Spec.MaxReplicas, len(h.Spec.Metrics))
				}
			}
			for name, h := range objs.hpas {
				if r := roleOf(objs.deployments[h.Spec.ScaleTargetRef.Name]); r == "projector" || r == "notice" {
					t.Errorf("HorizontalPodAutoscaler %s scales the %s role: its lease holder alone works", name, r)
				}
			}
			deny, ok := objs.netpols["clinic-default-deny"]
			if !ok || len(deny.Spec.PodSelector.MatchLabels)+len(deny.Spec.PodSelector.MatchExpressions) != 0 ||
				len(deny.Spec.Ingress)+len(deny.Spec.Egress) != 0 || len(deny.Spec.PolicyTypes) != 2 {
				t.Errorf("no default-deny NetworkPolicy for every pod: %+v", deny)
			}
			ing, ok := objs.ingresses["clinic"]
			if !ok {
				t.Fatal("no Ingress clinic")
			}
			checkIngress(t, objs, ing)
			if dir != "deploy/k8s/base" && !objs.namespaceSet["clinic"] {
				t.Errorf("the production overlay puts nothing in the clinic namespace")
			}
		})
	}
}

// checkIngress checks TLS for every host, that each backend is a Service of
// a Deployment on a port it opens, and that CORS is left to the API.
func checkIngress(t *testing.T, objs *k8sObjects, ing *networkingv1.Ingress) {
	t.Helper()
	var tlsHosts []string
	for _, tls := range ing.Spec.TLS {
		if tls.SecretName == "" {
			t.Errorf("Ingress TLS for %v names no certificate Secret", tls.Hosts)
		}
		tlsHosts = append(tlsHosts, tls.Hosts...)
	}
	for _, r := range ing.Spec.Rules {
		if r.Host == "" || !slices.Contains(tlsHosts, r.Host) {
			t.Errorf("Ingress host %q has no TLS", r.Host)
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service == nil || p.Backend.Service.Port.Name != "http" {
				t.Errorf("Ingress path %s: backend %+v, want a Service's http port", p.Path, p.Backend)
				continue
			}
			serviceTarget(t, objs, p.Backend.Service.Name)
		}
	}
	// CORS is the API's (--cors-origin): the controller's would add a
	// second Access-Control-Allow-Origin, which browsers refuse.
	for k := range ing.Annotations {
		if strings.Contains(k, "cors") {
			t.Errorf("Ingress annotation %s: CORS is answered by the API (CLINIC_CORS_ORIGIN)", k)
		}
	}
}

// allRoutes are the routes of the API with every part present.
func allRoutes(t *testing.T) []string {
	t.Helper()
	c, err := loadClinic("")
	if err != nil {
		t.Fatal(err)
	}
	type commands struct{ httpapi.CommandService }
	type lookup struct{ httpapi.LookupService }
	type notifications struct{ httpapi.Notifications }
	type admin struct{ httpapi.ProjectionAdmin }
	s := httpapi.New(httpapi.Config{Clinic: c, Commands: commands{}, Lookup: lookup{}, Notifications: notifications{}, Admin: admin{}})
	return s.Routes()
}

// pathParamRE finds a route's parameters, filled in by sampleValue.
var pathParamRE = regexp.MustCompile(`:[A-Za-z]+`)

func sampleValue(param string) string {
	switch param {
	case ":date":
		return "2026-12-07"
	case ":doctorID":
		return "dr-kim"
	case ":line":
		return "1"
	case ":phone":
		return "010-1234-5678"
	case ":name":
		return "lookup"
	case ":slug":
		return "not-found"
	}
	return "0b0c5b8e-8f5e-4a8e-9a61-3d3f1c6f0a11"
}

// TestK8sRoutesReachTheirRoles follows every route of the API through the
// Ingress (longest path) and, for the areas it sends to the gateway,
// through the gateway's method map, to a role's Service and Deployment;
// then asks a real process of that role (and only that role) whether it
// serves the route. The k8s gateway's map must be the compose gateway's.
func TestK8sRoutesReachTheirRoles(t *testing.T) {
	t.Parallel()
	objs := renderK8s(t, "deploy/k8s/overlays/production")
	var conf string
	for _, v := range objs.deployments["clinic-gateway"].Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			conf = objs.configMaps[v.ConfigMap.Name].Data["gateway.conf"]
		}
	}
	gw := parseGatewayMap(t, "deploy/k8s/base/gateway.conf", conf)
	compose := parseGatewayMap(t, "deploy/compose/gateway.conf", string(repoFile(t, "deploy/compose/gateway.conf")))
	if gw.text != compose.text {
		t.Errorf("the k8s gateway's map differs from the compose gateway's:\n%s\n%s", gw.text, compose.text)
	}
	upstreams := map[string]string{} // role -> Service
	for _, u := range upstreamRE.FindAllStringSubmatch(conf, -1) {
		if u[3] != "8080" {
			t.Errorf("upstream %s on port %s, the Services are on 8080", u[1], u[3])
		}
		upstreams[u[1]] = u[2]
	}
	for _, r := range app.Roles() {
		if d := serviceTarget(t, objs, upstreams[r]); d == nil || roleOf(d) != r {
			t.Errorf("the gateway's upstream %s is Service %q, which does not reach the %s role", r, upstreams[r], r)
		}
	}

	servers := map[string]*clinicProcess{}
	for _, r := range app.Roles() {
		servers[r] = startClinic(t, "--roles", r)
	}
	ing := objs.ingresses["clinic"]
	routes := allRoutes(t)
	if len(routes) < 30 {
		t.Fatalf("only %d routes: %v", len(routes), routes)
	}
	for _, route := range routes {
		method, pattern, _ := strings.Cut(route, " ")
		if method == http.MethodHead {
			continue // with its GET
		}
		p := pathParamRE.ReplaceAllStringFunc(pattern, sampleValue)
		svc := ingressBackend(ing, p)
		if svc == "" {
			if strings.HasPrefix(pattern, "/api/") {
				t.Errorf("%s: the Ingress publishes no path for it", route)
			}
			continue // probes and metrics stay inside the cluster
		}
		d := serviceTarget(t, objs, svc)
		if d == nil {
			continue
		}
		role := roleOf(d)
		if role == "" { // the gateway
			role = gw.role(method, p)
		}
		srv, ok := servers[role]
		if !ok {
			t.Errorf("%s goes to %q, no role", route, role)
			continue
		}
		code, body := probeRoute(t, srv.base, method, p)
		if code == http.StatusMethodNotAllowed || (code == http.StatusNotFound && strings.Contains(body, "no such route")) {
			t.Errorf("%s goes to the %s role, which does not serve it (%d)", route, role, code)
		}
	}
}

// probeRoute sends method to path with no token and an empty body and
// returns the answer's status and body.
func probeRoute(t *testing.T, base, method, p string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+p, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, p, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
