package main

import (
	"os"
	"testing"
)

// envAsClinic tells the test binary, started as a child, to be the clinic
// binary: main with its own arguments (`<test binary> serve ...`), so
// bench.StartServer can start it as it starts the real binary. The older
// harness (TestMainProcess) passes arguments through the environment
// instead, for callers that add -test.run.
const envAsClinic = "CLINIC_TEST_AS_CLINIC"

func TestMain(m *testing.M) {
	if os.Getenv(envAsClinic) == "1" {
		main() // exits 1 on an error
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// asClinic is the environment that makes the test binary the clinic binary.
func asClinic() []string { return []string{envAsClinic + "=1"} }
