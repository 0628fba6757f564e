package browsertest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/vetclinic/clinic/internal/browsertest"
)

// page answers with a page that shows the request's Accept-Language and
// keeps a value in sessionStorage, so a test sees what the browser sent, what
// its script did, and whether two tabs share storage.
func page(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>harness</title></head><body>
<h1 id="lang">%s</h1><p id="seen"></p>
<script>
document.getElementById("seen").textContent = sessionStorage.getItem("k") || "empty";
sessionStorage.setItem("k", "set");
</script></body></html>`, r.Header.Get("Accept-Language"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTabsRunScriptsAndKeepStorageApart(t *testing.T) {
	t.Parallel()
	srv := page(t)
	b := browsertest.Start(t)

	first := b.Tab(t, browsertest.AcceptLanguage("en-US,en"))
	if err := chromedp.Do(first, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.ID("seen"))); err != nil {
		t.Fatal(err)
	}
	lang, err := chromedp.Run(first, chromedp.Text(chromedp.ID("lang")))
	if err != nil {
		t.Fatal(err)
	}
	if want := "en-US,en;q=0.9"; lang != want {
		t.Errorf("Accept-Language the server saw = %q, want %q", lang, want)
	}
	// A reload in the same tab sees what its script stored.
	if err := chromedp.Do(first, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if got, err := chromedp.Run(first, chromedp.Text(chromedp.ID("seen"))); err != nil || got != "set" {
		t.Errorf("same tab after reload: seen = %q, %v; want %q", got, err, "set")
	}

	// A second tab is a separate browser context: empty storage, the
	// browser's own language (Korean, the clinic's default).
	second := b.Tab(t)
	if err := chromedp.Do(second, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.ID("seen"))); err != nil {
		t.Fatal(err)
	}
	if got, err := chromedp.Run(second, chromedp.Text(chromedp.ID("seen"))); err != nil || got != "empty" {
		t.Errorf("second tab: seen = %q, %v; want %q (tabs must not share storage)", got, err, "empty")
	}
	if got, err := chromedp.Run(second, chromedp.Text(chromedp.ID("lang"))); err != nil || !strings.HasPrefix(got, "ko") {
		t.Errorf("second tab: Accept-Language = %q, %v; want Korean first", got, err)
	}
	if err := chromedp.Do(second, browsertest.Phone()); err != nil {
		t.Fatal(err)
	}
	if w, err := chromedp.Run(second, chromedp.Evaluate[int]("window.innerWidth")); err != nil || w != 390 {
		t.Errorf("phone viewport: innerWidth = %d, %v; want 390", w, err)
	}
}

// recorder is a testing.TB that records a skip or a failure and ends the
// goroutine, as the testing package does, without failing the real test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func startWithout(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		browsertest.Start(r)
		t.Error("Start returned a browser although none is installed")
	}()
	<-done
	return r
}

// TestMissingChromiumSkipsUnlessRequired cannot run in parallel: it changes
// the environment.
func TestMissingChromiumSkipsUnlessRequired(t *testing.T) {
	t.Setenv(browsertest.EnvChromium, "/nonexistent/chromium")

	if _, err := browsertest.Find(); !errors.Is(err, browsertest.ErrNoChromium) {
		t.Fatalf("Find with a missing $%s = %v, want ErrNoChromium", browsertest.EnvChromium, err)
	}

	t.Setenv(browsertest.EnvRequired, "")
	r := startWithout(t)
	if r.skipped == "" || r.failed != "" {
		t.Errorf("not required: skipped %q, failed %q; want a skip", r.skipped, r.failed)
	}
	if !strings.Contains(r.skipped, "apt-get install chromium") || !strings.Contains(r.skipped, browsertest.EnvRequired) {
		t.Errorf("skip message %q does not say how to install Chromium and how to require it", r.skipped)
	}

	t.Setenv(browsertest.EnvRequired, "1")
	r = startWithout(t)
	if r.failed == "" || r.skipped != "" {
		t.Errorf("required: skipped %q, failed %q; want a failure", r.skipped, r.failed)
	}
}

func TestScreenshotNames(t *testing.T) {
	t.Setenv(browsertest.EnvScreenshots, "")
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		browsertest.Screenshot(r, t.Context(), "../escape")
	}()
	<-done
	if r.failed == "" {
		t.Error("a screenshot name with a path in it was accepted")
	}
}

// TestCIRequiresTheBrowser keeps .ci/run asking for the browser tests, so a
// CI machine without Chromium fails rather than passing by skipping them.
func TestCIRequiresTheBrowser(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile(filepath.Join("..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"export " + browsertest.EnvRequired + "=1", "apt-get install -y -qq chromium"} {
		if !strings.Contains(string(script), want) {
			t.Errorf(".ci/run does not contain %q", want)
		}
	}
}
