// Package browsertest runs tests in a real, headless Chromium driven through
// the DevTools protocol (github.com/chromedp/chromedp).
//
// A test calls New (one tab) or Start and then Browser.Tab (several tabs of
// one browser, each with its own cookies and storage, as two people at two
// desks). Where no Chromium is installed the test is skipped with a message
// saying how to get one; with CLINIC_BROWSER_TESTS=1 (set by .ci/run) it fails
// instead, so CI never passes by skipping. Chromium is looked up as
// $CLINIC_CHROMIUM, then chromium, chromium-browser and google-chrome on PATH.
//
// The browser is a child process of the test, started with --no-sandbox (CI
// runs as root, where Chromium's sandbox refuses to start) and killed by its
// process id when the test ends; its profile lives in a temporary folder.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Environment variables the harness reads.
const (
	// EnvChromium names the Chromium binary to use, before the PATH lookup.
	EnvChromium = "CLINIC_CHROMIUM"
	// EnvRequired turns a missing Chromium from a skip into a failure when "1".
	EnvRequired = "CLINIC_BROWSER_TESTS"
	// EnvScreenshots makes Screenshot write files when "1".
	EnvScreenshots = "CLINIC_SCREENSHOTS"
)

// DefaultTimeout bounds everything one tab does unless Timeout says otherwise.
// It is generous because the test machines are shared and slow.
const DefaultTimeout = 60 * time.Second

// names are the programs looked up on PATH, in order.
var names = []string{"chromium", "chromium-browser", "google-chrome"}

// ErrNoChromium is returned by Find when no Chromium is installed.
var ErrNoChromium = errors.New("browsertest: no Chromium found")

// Find returns the path of the Chromium binary the harness would use: the
// value of $CLINIC_CHROMIUM, else the first of chromium, chromium-browser and
// google-chrome on PATH. It returns an error wrapping ErrNoChromium when none
// is found, or when $CLINIC_CHROMIUM names nothing runnable.
func Find() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		full, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%w: %s=%q: %v", ErrNoChromium, EnvChromium, p, err)
		}
		return full, nil
	}
	for _, n := range names {
		if full, err := exec.LookPath(n); err == nil {
			return full, nil
		}
	}
	return "", fmt.Errorf("%w (looked for $%s, then %s on PATH)", ErrNoChromium, EnvChromium, strings.Join(names, ", "))
}

// Required reports whether a missing browser fails the test ($CLINIC_BROWSER_TESTS=1).
func Required() bool { return os.Getenv(EnvRequired) == "1" }

// Browser is one headless Chromium process that lives as long as the test
// that started it.
type Browser struct {
	ctx  context.Context // the browser's first tab, never used for actions
	logs *testLog
}

// Start starts a headless Chromium for t and stops it (killing the process)
// when t ends. It skips t when no Chromium is found, and fails t instead when
// $CLINIC_BROWSER_TESTS is 1 or when Chromium is found but does not start.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, err := Find()
	if err != nil {
		if Required() {
			t.Fatalf("%v; %s=1 asks for the browser tests, so install Chromium (Debian: apt-get install chromium) or set %s", err, EnvRequired, EnvChromium)
		}
		t.Skipf("%v: skipping the browser test (Debian: apt-get install chromium, or set %s; %s=1 makes this a failure)", err, EnvChromium, EnvRequired)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1280, 900),
	)
	// The parent is cancelled when the test ends, which kills the browser
	// (exec.CommandContext sends SIGKILL to its process id) even when a
	// graceful close did not happen.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	logs := &testLog{t: t}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(logs.logf))
	// Runs last (cleanups run in reverse): close the browser, then the allocator.
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Nothing may log on t once it has finished; this cleanup runs first.
	t.Cleanup(logs.stop)
	// The first action starts the browser; its context must have no deadline
	// (a deadline would stop the browser), so the start is bounded by a timer.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("browsertest: start %s: %v", path, err)
		}
	case <-time.After(DefaultTimeout):
		cancel()
		t.Fatalf("browsertest: %s did not start within %s", path, DefaultTimeout)
	}
	return &Browser{ctx: ctx, logs: logs}
}

// TabOption changes how Browser.Tab sets up a tab.
type TabOption func(*tabConfig)

type tabConfig struct {
	timeout        time.Duration
	acceptLanguage string
}

// Timeout bounds everything the tab does (DefaultTimeout otherwise).
func Timeout(d time.Duration) TabOption { return func(c *tabConfig) { c.timeout = d } }

// DefaultLanguages are the languages a tab asks for unless AcceptLanguage
// says otherwise: Korean, the clinic's default.
const DefaultLanguages = "ko-KR,ko"

// AcceptLanguage makes the tab ask for these languages, a comma-separated
// list in order of preference without q-values ("en-US,en"): Chromium sends
// them as Accept-Language with the q-values added ("en-US,en;q=0.9") and
// reports the first as navigator.language.
func AcceptLanguage(v string) TabOption { return func(c *tabConfig) { c.acceptLanguage = v } }

// Tab opens a tab in a new browser context of b (its own cookies, storage and
// cache, like a separate browser) and returns a chromedp context for it, with
// a deadline of DefaultTimeout or Timeout. The tab asks for DefaultLanguages
// unless AcceptLanguage says otherwise. The tab is closed when t ends.
// JavaScript exceptions and console errors of the page are logged on t.
func (b *Browser) Tab(t testing.TB, opts ...TabOption) context.Context {
	t.Helper()
	cfg := tabConfig{timeout: DefaultTimeout, acceptLanguage: DefaultLanguages}
	for _, o := range opts {
		o(&cfg)
	}
	tab, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	logs := b.logs
	if t != b.logs.t {
		logs = &testLog{t: t}
		t.Cleanup(logs.stop)
	}
	// The first action on a tab creates it. It runs before the deadline is
	// set, since a deadline on that first action would close the tab.
	if err := chromedp.Listen(tab, func(ev any) { logEvent(logs, ev) }); err != nil {
		t.Fatalf("browsertest: open a tab: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(tab, cfg.timeout)
	t.Cleanup(cancelTimeout)
	if err := setAcceptLanguage(ctx, cfg.acceptLanguage); err != nil {
		t.Fatalf("browsertest: set the languages %q: %v", cfg.acceptLanguage, err)
	}
	return ctx
}

// New starts a browser for t and returns one tab of it (see Start and Tab).
func New(t testing.TB, opts ...TabOption) context.Context {
	t.Helper()
	return Start(t).Tab(t, opts...)
}

// testLog logs on a test until the test has finished, and drops lines after.
type testLog struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (l *testLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Logf(format, args...)
	}
}

func (l *testLog) stop() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

// setAcceptLanguage overrides the tab's Accept-Language (and
// navigator.language), keeping the browser's own user agent.
func setAcceptLanguage(ctx context.Context, lang string) error {
	ua, err := chromedp.Run(ctx, chromedp.Evaluate[string]("navigator.userAgent"))
	if err != nil {
		return err
	}
	return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: lang})
		return err
	}))
}

// logEvent logs the page's uncaught exceptions and console errors and warnings.
// It runs in the tab's read loop, so it only formats and logs.
func logEvent(logs *testLog, ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		logs.logf("browser: exception: %s", exceptionText(ev.ExceptionDetails))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			logs.logf("browser: console.%s: %s", ev.Type, consoleText(ev.Args))
		}
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return ""
	}
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d:%d)", d.Text, d.URL, d.LineNumber, d.ColumnNumber)
}

func consoleText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		case a.Description != "":
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}
