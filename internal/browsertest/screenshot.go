package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
)

// ScreenshotDir is where Screenshot writes, relative to the module's root.
const ScreenshotDir = "docs/screenshots"

var screenshotName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Phone sets the tab's viewport to a phone's (390x844 CSS pixels, touch,
// mobile), for pages that must work one-handed.
func Phone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)
}

// Desktop sets the tab's viewport to a desk's screen (1280x900).
func Desktop() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(1280, 900)
}

// Screenshot saves the whole page of the tab ctx as docs/screenshots/<name>.png
// when $CLINIC_SCREENSHOTS is 1, and does nothing otherwise, so ordinary test
// runs leave the work tree alone. name is lower case letters, digits and
// dashes. A failure to capture or write fails t.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	if !screenshotName.MatchString(name) {
		t.Fatalf("browsertest: screenshot name %q: use lower case letters, digits and dashes", name)
	}
	if os.Getenv(EnvScreenshots) != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	dir := filepath.Join(root, ScreenshotDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	t.Logf("browsertest: wrote %s (%d bytes)", filepath.Join(ScreenshotDir, name+".png"), len(png))
}

// moduleRoot is the nearest folder at or above the working directory (a
// test's package folder) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod at or above the working directory")
		}
		dir = parent
	}
}
